import { Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, ParseIntPipe, Patch, Post, Put, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { CacheFromEntry, CacheInterceptor, CacheTTL, NoCache } from 'nestjs-tiered-cache';
import type { CachedRepository } from 'nestjs-tiered-cache/typeorm';
import type { Product } from './product.entity';
import { PRODUCTS } from './products.tokens';
import { PricingService } from './pricing.service';
import { UserFromBearer } from './user-from-bearer.guard';

@Controller()
@UseGuards(UserFromBearer)
@UseInterceptors(CacheInterceptor)
export class ShopController {
  private views = 0;

  constructor(@Inject(PRODUCTS) private readonly products: CachedRepository<Product>, private readonly pricing: PricingService) {}

  /** Cached per caller (request.user): Alice's page is never Bob's. */
  @Get('me')
  @CacheTTL(30)
  me(@Req() request: { user?: { id: string } }) {
    this.views += 1;
    return { user: request.user?.id ?? null, view: this.views };
  }

  @Post('products')
  create(@Body() body: { name: string; priceCents: number }) {
    return this.products.insert(body);
  }

  /** Answered from the repository's own entry (X-Cache, ETag, 304), refreshed by every update. */
  @Get('products/:id')
  @CacheFromEntry()
  async product(@Param('id', ParseIntPipe) id: number) {
    const found = await this.products.findOneById(id); // a CachedResource<Product>, or undefined
    if (!found) throw new NotFoundException();
    return found;
  }

  @Patch('products/:id')
  async rename(@Param('id', ParseIntPipe) id: number, @Body() body: { name: string }) {
    const updated = await this.products.mutate(id, () => ({ name: body.name }));
    if (!updated) throw new NotFoundException();
    return updated;
  }

  /** Not cached as a response: the method cache below it is the one to keep right (X-Cache: BYPASS). */
  @Get('quotes/:sku')
  @NoCache()
  quote(@Param('sku') sku: string) {
    return this.pricing.quote(sku);
  }

  @Put('quotes/:sku')
  override(@Param('sku') sku: string, @Body() body: { cents: number }) {
    return this.pricing.override(sku, body.cents);
  }

  @Delete('quotes/:sku')
  @HttpCode(204)
  reset(@Param('sku') sku: string): Promise<void> {
    return this.pricing.reset(sku);
  }
}
