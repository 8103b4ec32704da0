import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * How the proxy treats traffic: `pass` forwards; `blackhole` drops every byte both ways (a partition that
 * leaves sockets open); `drop-replies` forwards requests but drops the server's answers (a command is applied
 * yet its caller never learns it, the worst case for "was my write acknowledged?").
 */
export type ProxyMode = 'pass' | 'blackhole' | 'drop-replies';

/**
 * A loopback TCP proxy for fault injection: forwards to `127.0.0.1:targetPort`, optionally delaying every
 * chunk (`delayMs`), swallowing traffic without closing (`blackhole`, a network partition that leaves
 * sockets open), or cutting every connection (`cut()`, a reset). Listens on 127.0.0.1 only.
 */
export class TcpProxy {
  /** Delay added to each chunk in both directions, in ms. */
  delayMs = 0;
  private mode: ProxyMode = 'pass';
  private readonly sockets = new Set<Socket>();
  private refuse = false;

  private constructor(private readonly server: Server, readonly port: number, private readonly targetPort: number) {}

  /** Starts a proxy on a free loopback port in front of `targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const holder: { proxy?: TcpProxy } = {};
    const server = createServer((client) => holder.proxy?.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address !== 'object') throw new Error('proxy has no port');
    holder.proxy = new TcpProxy(server, address.port, targetPort);
    return holder.proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** See {@link ProxyMode}. */
  setMode(mode: ProxyMode): void {
    this.mode = mode;
  }

  /** Destroys every open connection (both sides); with `refuseNew`, new ones are closed at once too. */
  cut(refuseNew = false): void {
    this.refuse = refuseNew;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Accepts connections again after `cut(true)`. */
  heal(): void {
    this.refuse = false;
    this.mode = 'pass';
  }

  private accept(client: Socket): void {
    if (this.refuse) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    const forward = (from: Socket, to: Socket, isReply: boolean) => {
      from.on('data', (chunk) => {
        if (this.mode === 'blackhole' || (isReply && this.mode === 'drop-replies')) return;
        if (this.delayMs > 0) setTimeout(() => to.destroyed || to.write(chunk), this.delayMs);
        else to.write(chunk);
      });
      const close = () => {
        to.destroy();
        this.sockets.delete(from);
      };
      from.on('close', close);
      from.on('error', close);
    };
    forward(client, upstream, false);
    forward(upstream, client, true);
  }

  /** Cuts everything and stops listening. */
  async stop(): Promise<void> {
    this.cut(true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
