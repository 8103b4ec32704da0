import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { LazyRequestLogger, requestChildLogger } from './lazy-request-logger.js';

function rootLogger(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk, _encoding, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
  const root = pino({ level, base: { service: 'test' } }, sink);
  let children = 0;
  const child = root.child.bind(root);
  root.child = ((...args: Parameters<typeof root.child>) => { children += 1; return child(...args); }) as typeof root.child;
  return { root, lines, children: () => children };
}

describe('LazyRequestLogger', () => {
  it('builds no pino child for lines below the level, nor to answer isLevelEnabled', () => {
    const { root, children, lines } = rootLogger('warn');
    const log = new LazyRequestLogger(root, { reqId: 'r-1' });
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.isLevelEnabled('warn')).toBe(true);
    expect(log.level).toBe('warn');
    log.info({ route: '/x' }, 'request completed');
    log.debug('detail');
    expect(children()).toBe(0);
    expect(lines).toEqual([]);
  });

  it('writes lines at the level with the request’s bindings, building the child once', () => {
    const { root, children, lines } = rootLogger('info');
    const log = new LazyRequestLogger(root, { reqId: 'r-2' });
    log.info({ route: '/x' }, 'request completed');
    log.error(new Error('boom'));
    expect(children()).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, reqId: 'r-2', service: 'test', route: '/x', msg: 'request completed' }),
      expect.objectContaining({ level: 50, reqId: 'r-2', msg: 'boom' }),
    ]);
    expect(log.bindings()).toEqual({ service: 'test', reqId: 'r-2' });
  });

  it('a route with its own level or serializers gets pino’s own child at once', () => {
    const { root, children } = rootLogger('info');
    const eager = requestChildLogger.call(undefined as never, root, { reqId: 'r-3' }, { level: 'debug' }, undefined as never);
    expect(children()).toBe(1);
    expect(eager).not.toBeInstanceOf(LazyRequestLogger);
    expect(requestChildLogger.call(undefined as never, root, { reqId: 'r-4' }, {}, undefined as never)).toBeInstanceOf(LazyRequestLogger);
    expect(children()).toBe(1);
  });
});
