import { Inject } from '@nestjs/common';
import { REDIS_CACHE_NAMESPACE_TOKEN_PREFIX } from './redis-cache.constants.js';

/** The injection token of the {@link NamespacedCache} of `namespace`. */
export function getCacheToken(namespace: string): string {
  return `${REDIS_CACHE_NAMESPACE_TOKEN_PREFIX}${namespace}`;
}

/**
 * Injects the {@link NamespacedCache} registered with `RedisCacheModule.forFeature(namespace)`.
 *
 * @example constructor(@InjectCache('jobs') private readonly cache: NamespacedCache) {}
 */
export const InjectCache = (namespace: string): ParameterDecorator & PropertyDecorator => Inject(getCacheToken(namespace));
