import { Injectable } from '@nestjs/common';
import { CacheEvict, Cacheable, CachePut } from 'nestjs-tiered-cache';

export interface Quote {
  sku: string;
  cents: number;
  /** Which computation produced it: equal runs mean a cached answer. */
  run: number;
}

/** Method decorators on a provider: the cache wraps the methods, their bodies stay plain. */
@Injectable()
export class PricingService {
  private readonly overrides = new Map<string, number>();
  private runs = 0;

  @Cacheable({ namespace: 'quote', key: (sku: string) => sku, ttl: 120 })
  async quote(sku: string): Promise<Quote> {
    return { sku, cents: this.overrides.get(sku) ?? 100 * sku.length, run: ++this.runs };
  }

  /** Writes the new quote into the cache: the next `quote(sku)` is a hit with this value. */
  @CachePut({ namespace: 'quote', key: (sku: string) => sku, ttl: 120 })
  async override(sku: string, cents: number): Promise<Quote> {
    this.overrides.set(sku, cents);
    return { sku, cents, run: ++this.runs };
  }

  /** Drops the cached quote after the method succeeded. */
  @CacheEvict({ namespace: 'quote', keys: (sku: string) => sku })
  async reset(sku: string): Promise<void> {
    this.overrides.delete(sku);
  }
}
