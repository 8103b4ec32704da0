import { type BeforeApplicationShutdown, Inject, Injectable, type MessageEvent, NotFoundException } from '@nestjs/common';
import { CacheService, type EntryChange } from 'nestjs-tiered-cache';
import { Observable, type Subscriber } from 'rxjs';
import type { Principal } from '../auth/principal.types.js';
import type { AppConfig } from '../config/app-config.types.js';
import { APP_CONFIG } from '../config/config.constants.js';
import type { JobResponse } from './dto/job.response.js';
import { JobStreamSlots } from './job-stream-slots.js';
import { JobsService } from './jobs.service.js';

/** How often a stream reads its job while the cache's change feed cannot announce every change (Redis or the bus down). */
export const STREAM_FALLBACK_MS = 1000;

const finished = (job: JobResponse) => job.status === 'completed' || job.status === 'failed';

/**
 * One job's Server-Sent Events: `job` events (`id:` = the job's version, `data:` = the job as the poll
 * answers it) — the job on connect, then each newer version as it is acknowledged, whichever instance took the
 * update — then `end` once the job is completed or failed, or `gone` once it is deleted; comment heartbeats
 * in between. Fed by the library's change feed (`CacheService.watch`), which reads through the same path and
 * ownership check as the poll, so a stream never shows an older version than a poll would; with
 * `Last-Event-ID` it resumes after that version, without a gap (the current state stands for any version it
 * missed) or a repeat. When the instance shuts down its streams end (before the HTTP server closes, which
 * would otherwise wait for them): clients reconnect, with `Last-Event-ID`, to another instance.
 */
@Injectable()
export class JobEvents implements BeforeApplicationShutdown {
  private readonly streams = new Set<Subscriber<MessageEvent>>();
  private closing = false;

  constructor(
    private readonly jobs: JobsService,
    private readonly cache: CacheService,
    private readonly slots: JobStreamSlots,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Checks the job is visible to the caller (`404` otherwise) and takes one of its stream slots (`429`
   * otherwise), both before any header is sent; the slot is given back when the stream ends, however it ends.
   */
  async open(id: number, principal: Principal, after: number | undefined, signal: AbortSignal): Promise<Observable<MessageEvent>> {
    const current = await this.jobs.find(id, principal);
    if (current === undefined) throw new NotFoundException(`Job ${id} not found`);
    const release = this.slots.acquire(principal);
    // The client may be gone before the stream is subscribed (Nest then never subscribes): the signal says so.
    signal.addEventListener('abort', release, { once: true });
    if (signal.aborted) release();
    const changes = this.cache.watch<JobResponse>(this.jobs.keyOf(id), () => this.jobs.find(id, principal), {
      fallbackMs: STREAM_FALLBACK_MS, after,
    });
    return new Observable<MessageEvent>((subscriber) => {
      if (this.closing) {
        release();
        subscriber.complete();
        return undefined;
      }
      this.streams.add(subscriber);
      const heartbeat = setInterval(() => subscriber.next({ comment: 'heartbeat' }), this.config.streams.heartbeatMs);
      const watching = changes.subscribe({
        next: (change) => {
          for (const event of eventsOf(id, change)) subscriber.next(event);
          if (change.op === 'delete' || finished(change.value)) subscriber.complete();
        },
        error: (error: unknown) => subscriber.error(error),
      });
      // A resumed stream of a job that had already finished at the client's last version has nothing to send.
      if (after !== undefined && finished(current.value) && (current.version ?? 0) <= after) {
        subscriber.next(endEvent(id, current.value));
        subscriber.complete();
      }
      return () => {
        this.streams.delete(subscriber);
        clearInterval(heartbeat);
        watching.unsubscribe();
        release();
      };
    });
  }

  /** Ends every open stream, and any opened from now on, as soon as it starts. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const stream of [...this.streams]) stream.complete();
  }
}

function eventsOf(id: number, change: EntryChange<JobResponse>): MessageEvent[] {
  if (change.op === 'delete') return [{ type: 'gone', data: { id } }];
  const job: MessageEvent = { type: 'job', id: String(change.version ?? 0), data: change.value };
  return finished(change.value) ? [job, endEvent(id, change.value)] : [job];
}

function endEvent(id: number, job: JobResponse): MessageEvent {
  return { type: 'end', data: { id, status: job.status, version: job.version } };
}
