// The ceiling of anything answered before Nest: plain Fastify 5 (no Nest) answering
// GET /api/v2/jobs/:id with the constant job JSON. A hook in front of Nest's pipeline (our fast path) still
// pays for Fastify's routing, hooks and reply; it cannot be cheaper than this.
import Fastify from 'fastify';
import { requiredEnv } from './nest-app.mjs';

const job = JSON.parse(requiredEnv('BENCH_JOB_JSON'));
const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.get('/api/v2/jobs/:id', async () => job);
await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
process.once('SIGTERM', () => { void app.close(); });
