import { Controller, type MessageEvent, Sse, SseSignal, UseGuards } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.types.js';
import { PollRateLimitGuard } from '../rate-limit/poll-rate-limit.guard.js';
import { JobEvents } from './job-events.js';
import { JobIdParam } from './job-id.param.js';
import { LastEventId } from './last-event-id.param.js';

/**
 * `GET /api/v2/jobs/:id/events`: the job's versions pushed as Server-Sent Events (see {@link JobEvents}). The
 * same auth and ownership as the poll (`401`, `404`); opening one counts as a poll against the client's rate
 * limit (`429`), and at most `JOB_STREAMS_PER_CLIENT` stay open per caller and instance (`429`). Outside the jobs controller: its `CacheInterceptor` is for answers, not for streams.
 */
@Controller('api/v2/jobs')
export class JobEventsController {
  constructor(private readonly events: JobEvents) {}

  @Sse(':id/events')
  @UseGuards(PollRateLimitGuard)
  stream(
    @JobIdParam() id: number,
    @CurrentPrincipal() principal: Principal,
    @LastEventId() after: number | undefined,
    @SseSignal() signal: AbortSignal,
  ): Promise<Observable<MessageEvent>> {
    return this.events.open(id, principal, after, signal);
  }
}
