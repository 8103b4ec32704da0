import { Injectable, Module } from '@nestjs/common';

/** The app's configuration, read once (what `@nestjs/config`'s ConfigService would give you). */
@Injectable()
export class Settings {
  readonly redisUrl = process.env.REDIS_URL;
  readonly keyPrefix = process.env.CACHE_PREFIX ?? 'example:';
  readonly databaseUrl = process.env.DATABASE_URL;
}

@Module({ providers: [Settings], exports: [Settings] })
export class SettingsModule {}
