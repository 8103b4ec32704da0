import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventLoopWatch } from './event-loop-watch.js';
import { HealthController } from './health.controller.js';
import { ReadinessCheck } from './readiness.js';

/** `/health` for people; `/health/live` and `/health/ready` for orchestrators. */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty' })],
  controllers: [HealthController],
  providers: [EventLoopWatch, ReadinessCheck],
})
export class HealthModule {}
