import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * The stored form of an entry: a compact text header then the JSON value,
 *
 *   `c1|<kind>|<version>|<storedAt>|<expiresAt>|<tags>|<json>`
 *
 * - `kind`: `V` value, `N` cached "not found", `T` versioned tombstone (a delete that blocks older fills).
 * - `version`: decimal integer or empty. Lua compares it with `string.match`, no cjson needed.
 * - `storedAt` / `expiresAt`: epoch ms; `expiresAt` is the *logical* expiry, the physical TTL adds the grace.
 * - `tags`: `tag=generation` pairs joined by `,` (tags percent-encoded), the generations captured before the
 *   value was loaded; an entry is valid only while every tag still has that generation.
 *
 * - the body is the JSON, or `~z:` + base64 of its gzip when it was larger than the compression threshold
 *   (JSON never starts with `~`, so the marker is unambiguous and the header stays readable by Lua).
 *
 * The value is JSON parsed without a reviver; the `__proto__` key of a parsed object is an own data property
 * (JSON.parse never invokes the setter), so a hostile entry cannot pollute prototypes.
 */
export const ENVELOPE_FORMAT = 'c1';

const COMPRESSED = '~z:';

/** Kind of a stored entry. */
export type EntryKind = 'V' | 'N' | 'T';

/** A decoded entry. `value` is a fresh object graph on every decode (isolated from other readers). */
export interface Envelope {
  kind: EntryKind;
  version?: number;
  storedAt: number;
  expiresAt: number;
  tags: Array<[tag: string, generation: number]>;
  value: unknown;
  /** The JSON text `value` was parsed from (set by {@link decodeEnvelope} for kind `V`; ignored by encode). */
  json?: string;
}

/** Thrown by {@link decodeEnvelope} for anything that is not a well-formed current-format entry. */
export class EnvelopeFormatError extends Error {
  readonly code = 'E_CACHE_ENTRY_FORMAT';
}

/** The header fields of an entry, and where its body starts. */
interface Header {
  kind: EntryKind;
  version?: number;
  storedAt: number;
  expiresAt: number;
  tagText: string;
  bodyStart: number;
}

const PIPE = 0x7c;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Parses `c1|<kind>|<digits*>|<digits+>|<digits+>|<no pipe>*|` with one left-to-right scan: the same
 * language as the regular expression `^c1\|([VNT])\|(\d*)\|(\d+)\|(\d+)\|([^|]*)\|`, without the match
 * array, the captured substrings and the `Number()` of each (every read decodes one header, so this is the
 * hot path of a hit). `undefined` when malformed.
 */
function parseHeader(raw: string): Header | undefined {
  if (raw.charCodeAt(0) !== 0x63 || raw.charCodeAt(1) !== 0x31 || raw.charCodeAt(2) !== PIPE) return undefined;
  const k = raw.charCodeAt(3);
  if ((k !== 0x56 && k !== 0x4e && k !== 0x54) || raw.charCodeAt(4) !== PIPE) return undefined;
  const version = digitsAt(raw, 5, true);
  if (version === undefined) return undefined;
  const storedAt = digitsAt(raw, version.end + 1, false);
  if (storedAt === undefined) return undefined;
  const expiresAt = digitsAt(raw, storedAt.end + 1, false);
  if (expiresAt === undefined) return undefined;
  const tagsStart = expiresAt.end + 1;
  const tagsEnd = raw.indexOf('|', tagsStart);
  if (tagsEnd === -1) return undefined;
  return {
    kind: raw[3] as EntryKind,
    version: version.end === 5 ? undefined : version.value,
    storedAt: storedAt.value,
    expiresAt: expiresAt.value,
    tagText: tagsEnd === tagsStart ? '' : raw.slice(tagsStart, tagsEnd),
    bodyStart: tagsEnd + 1,
  };
}

/** Decimal digits from `start` up to a `|` (at `end`); `undefined` if anything else comes first. */
function digitsAt(raw: string, start: number, allowEmpty: boolean): { value: number; end: number } | undefined {
  let value = 0;
  let i = start;
  for (; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === PIPE) break;
    if (c < ZERO || c > NINE) return undefined;
    value = value * 10 + (c - ZERO);
  }
  if (i >= raw.length || (!allowEmpty && i === start)) return undefined;
  // Past 15 digits the running product may round differently from the decimal conversion.
  return { value: i - start > 15 ? Number(raw.slice(start, i)) : value, end: i };
}

