import { Module } from '@nestjs/common';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import { CacheService } from 'nestjs-tiered-cache';
import { CachedRepository } from 'nestjs-tiered-cache/typeorm';
import type { Repository } from 'typeorm';
import { Product } from './product.entity';
import { PRODUCTS } from './products.tokens';
import { ShopController } from './shop.controller';
import { PricingService } from './pricing.service';
import { UserFromBearer } from './user-from-bearer.guard';

@Module({
  imports: [TypeOrmModule.forFeature([Product])],
  providers: [
    PricingService,
    UserFromBearer,
    {
      // CachedRepository is a plain class: provide it with a factory over the TypeORM repository and the cache.
      provide: PRODUCTS,
      inject: [getRepositoryToken(Product), CacheService],
      useFactory: (repository: Repository<Product>, cache: CacheService) =>
        new CachedRepository(repository, cache, { namespace: 'product', versionProperty: 'version', ttl: 300, negativeTtlSeconds: 5 }),
    },
  ],
  controllers: [ShopController],
})
export class ProductsModule {}
