import { Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, ParseIntPipe, Patch, Post, UseInterceptors } from '@nestjs/common';
import { CacheFromEntry, CacheInterceptor, CacheService, CacheTags, CacheTTL, NoCache } from 'nestjs-tiered-cache';
import type { CachedRepository } from 'nestjs-tiered-cache/typeorm';
import type { Article } from './article.entity.js';
import { ARTICLE_LISTS, ARTICLES } from './articles.tokens.js';
import { ReadingTimeService } from './reading-time.service.js';

@Controller('articles')
@UseInterceptors(CacheInterceptor)
export class ArticlesController {
  private views = 0;

  constructor(
    @Inject(ARTICLES) private readonly articles: CachedRepository<Article>,
    private readonly readingTime: ReadingTimeService,
    private readonly cache: CacheService,
  ) {}

  @Post()
  create(@Body() body: { title: string; author: string }) {
    return this.articles.insert(body);
  }

  /** The list as a cached response, tagged: every article write (CachedRepository `invalidates`) drops it. */
  @Get()
  @CacheTags([ARTICLE_LISTS])
  @CacheTTL(120)
  list() {
    return this.articles.repository.find({ order: { id: 'ASC' } });
  }

  /**
   * Per caller: with no guard setting request.user, the default scope is the Authorization header (hashed:
   * no token reaches Redis); a request without credentials shares the public entry.
   */
  @Get('for-me')
  @CacheTTL(30)
  forMe() {
    return { view: ++this.views };
  }

  /** Answered from the repository's own entry (X-Cache, ETag, 304), refreshed by every update. */
  @Get(':id')
  @CacheFromEntry()
  async one(@Param('id', ParseIntPipe) id: number) {
    const found = await this.articles.findOneById(id); // a CachedResource<Article>, or undefined
    if (!found) throw new NotFoundException();
    return found;
  }

  @Patch(':id')
  async retitle(@Param('id', ParseIntPipe) id: number, @Body() body: { title: string }) {
    const updated = await this.articles.mutate(id, () => ({ title: body.title }));
    if (!updated) throw new NotFoundException();
    return updated;
  }

  /** Not cached as a response: the method cache below it is the one to keep right (X-Cache: BYPASS). */
  @Get(':id/reading-time')
  @NoCache()
  async minutes(@Param('id', ParseIntPipe) id: number) {
    const found = await this.articles.findOneById(id);
    if (!found?.value) throw new NotFoundException();
    return this.readingTime.estimate(found.value.title);
  }

  /** CacheService directly: counters of this instance. */
  @Delete('reading-times')
  @HttpCode(200)
  async forget() {
    await this.readingTime.forgetAll();
    const { hits, misses, redisAvailable } = this.cache.getStats();
    return { hits, misses, redisAvailable };
  }
}
