// The Node + Redis floor: node:http and one auto-pipelined ioredis GET per poll, the cached JSON string
// sent as is. No framework, no validation: the least any Node cache in front of this route can cost.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import { rowToJob } from './job-shape.mjs';

const prefix = process.env.CACHE_PREFIX ?? 'bench-raw:';
const ttl = Number(process.env.CACHE_TTL_SECONDS ?? 30);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  enableAutoPipelining: true, commandTimeout: 1000, maxRetriesPerRequest: 1,
});
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const route = /^\/api\/v2\/jobs\/(\d{1,15})$/;

function send(res, status, body, cache) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...(cache ? { 'x-cache': cache } : {}) });
  res.end(body);
}

async function poll(id, res) {
  const key = `${prefix}job:${id}`;
  const cached = await redis.get(key);
  if (cached !== null) return send(res, 200, cached, 'HIT');
  const { rows } = await pool.query('SELECT * FROM bench_jobs WHERE id = $1', [id]);
  if (rows.length === 0) return send(res, 404, '{"statusCode":404,"message":"Not Found"}');
  const body = JSON.stringify(rowToJob(rows[0]));
  await redis.set(key, body, 'EX', ttl);
  return send(res, 200, body, 'MISS');
}

const server = createServer((req, res) => {
  if (req.url === '/health') return send(res, 200, '{"status":"ok"}');
  const match = req.method === 'GET' ? route.exec(req.url ?? '') : null;
  if (!match) return send(res, 404, '{"statusCode":404,"message":"Not Found"}');
  poll(match[1], res).catch((error) => {
    process.stderr.write(`raw-floor: ${error instanceof Error ? error.message : String(error)}\n`);
    send(res, 500, '{"statusCode":500}');
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  redis.disconnect();
  void pool.end();
});
