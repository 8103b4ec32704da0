import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * The stored form of an entry: a compact text header then the JSON value,
 *
 *   `c2|<kind>|<version>|<storedAt>|<expiresAt>|<epoch>|<tags>|<json>`
 *
 * - `kind`: `V` value, `N` cached "not found", `T` versioned tombstone (a delete that blocks older fills),
 *   `L` a fill's lease placeholder (its tags field holds the lease token; read as a miss).
 * - `version`: decimal integer or empty. Lua compares it with `string.match`, no cjson needed.
 * - `storedAt` / `expiresAt`: epoch ms; `expiresAt` is the *logical* expiry, the physical TTL adds the grace.
 * - `epoch`: the keyspace epoch the entry was written in (letters and digits; empty in memory-only mode). An
 *   entry of another epoch is absent: a restarted, restored or failed-over Redis starts a new one, so
 *   nothing written before it can be read again (see `bus/coordination.ts`).
 * - `tags`: `tag=generation` pairs joined by `,` (tags percent-encoded; generations are tokens of letters and
 *   digits), the generations captured before the value was loaded; an entry is valid only while every tag
 *   still has exactly that generation — a generation that is missing (evicted, lost) matches nothing.
 *
 * - the body is the JSON, or `~z:` + base64 of its gzip when it was larger than the compression threshold
 *   (JSON never starts with `~`, so the marker is unambiguous and the header stays readable by Lua).
 *
 * The value is JSON parsed without a reviver; the `__proto__` key of a parsed object is an own data property
 * (JSON.parse never invokes the setter), so a hostile entry cannot pollute prototypes.
 */
export const ENVELOPE_FORMAT = 'c2';

const COMPRESSED = '~z:';

/**
 * Kind of a stored entry. `L` is a fill's lease placeholder (Redis only): put on a key that held nothing when a
 * load began, read as a miss, replaced by the fill if nothing else was written meanwhile.
 */
export type EntryKind = 'V' | 'N' | 'T' | 'L';

/** A decoded entry. `value` is a fresh object graph on every decode (isolated from other readers). */
export interface Envelope {
  kind: EntryKind;
  version?: number;
  storedAt: number;
  expiresAt: number;
  /** The keyspace epoch the entry belongs to (`''` in memory-only mode). */
  epoch: string;
  tags: Array<[tag: string, generation: string]>;
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
  epoch: string;
  tagText: string;
  bodyStart: number;
}

const PIPE = 0x7c;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Parses `c2|<kind>|<digits*>|<digits+>|<digits+>|<alnum*>|<no pipe>*|` with one left-to-right scan: the
 * same language as the regular expression `^c2\|([VNT])\|(\d*)\|(\d+)\|(\d+)\|([A-Za-z0-9]*)\|([^|]*)\|`,
 * without the match array, the captured substrings and the `Number()` of each (every read decodes one
 * header, so this is the hot path of a hit). `undefined` when malformed.
 */
function parseHeader(raw: string): Header | undefined {
  if (raw.charCodeAt(0) !== 0x63 || raw.charCodeAt(1) !== 0x32 || raw.charCodeAt(2) !== PIPE) return undefined;
  const k = raw.charCodeAt(3);
  if ((k !== 0x56 && k !== 0x4e && k !== 0x54 && k !== 0x4c) || raw.charCodeAt(4) !== PIPE) return undefined;
  const version = digitsAt(raw, 5, true);
  if (version === undefined) return undefined;
  const storedAt = digitsAt(raw, version.end + 1, false);
  if (storedAt === undefined) return undefined;
  const expiresAt = digitsAt(raw, storedAt.end + 1, false);
  if (expiresAt === undefined) return undefined;
  const epochStart = expiresAt.end + 1;
  const epochEnd = alnumEnd(raw, epochStart);
  if (raw.charCodeAt(epochEnd) !== PIPE) return undefined;
  const tagsStart = epochEnd + 1;
  const tagsEnd = raw.indexOf('|', tagsStart);
  if (tagsEnd === -1) return undefined;
  return {
    kind: raw[3] as EntryKind,
    version: version.end === 5 ? undefined : version.value,
    storedAt: storedAt.value,
    expiresAt: expiresAt.value,
    epoch: epochEnd === epochStart ? '' : raw.slice(epochStart, epochEnd),
    tagText: tagsEnd === tagsStart ? '' : raw.slice(tagsStart, tagsEnd),
    bodyStart: tagsEnd + 1,
  };
}

