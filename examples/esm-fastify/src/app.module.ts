import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RedisCacheModule } from 'nestjs-tiered-cache';
import { Article } from './articles/article.entity.js';
import { ArticlesModule } from './articles/articles.module.js';
import { OpsController } from './ops.controller.js';

@Module({
  imports: [
    // Synchronous registration: the options are known when the module is defined.
    RedisCacheModule.forRoot({
      isGlobal: true,
      redisUrl: process.env.REDIS_URL,
      keyPrefix: process.env.CACHE_PREFIX ?? 'example:',
      defaultTtlSeconds: 60,
      coherence: 'strict', // the default, spelled out: see "Redis down?" in the library's README
    }),
    // synchronize keeps the example short; a service runs migrations instead.
    TypeOrmModule.forRoot({ type: 'postgres', url: process.env.DATABASE_URL, entities: [Article], synchronize: true }),
    TerminusModule,
    ArticlesModule,
  ],
  controllers: [OpsController],
})
export class AppModule {}