/**
 * Encodes an entry. `value` must be JSON-serialisable (`undefined` only for kinds `N` and `T`). With
 * `compressAboveBytes` > 0, a JSON body longer than that (in UTF-16 units) is stored gzip-compressed.
 */
export function encodeEnvelope(entry: Envelope, options: { compressAboveBytes?: number } = {}): string {
  const tags = entry.tags.map(([tag, gen]) => `${encodeURIComponent(tag)}=${gen}`).join(',');
  const json = entry.kind === 'V' ? JSON.stringify(entry.value) : '';
  if (entry.kind === 'V' && json === undefined) throw new TypeError('cache value is not JSON-serialisable');
  const limit = options.compressAboveBytes ?? 0;
  const body = limit > 0 && json.length > limit ? COMPRESSED + gzipSync(json).toString('base64') : json;
  return `${ENVELOPE_FORMAT}|${entry.kind}|${entry.version ?? ''}|${entry.storedAt}|${entry.expiresAt}|${tags}|${body}`;
}

/** Whether an encoded entry carries a compressed body. */
export function isCompressed(raw: string): boolean {
  const header = parseHeader(raw);
  return header !== undefined && raw.startsWith(COMPRESSED, header.bodyStart);
}

/** Decodes an entry; throws {@link EnvelopeFormatError} when the header or the JSON is malformed. */
export function decodeEnvelope(raw: string): Envelope {
  const header = parseHeader(raw);
  if (!header) throw new EnvelopeFormatError('unknown cache entry format');
  const { kind, tagText } = header;
  let value: unknown;
  let json: string | undefined;
  if (kind === 'V') {
    try {
      json = raw.slice(header.bodyStart);
      if (json.startsWith(COMPRESSED)) json = gunzipSync(Buffer.from(json.slice(COMPRESSED.length), 'base64')).toString('utf8');
      value = JSON.parse(json);
    } catch (error) {
      throw new EnvelopeFormatError('cache entry is not valid JSON', { cause: error });
    }
  } else if (header.bodyStart !== raw.length) {
    throw new EnvelopeFormatError('cache entry has a body where none is expected');
  }
  const tags: Array<[string, number]> = [];
  if (tagText !== '') {
    for (const pair of tagText.split(',')) {
      const eq = pair.lastIndexOf('=');
      const gen = Number(pair.slice(eq + 1));
      if (eq <= 0 || !Number.isSafeInteger(gen)) throw new EnvelopeFormatError('cache entry has malformed tags');
      tags.push([decodeURIComponent(pair.slice(0, eq)), gen]);
    }
  }
  return { kind, version: header.version, storedAt: header.storedAt, expiresAt: header.expiresAt, tags, value, json };
}

/** Reads only the kind and version from the header (what set-if-newer compares), or `undefined` if malformed. */
export function peekVersion(raw: string): { kind: EntryKind; version?: number } | undefined {
  const header = parseHeader(raw);
  return header && { kind: header.kind, version: header.version };
}

/**
 * Whether a write of (`kind`, `version`) may replace an entry currently holding `current`.
 * Unversioned writes always land. A versioned value lands only over an older (or unversioned) entry; a
 * versioned tombstone also lands over the *same* version, so `delete(key, { version: v })` removes `v`; a
 * `fill` (a load) also lands over a value of the same version, never over a tombstone of it.
 * The Lua script in `lua-scripts.ts` implements exactly this rule for Redis.
 */
export function mayReplace(current: string | undefined, kind: EntryKind, version: number | undefined, fill = false): boolean {
  if (version === undefined || current === undefined) return true;
  const held = peekVersion(current);
  if (!held || held.version === undefined) return true;
  if (kind === 'T') return version >= held.version;
  // A fill of the same version over a value is the same data reloaded: let it renew the entry.
  return version > held.version || (fill && version === held.version && held.kind === 'V');
}
