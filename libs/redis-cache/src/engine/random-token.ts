import { randomBytes } from 'node:crypto';

/** Tokens drawn from one `randomBytes` call: a fill's lease takes one per miss, and a call each cost ~1 µs. */
const TOKENS_PER_DRAW = 256;
const TOKEN_BYTES = 12;
const TOKEN_CHARS = 16; // base64 of 12 bytes

let pool = '';
let next = 0;

/**
 * A random token of 16 letters and digits (~95 bits): keyspace epochs, tag generations and fill leases.
 * Random rather than counted, so that a value lost with a Redis (or rolled back by a snapshot) can never be
 * produced again and mistaken for the current one. Drawn from a pool of random bytes (each byte used once):
 * 12-byte blocks encode to 16 base64 characters each, so the pool's encoding is cut into tokens.
 */
export function randomToken(): string {
  if (next >= pool.length) {
    pool = randomBytes(TOKEN_BYTES * TOKENS_PER_DRAW).toString('base64').replace(/[^A-Za-z0-9]/g, '0');
    next = 0;
  }
  const token = pool.slice(next, next + TOKEN_CHARS);
  next += TOKEN_CHARS;
  return token;
}
