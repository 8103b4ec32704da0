import { createHash } from 'node:crypto';

/**
 * A strong ETag for a cache entry: from the key and version when the entry is versioned (it changes exactly
 * when the version does), else from the JSON of the body.
 */
export function entryEtag(key: string, version: number | undefined, body: unknown): string {
  if (version !== undefined) return `"v${version}-${keyDigest(key)}"`;
  return `"${createHash('sha256').update(JSON.stringify(body) ?? '').digest('base64url').slice(0, 27)}"`;
}

/** Digests of recent keys: a poll answers from the same few keys again and again, and SHA-256 is per request. */
const digests = new Map<string, string>();
const MAX_DIGESTS = 10_000;

function keyDigest(key: string): string {
  let digest = digests.get(key);
  if (digest === undefined) {
    digest = createHash('sha256').update(key).digest('base64url').slice(0, 16);
    // Bounded by forgetting everything at once: cheaper than LRU bookkeeping on every hit, and refilled fast.
    if (digests.size >= MAX_DIGESTS) digests.clear();
    digests.set(key, digest);
  }
  return digest;
}

/**
 * `If-None-Match` semantics (RFC 9110 §13.1.2): a list of tags, weak comparison (`W/` ignored), `*` matches
 * any current representation.
 */
export function ifNoneMatchMatches(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const header = Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch;
  const opaque = etag.replace(/^W\//, '');
  return header
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || tag.replace(/^W\//, '') === opaque);
}