/** The index of the first character from `start` on that is not an ASCII letter or digit. */
function alnumEnd(raw: string, start: number): number {
  let i = start;
  for (; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (!((c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) break;
  }
  return i;
}

/** Whether `token` is a valid epoch or tag generation: ASCII letters and digits only. */
export function isToken(token: string, allowEmpty = false): boolean {
  return (allowEmpty || token.length > 0) && alnumEnd(token, 0) === token.length;
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
  return encodeWithBody(entry, encodeBody(entry.kind, entry.value, options.compressAboveBytes ?? 0).body);
}

/** An entry's body, encoded once for every envelope a write builds (L2, L1, the size probe). */
export interface EncodedBody {
  body: string;
  compressed: boolean;
  /** The JSON text of the value (kind `V`; the body itself unless compressed). */
  json?: string;
}

/**
 * The body of an entry of `kind`: the JSON of `value` for kind `V` (gzip-compressed above `compressAboveBytes`
 * when that is > 0), else empty. Throws a `TypeError` when the value is not JSON-serialisable.
 */
export function encodeBody(kind: EntryKind, value: unknown, compressAboveBytes: number): EncodedBody {
  if (kind !== 'V') return { body: '', compressed: false };
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) throw new TypeError('cache value is not JSON-serialisable');
  if (compressAboveBytes > 0 && json.length > compressAboveBytes) return { body: COMPRESSED + gzipSync(json).toString('base64'), compressed: true, json };
  return { body: json, compressed: false, json };
}

/** The header of `entry` (its `value` and `json` are not read) followed by an already encoded `body`. */
export function encodeWithBody(entry: Omit<Envelope, 'value'>, body: string): string {
  const { tags } = entry;
  let generationsOk = isToken(entry.epoch, true);
  for (let i = 0; generationsOk && i < tags.length; i++) generationsOk = isToken(tags[i][1]);
  if (!generationsOk) throw new TypeError('cache epoch and tag generations must be letters and digits');
  const tagText = tags.length === 0 ? '' : tags.map(([tag, gen]) => `${encodeURIComponent(tag)}=${gen}`).join(',');
  return `${ENVELOPE_FORMAT}|${entry.kind}|${entry.version ?? ''}|${entry.storedAt}|${entry.expiresAt}|${entry.epoch}|${tagText}|${body}`;
}

/**
 * A fill's lease placeholder (see {@link EntryKind}): `c2|L||<now>|<expiresAt>|<epoch>|<token>|`. Its whole
 * text is the lease the fill compares against.
 */
export function leasePlaceholder(epoch: string, token: string, now: number, ttlMs: number): string {
  if (!isToken(epoch, true) || !isToken(token)) throw new TypeError('cache epoch and lease token must be letters and digits');
  return `${ENVELOPE_FORMAT}|L||${now}|${now + ttlMs}|${epoch}|${token}|`;
}

/**
 * The lease a fill takes on what a key holds (see `lua-scripts.ts#WRITE_IF_NEWER`): its header up to the
 * body, which changes with every write; for text that is not an entry, its first 128 characters.
 */
export function leaseOf(raw: string): string {
  const header = parseHeader(raw);
  return header ? raw.slice(0, header.bodyStart) : raw.slice(0, 128);
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
  const tags: Array<[string, string]> = [];
  if (kind === 'L') {
    if (!isToken(tagText)) throw new EnvelopeFormatError('cache lease placeholder has a malformed token');
  } else if (tagText !== '') {
    for (const pair of tagText.split(',')) {
      const eq = pair.lastIndexOf('=');
      const gen = pair.slice(eq + 1);
      if (eq <= 0 || !isToken(gen)) throw new EnvelopeFormatError('cache entry has malformed tags');
      tags.push([decodeTag(pair.slice(0, eq)), gen]);
    }
  }
  return { kind, version: header.version, storedAt: header.storedAt, expiresAt: header.expiresAt, epoch: header.epoch, tags, value, json };
}

/** A percent-encoded tag name; a malformed escape is a malformed entry. */
function decodeTag(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch (error) {
    throw new EnvelopeFormatError('cache entry has a malformed tag name', { cause: error });
  }
}

/** Reads the kind, version and epoch from the header (what set-if-newer compares), or `undefined` if malformed. */
export function peekVersion(raw: string): { kind: EntryKind; version?: number; epoch: string } | undefined {
  const header = parseHeader(raw);
  return header && { kind: header.kind, version: header.version, epoch: header.epoch };
}

/**
 * Whether a write of (`kind`, `version`) may replace an entry currently holding `current`, whatever epoch
 * either was written in (see `lua-scripts.ts#WRITE_IF_NEWER` for why the epoch does not matter here).
 * Unversioned writes always land — but an unversioned fill never replaces a tombstone. A versioned value lands only over an older (or unversioned) entry; a
 * versioned tombstone also lands over the *same* version, so `delete(key, { version: v })` removes `v`; a
 * `fill` (a load) also lands over a value of the same version, never over a tombstone of it. The Lua script in `lua-scripts.ts` implements exactly this
 * rule for Redis.
 */
export function mayReplace(current: string | undefined, kind: EntryKind, version: number | undefined, fill = false): boolean {
  if (current === undefined) return true;
  const held = peekVersion(current);
  if (!held) return true;
  // An unversioned fill ("not found") never replaces a tombstone: an older versioned write could land again.
  if (fill && version === undefined && held.kind === 'T') return false;
  if (version === undefined || held.version === undefined) return true;
  if (kind === 'T') return version >= held.version;
  // A fill of the same version over a value is the same data reloaded: let it renew the entry.
  return version > held.version || (fill && version === held.version && held.kind === 'V');
}

/** Whether an encoded entry carries tags, read from its header alone; `undefined` when `raw` is not an entry. */
export function carriesTags(raw: string): boolean | undefined {
  const header = parseHeader(raw);
  return header === undefined ? undefined : header.tagText !== '';
}
