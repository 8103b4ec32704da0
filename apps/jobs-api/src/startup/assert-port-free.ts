import { createServer } from 'node:net';
import { PortInUseError } from './port-in-use.error.js';

/**
 * Fails fast, before the database and the cache start, when `host:port` is taken: a taken port used to
 * surface as a raw `EADDRINUSE` stack only after the whole boot. (`listen` can still lose a race to another
 * process after this check; `main.ts` maps that `EADDRINUSE` to the same error.)
 */
export async function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port, { cause: error }) : error);
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** `error` as a {@link PortInUseError} when it is `listen`'s `EADDRINUSE`; otherwise unchanged. */
export function asPortInUse(error: unknown, port: number, host: string): unknown {
  return (error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE' ? new PortInUseError(host, port, { cause: error }) : error;
}
