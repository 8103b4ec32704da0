import { ConfigurableModuleBuilder } from '@nestjs/common';
import { REDIS_CACHE_MODULE_OPTIONS } from './redis-cache.constants.js';
import type { RedisCacheModuleOptions } from './redis-cache-module-options.interface.js';

/**
 * `forRoot(options)` / `forRootAsync({ useFactory, inject, imports })`, plus the `isGlobal` extra.
 * (The pattern of `@nestjs/cache-manager`'s module definition.)
 */
export const {
  ConfigurableModuleClass: RedisCacheConfigurableModule,
  MODULE_OPTIONS_TOKEN,
  OPTIONS_TYPE: REDIS_CACHE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: REDIS_CACHE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RedisCacheModuleOptions>({ optionsInjectionToken: REDIS_CACHE_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
