import { createHash } from 'node:crypto';

/** Characters kept verbatim in a key part; everything else is percent-encoded (UTF-8). */
const SAFE = /^[A-Za-z0-9_.-]$/;
/** A part made of safe characters only (an id, usually) is its own encoding. */
const ALL_SAFE = /^[A-Za-z0-9_.-]+$/;
const NAMESPACE = /^[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*$/;
/** Namespaces already checked: code supplies a handful, and a key is built on every read. */
const checkedNamespaces = new Set<string>();
const MAX_CHECKED_NAMESPACES = 1000;

/**
 * Physical keys longer than this are replaced by `<prefix><namespace>:#<sha256>`. The namespace survives
 * hashing, so `deleteByPrefix(namespace)` still reaches hashed keys; a longer logical prefix does not
 * (the parts after the namespace are gone), which is why prefix deletion below the namespace is best-effort
 * for very long keys.
 */
export const MAX_KEY_LENGTH = 512;

/**
 * Encodes one user-supplied key part injectively: only `[A-Za-z0-9_.-]` stay as they are, every other
 * UTF-8 byte becomes `%XX`. The output therefore never contains `* ? [ ] \ :`, whitespace or newlines, so a
 * part can neither widen a SCAN pattern nor collide with another (`a:b` ≠ `a`,`b`). The empty string
 * encodes to `%` alone (a `%` that is not followed by two hex digits), so it stays distinct too.
 */
export function encodeKeyPart(part: string | number): string {
  const text = String(part);
  if (text === '') return '%';
  if (ALL_SAFE.test(text)) return text;
  let out = '';
  for (const ch of text) {
    if (SAFE.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Builds the logical key `namespace:part1:part2`. The namespace is code-supplied and checked, not encoded;
 * every part is encoded with {@link encodeKeyPart}.
 *
 * @example buildKey('job', 42) === 'job:42'; buildKey('list', 'a*b') === 'list:a%2Ab'
 */
export function buildKey(namespace: string, ...parts: Array<string | number>): string {
  if (!checkedNamespaces.has(namespace)) {
    if (!NAMESPACE.test(namespace)) {
      throw new TypeError(`invalid cache namespace "${namespace}": use [A-Za-z0-9_.-] segments joined by ':'`);
    }
    if (checkedNamespaces.size < MAX_CHECKED_NAMESPACES) checkedNamespaces.add(namespace);
  }
  if (parts.length === 1) return `${namespace}:${encodeKeyPart(parts[0])}`;
  return parts.length === 0 ? namespace : `${namespace}:${parts.map(encodeKeyPart).join(':')}`;
}

/** Escapes Redis glob metacharacters (`* ? [ ] \`) so a string matches only itself in `SCAN MATCH`. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (ch) => `\\${ch}`);
}

/**
 * Maps a logical key to its physical key: `prefix + logical`, or, past {@link MAX_KEY_LENGTH}, the prefix,
 * the first segment (namespace) and a SHA-256 of the whole logical key.
 */
export function physicalKey(prefix: string, logicalKey: string): string {
  const full = prefix + logicalKey;
  if (full.length <= MAX_KEY_LENGTH) return full;
  const namespace = logicalKey.split(':', 1)[0];
  return `${prefix}${namespace}:#${createHash('sha256').update(logicalKey).digest('hex')}`;
}
