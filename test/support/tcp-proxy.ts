import { createServer, connect, type Server, type Socket } from 'node:net';
import { OrderedDelay } from './ordered-delay.js';

/**
 * How the proxy treats traffic: `pass` forwards; `blackhole` drops every byte both ways (a partition that
 * leaves sockets open); `drop-replies` forwards requests but drops the server's answers (a command is applied
 * yet its caller never learns it, the worst case for "was my write acknowledged?").
 */
export type ProxyMode = 'pass' | 'blackhole' | 'drop-replies';

/** What a proxy has done so far, so a test can show that its fault met real traffic. */
export interface ProxyTraffic {
  /** Connections accepted and forwarded. */
  accepted: number;
  /** Connections closed at once while refusing (`cut(true)`). */
  refused: number;
  /** Chunks forwarded (in either direction). */
  forwarded: number;
  /** Chunks swallowed by `blackhole` or `drop-replies`. */
  dropped: number;
}

/**
 * A loopback TCP proxy for fault injection: forwards to `127.0.0.1:targetPort`, optionally delaying every
 * chunk (`delayMs`, order kept), swallowing traffic without closing (`blackhole`, a network partition that
 * leaves sockets open), or cutting every connection (`cut()`, a reset). Listens on 127.0.0.1 only.
 *
 * A black-holed connection has lost bytes: healing it in place resumes a stream with a gap. To end a
 * partition as a network would (the peers' sockets time out), call `cut()` before `heal()`.
 */
export class TcpProxy {
  /** Delay added to each chunk in both directions, in ms; chunks never overtake each other. */
  delayMs = 0;
  /** Counters of what the proxy did (see {@link ProxyTraffic}). */
  readonly traffic: ProxyTraffic = { accepted: 0, refused: 0, forwarded: 0, dropped: 0 };
  private mode: ProxyMode = 'pass';
  private readonly sockets = new Set<Socket>();
  private refuse = false;

  private constructor(private readonly server: Server, readonly port: number, private targetPort: number) {}

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

  /** A Redis URL through this proxy with credentials (user `default` when only a password is given). */
  urlWith(credentials: { user?: string; password: string }): string {
    return `redis://${encodeURIComponent(credentials.user ?? '')}:${encodeURIComponent(credentials.password)}@127.0.0.1:${this.port}`;
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

  /**
   * New connections go to `port` from now on (open ones stay where they are): a Redis that restarted, or was
   * replaced, behind a stable address — a proxy or a DNS name — as the client's next reconnect finds it.
   */
  retarget(port: number): void {
    this.targetPort = port;
  }

  /** Accepts connections again after `cut(true)`. */
  heal(): void {
    this.refuse = false;
    this.mode = 'pass';
  }

  private accept(client: Socket): void {
    if (this.refuse) {
      this.traffic.refused += 1;
      client.destroy();
      return;
    }
    this.traffic.accepted += 1;
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    const forward = (from: Socket, to: Socket, isReply: boolean) => {
      const delayed = new OrderedDelay(to);
      from.on('data', (chunk: Buffer) => {
        if (this.mode === 'blackhole' || (isReply && this.mode === 'drop-replies')) {
          this.traffic.dropped += 1;
          return;
        }
        this.traffic.forwarded += 1;
        delayed.push(chunk, this.delayMs);
      });
      const close = () => {
        delayed.clear();
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
