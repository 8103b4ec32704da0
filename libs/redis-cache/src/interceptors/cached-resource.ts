import type { CacheResult, CacheSource } from '../engine/cache.types.js';

/**
 * A value a handler read through the cache, with the entry's metadata. Return it from a route guarded by
 * {@link CacheInterceptor} and the interceptor answers from the entry itself — `X-Cache` from its source,
 * `ETag` from its key and version, `Age` from its storedAt, `304` for a matching `If-None-Match` — without
 * storing a second copy. So the response and the entity are one entry: an update that pre-warms the entity
 * (e.g. through {@link CachedRepository}) refreshes the response too, and the handler still runs on every
 * request (authorisation stays where it is).
 *
 * @example
 * @Get(':id') @CacheFromEntry()
 * async get(@Param('id') id: number) { const job = await this.jobs.findOneById(id); if (!job.value) throw new NotFoundException(); return job; }
 */
export class CachedResource<T> {
  constructor(
    /** The logical key of the entry. */
    readonly key: string,
    /** The value (never `undefined`: a handler answers "not found" itself). */
    readonly value: T,
    /** Where the value came from. */
    readonly source: CacheSource,
    /** Epoch ms the entry was stored. */
    readonly storedAt: number,
    /** The entry's version, if it was written with one. */
    readonly version?: number,
  ) {}

  /** Wraps a `getOrLoad` result; `undefined` when it found nothing. */
  static from<T>(key: string, result: CacheResult<T>): CachedResource<T> | undefined {
    return result.value === undefined ? undefined : new CachedResource(key, result.value, result.source, result.storedAt, result.version);
  }

  /** The same entry with another value (e.g. the entity mapped to its response body). */
  map<U>(fn: (value: T) => U): CachedResource<U> {
    return new CachedResource(this.key, fn(this.value), this.source, this.storedAt, this.version);
  }
}
