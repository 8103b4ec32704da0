/** Another process already listens on the configured address. */
export class PortInUseError extends Error {
  readonly code = 'PORT_IN_USE';

  constructor(readonly host: string, readonly port: number, options?: { cause?: unknown }) {
    super(`Port ${port} on ${host} is already in use (another jobs-api, or another program): stop it or set PORT`, options);
    this.name = 'PortInUseError';
    // An operator's problem, not a bug: where in our code it was noticed helps no one.
    this.stack = `${this.name}: ${this.message}`;
  }
}
