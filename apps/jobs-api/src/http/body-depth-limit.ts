import type { FastifyInstance } from 'fastify';

/** Deeper bodies are refused with `400`: no request body of this API nests past a few levels. */
export const MAX_BODY_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `limit` (iterative: a hostile depth cannot overflow the stack). */
export function depthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Refuses over-deep bodies before Nest sees them. Fastify parses a 10 000-deep JSON body fine, but the
 * validator then recurses through it and overflows the stack: a `500` for what is a client's mistake.
 */
export function registerBodyDepthLimit(fastify: FastifyInstance): void {
  fastify.addHook('preHandler', (request, _reply, done) => {
    if (request.body !== undefined && depthExceeds(request.body, MAX_BODY_DEPTH)) {
      done(Object.assign(new Error(`Request body nested deeper than ${MAX_BODY_DEPTH} levels`), { statusCode: 400 }));
      return;
    }
    done();
  });
}
