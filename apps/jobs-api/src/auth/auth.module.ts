import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { AppConfig } from '../config/app-config.types.js';
import { AuthGuard } from './auth.guard.js';
import { TokenRegistry } from './token-registry.js';

/** Bearer-token identity for every route (see {@link AuthGuard}). */
@Module({})
export class AuthModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: TokenRegistry, useValue: new TokenRegistry(config.auth) },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
