// A loopback TCP proxy in front of PostgreSQL that counts the statements a variant really sends, read off
// the wire protocol (simple Query, and Parse/Bind/Execute). It sees every query at the moment it is sent,
// so a count is exact as soon as the responses are back — unlike pg_stat_user_tables, whose backends flush
// up to 10 s late. Reads inside an explicit transaction are counted apart: they belong to a write path
// (SELECT … FOR UPDATE before an UPDATE), not to a poll.
import { connect, createServer } from 'node:net';

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

/** Counters of one table's traffic. */
function emptyCounts() {
  return { reads: 0, txReads: 0, writes: 0, statements: 0 };
}

/** Counting proxy; `table` is the table name whose SELECTs count as reads. */
export class PgCountingProxy {
  constructor(table, upstream = { host: '127.0.0.1', port: 5432 }) {
    this.tableRe = new RegExp(`\\b${table}\\b`, 'i');
    this.upstream = upstream;
    this.counts = emptyCounts();
    this.sockets = new Set();
    this.server = createServer((client) => this.handle(client));
  }

  /** Listens on a free loopback port; returns the port. */
  async listen() {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.port = this.server.address().port;
    return this.port;
  }

  /** `postgres://…` URL `dbUrl` rewritten to go through the proxy. */
  url(dbUrl) {
    const u = new URL(dbUrl);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }

  /** A copy of the counters (take one before and one after, and subtract). */
  snapshot() {
    return { ...this.counts };
  }

  classify(text, conn) {
    const sql = text.trimStart();
    if (/^(begin|start\s+transaction)\b/i.test(sql)) { conn.inTx = true; return; }
    if (/^(commit|rollback|end)\b/i.test(sql)) { conn.inTx = false; return; }
    this.counts.statements += 1;
    if (!this.tableRe.test(sql)) return;
    if (/^(select|with)\b/i.test(sql) && !/\b(update|insert|delete)\b/i.test(sql.split(/\bfrom\b/i)[0] ?? '')) {
      if (conn.inTx || /\bfor\s+(update|no\s+key\s+update|share)\b/i.test(sql)) this.counts.txReads += 1;
      else this.counts.reads += 1;
    } else if (/^(update|insert|delete|with)\b/i.test(sql)) {
      this.counts.writes += 1;
    }
  }

  handle(client) {
    const server = connect(this.upstream.port, this.upstream.host);
    this.sockets.add(client);
    this.sockets.add(server);
    const conn = { started: false, buffer: Buffer.alloc(0), statements: new Map(), portals: new Map(), inTx: false };
    server.on('data', (chunk) => client.write(chunk));
    client.on('data', (chunk) => {
      server.write(chunk);
      try {
        this.parse(conn, chunk);
      } catch (error) {
        process.stderr.write(`pg proxy: cannot parse client stream (${error instanceof Error ? error.message : String(error)})\n`);
      }
    });
    const close = () => { client.destroy(); server.destroy(); this.sockets.delete(client); this.sockets.delete(server); };
    client.on('close', close);
    server.on('close', close);
    client.on('error', close);
    server.on('error', close);
  }

  parse(conn, chunk) {
    conn.buffer = conn.buffer.length ? Buffer.concat([conn.buffer, chunk]) : chunk;
    let buf = conn.buffer;
    for (;;) {
      if (!conn.started) {
        if (buf.length < 8) break;
        const len = buf.readInt32BE(0);
        if (buf.length < len) break;
        const code = buf.readInt32BE(4);
        if (code !== SSL_REQUEST && code !== GSS_REQUEST) conn.started = true;
        buf = buf.subarray(len);
        continue;
      }
      if (buf.length < 5) break;
      const type = String.fromCharCode(buf[0]);
      const len = buf.readInt32BE(1);
      if (buf.length < 1 + len) break;
      const body = buf.subarray(5, 1 + len);
      this.message(conn, type, body);
      buf = buf.subarray(1 + len);
    }
    conn.buffer = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }

  message(conn, type, body) {
    const cstr = (offset) => {
      const end = body.indexOf(0, offset);
      return { value: body.toString('utf8', offset, end), next: end + 1 };
    };
    if (type === 'Q') {
      this.classify(cstr(0).value, conn);
    } else if (type === 'P') {
      const name = cstr(0);
      conn.statements.set(name.value, cstr(name.next).value);
    } else if (type === 'B') {
      const portal = cstr(0);
      conn.portals.set(portal.value, conn.statements.get(cstr(portal.next).value) ?? '');
    } else if (type === 'E') {
      this.classify(conn.portals.get(cstr(0).value) ?? '', conn);
    }
  }

  /** Closes the listener and every proxied connection. */
  async close() {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }
}
