import { Module } from '@nestjs/common';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import { CacheService } from 'nestjs-tiered-cache';
import { CachedRepository } from 'nestjs-tiered-cache/typeorm';
import type { Repository } from 'typeorm';
import { Article } from './article.entity.js';
import { ArticlesController } from './articles.controller.js';
import { ARTICLE_LISTS, ARTICLES } from './articles.tokens.js';
import { ReadingTimeService } from './reading-time.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Article])],
  providers: [
    ReadingTimeService,
    {
      // CachedRepository is a plain class: provide it with a factory over the TypeORM repository and the cache.
      provide: ARTICLES,
      inject: [getRepositoryToken(Article), CacheService],
      useFactory: (repository: Repository<Article>, cache: CacheService) =>
        new CachedRepository(repository, cache, {
          namespace: 'article', versionProperty: 'version', ttl: 300, invalidates: () => [ARTICLE_LISTS],
        }),
    },
  ],
  controllers: [ArticlesController],
})
export class ArticlesModule {}
