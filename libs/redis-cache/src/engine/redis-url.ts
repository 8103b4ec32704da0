import { CacheConfigError } from './cache.errors.js';

/** A `REDIS_URL` taken apart. Hosts are literal (IPv6 without brackets); ports defaulted per form. */
export interface ParsedRedisUrl {
  kind: 'standalone' | 'sentinel' | 'cluster';
  tls: boolean;
  hosts: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  db: number;
  /** Sentinel only. */
  masterName?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
  /** The credentials as written in the URL (percent-encoded), to scrub them in that form too. */
  rawSecrets: string[];
}

const SCHEMES: Record<string, { kind: ParsedRedisUrl['kind']; tls: boolean; port: number }> = {
  'redis:': { kind: 'standalone', tls: false, port: 6379 },
  'rediss:': { kind: 'standalone', tls: true, port: 6379 },
  'redis+sentinel:': { kind: 'sentinel', tls: false, port: 26379 },
  'rediss+sentinel:': { kind: 'sentinel', tls: true, port: 26379 },
  'redis+cluster:': { kind: 'cluster', tls: false, port: 6379 },
  'rediss+cluster:': { kind: 'cluster', tls: true, port: 6379 },
};

/**
 * Parses `scheme://[user[:password]@]host[:port][,host[:port]…][/path][?query]`. WHATWG `URL` cannot read a
 * host list, so this is a small parser of its own; every error is a {@link CacheConfigError} that never
 * repeats the URL (it may hold a password). Paths: standalone `/db`; sentinel `/masterName[/db]`; cluster
 * none (or `/0`). Query: sentinel `sentinelUsername`, `sentinelPassword`; anything else is rejected, so a
 * typo does not pass silently.
 */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  const match = /^([a-z+]+:)\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?$/i.exec(url.trim());
  if (!match) throw new CacheConfigError('REDIS_URL is not a valid URL');
  const [, schemeText, authority, path, query] = match;
  const scheme = SCHEMES[schemeText.toLowerCase()];
  if (!scheme) {
    throw new CacheConfigError('REDIS_URL must start with redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster://');
  }
  const at = authority.lastIndexOf('@');
  const userInfo = at >= 0 ? authority.slice(0, at) : '';
  const hostList = at >= 0 ? authority.slice(at + 1) : authority;
  const colon = userInfo.indexOf(':');
  const rawUser = colon >= 0 ? userInfo.slice(0, colon) : userInfo;
  const rawPassword = colon >= 0 ? userInfo.slice(colon + 1) : '';
  const hosts = hostList.split(',').map((entry) => parseHost(entry, scheme.port));
  if (scheme.kind === 'standalone' && hosts.length !== 1) throw new CacheConfigError('REDIS_URL: redis:// takes one host (use redis+sentinel:// or redis+cluster:// for several)');
  const segments = path.split('/').filter((s) => s !== '').map((s) => decode(s, 'path'));
  const parsed: ParsedRedisUrl = {
    kind: scheme.kind, tls: scheme.tls, hosts, db: 0,
    username: decode(rawUser, 'user') || undefined,
    password: decode(rawPassword, 'password') || undefined,
    rawSecrets: [rawPassword],
  };
  let dbText: string | undefined;
  if (scheme.kind === 'sentinel') {
    if (segments.length < 1 || segments.length > 2) throw new CacheConfigError('REDIS_URL: redis+sentinel:// needs /<masterName>[/<db>]');
    parsed.masterName = segments[0];
    dbText = segments[1];
  } else {
    if (segments.length > 1) throw new CacheConfigError('REDIS_URL: unexpected path');
    dbText = segments[0];
  }
  if (dbText !== undefined) {
    const db = Number(dbText);
    if (!/^\d+$/.test(dbText) || !Number.isSafeInteger(db)) throw new CacheConfigError('REDIS_URL database must be a non-negative integer');
    if (scheme.kind === 'cluster' && db !== 0) throw new CacheConfigError('REDIS_URL: a Redis Cluster has database 0 only');
    parsed.db = db;
  }
  for (const pair of (query ?? '').split('&').filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    const name = decode(eq >= 0 ? pair.slice(0, eq) : pair, 'query');
    const raw = eq >= 0 ? pair.slice(eq + 1) : '';
    const value = decode(raw, 'query');
    if (scheme.kind === 'sentinel' && name === 'sentinelUsername') parsed.sentinelUsername = value || undefined;
    else if (scheme.kind === 'sentinel' && name === 'sentinelPassword') {
      parsed.sentinelPassword = value || undefined;
      parsed.rawSecrets.push(raw);
    } else throw new CacheConfigError('REDIS_URL: unknown query parameter (sentinel URLs take sentinelUsername and sentinelPassword)');
  }
  return parsed;
}

function parseHost(entry: string, defaultPort: number): { host: string; port: number } {
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d+))?$/i.exec(entry);
  const plain = /^([A-Za-z0-9_.-]*)(?::(\d+))?$/.exec(entry);
  const found = bracketed ?? plain;
  if (!found) throw new CacheConfigError('REDIS_URL: a host is missing or malformed');
  const port = found[2] === undefined ? defaultPort : Number(found[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CacheConfigError('REDIS_URL: a port is out of range');
  // `redis://` alone (or `redis://:6380`) means the local server, as WHATWG URL parsing gave before.
  return { host: found[1] || '127.0.0.1', port };
}

function decode(text: string, part: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Deliberately no cause: the decoder's message would contain the text, possibly a password.
    throw new CacheConfigError(`REDIS_URL: bad percent-encoding in the ${part}`);
  }
}

/**
 * Checks a Redis URL of any form the engine accepts (`redis://`, `rediss://`, `redis+sentinel://`,
 * `redis+cluster://` and their TLS forms) without connecting: throws {@link CacheConfigError} with a message
 * that never repeats the URL. For validating configuration at boot.
 *
 * @example validateRedisUrl(process.env.REDIS_URL) // throws on `http://…`, a bad port, an unknown query key
 */
export function validateRedisUrl(url: string): void {
  parseRedisUrl(url);
}
