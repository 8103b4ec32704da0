import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { Public } from '../auth/auth.decorators.js';
import { METRICS_REGISTRY } from './metrics.constants.js';

/**
 * `GET /metrics` in the Prometheus text format. Public, like `/health`: scrapers usually carry no bearer
 * token, and the metrics are value-free by construction — counters and latencies labelled by tier, key
 * group (a code-defined namespace such as `job`), Redis operation and outcome; never a key, an id, a client,
 * a value or a credential. Keep the port off the public internet as you would for `/health`.
 */
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
