import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RedisCacheModule } from 'nestjs-tiered-cache';
import { OpsController } from './ops.controller';
import { Product } from './products/product.entity';
import { ProductsModule } from './products/products.module';
import { Settings, SettingsModule } from './settings';

@Module({
  imports: [
    // Async registration, under the name @nestjs/cache-manager users know (registerAsync = forRootAsync).
    // The factory's dependencies must be importable here: hence `imports: [SettingsModule]`.
    RedisCacheModule.registerAsync({
      isGlobal: true,
      imports: [SettingsModule],
      inject: [Settings],
      useFactory: (settings: Settings) => ({ redisUrl: settings.redisUrl, keyPrefix: settings.keyPrefix, defaultTtlSeconds: 60 }),
    }),
    TypeOrmModule.forRootAsync({
      imports: [SettingsModule],
      inject: [Settings],
      // synchronize keeps the example short; a service runs migrations instead.
      useFactory: (settings: Settings) => ({ type: 'postgres', url: settings.databaseUrl, entities: [Product], synchronize: true }),
    }),
    TerminusModule,
    ProductsModule,
  ],
  controllers: [OpsController],
})
export class AppModule {}
