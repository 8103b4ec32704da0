import { BadRequestException, ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { CachedResource } from 'nestjs-tiered-cache';
import type { CachedRepository } from 'nestjs-tiered-cache/typeorm';
import type { Repository } from 'typeorm';
import type { Principal } from '../auth/principal.types.js';
import { APP_CONFIG } from '../config/config.constants.js';
import type { AppConfig } from '../config/app-config.types.js';
import type { CreateJobDto } from './dto/create-job.dto.js';
import { type JobListResponse, type JobResponse, toJobResponse } from './dto/job.response.js';
import type { ListJobsQuery } from './dto/list-jobs.query.js';
import type { UpdateProgressDto } from './dto/update-progress.dto.js';
import { canSeeJob } from './job-access.js';
import { JOB_REPOSITORY, JobCachePolicy } from './job-cache-policy.js';
import { JobListCursor } from './job-list-cursor.js';
import type { JobEntity } from './job.entity.js';
import type { JobStatus } from './job-status.js';

const DEFAULT_PAGE_SIZE = 20;

/**
 * Jobs in PostgreSQL, read and written through the library's `CachedRepository`. What is specific to jobs:
 * ownership (another client's job is a `404`), what a progress update may change, and the cache policy in
 * `JobCachePolicy`. Every write is one repository call: it owns the transaction, and resolves once the
 * job's entry holds the new version on every instance (the connection went back to the pool before that).
 */
@Injectable()
export class JobsService {
  constructor(
    @Inject(JOB_REPOSITORY) private readonly jobs: CachedRepository<JobEntity, JobResponse>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The job's cache entry if the caller may see it; another client's job is a `404`, exactly like a missing one. */
  async get(id: number, principal: Principal): Promise<CachedResource<JobResponse>> {
    const job = await this.find(id, principal);
    if (job === undefined) throw new NotFoundException(`Job ${id} not found`);
    return job;
  }

  /** The job's cache entry if it exists and the caller may see it, else `undefined` (the poll's read, for the event stream). */
  async find(id: number, principal: Principal): Promise<CachedResource<JobResponse> | undefined> {
    const job = await this.jobs.findOneById(id);
    // Checked on every read, after the cache read, so a cached entry is never a way around ownership.
    return job !== undefined && canSeeJob(principal, job.value) ? job : undefined;
  }

  /** The logical cache key of a job's entry (what the change feed watches). */
  keyOf(id: number): string {
    return this.jobs.key(id);
  }

  /** The caller's jobs (all jobs for the admin), newest first; only those in `query.status` when given. */
  async list(query: ListJobsQuery, principal: Principal): Promise<CachedResource<JobListResponse>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const beforeId = query.cursor === undefined ? undefined : JobListCursor.decode(query.cursor);
    const clientId = principal.kind === 'client' ? principal.clientId : undefined;
    const scope = clientId === undefined ? ['all'] : ['client', clientId];
    const tags = [clientId === undefined ? JobCachePolicy.allJobsTag : JobCachePolicy.clientTag(clientId)];
    return this.jobs.findList([...scope, query.status ?? 'any', limit, beforeId ?? 0], (jobs) => this.loadPage(jobs, clientId, query.status, limit, beforeId), {
      tags, ttl: this.config.cache.ttlSeconds,
    });
  }

  /** Inserts a queued job owned by the caller (or, for the admin, by `dto.clientId`). */
  async create(dto: CreateJobDto, principal: Principal): Promise<JobResponse> {
    const clientId = this.ownerForNewJob(dto, principal);
    const job = await this.jobs.insert({
      clientId, title: dto.title ?? 'Untitled job', status: 'queued', currentStage: null, scenesCompleted: 0, scenesTotal: dto.scenesTotal ?? 0,
    });
    return toJobResponse(job);
  }

  /** Applies a progress update to the locked row; `scenesCompleted > scenesTotal` after merging is a `400`. */
  async updateProgress(id: number, dto: UpdateProgressDto): Promise<JobResponse> {
    const fields = (['status', 'currentStage', 'scenesCompleted', 'scenesTotal'] as const).filter((f) => dto[f] !== undefined);
    if (fields.length === 0) {
      throw new BadRequestException('Give at least one of status, currentStage, scenesCompleted, scenesTotal');
    }
    const updated = await this.jobs.mutate(id, (current) => {
      const scenesCompleted = dto.scenesCompleted ?? current.scenesCompleted;
      const scenesTotal = dto.scenesTotal ?? current.scenesTotal;
      if (scenesCompleted > scenesTotal) {
        throw new BadRequestException(`scenesCompleted (${scenesCompleted}) would exceed scenesTotal (${scenesTotal})`);
      }
      return {
        status: dto.status ?? current.status,
        currentStage: dto.currentStage === undefined ? current.currentStage : dto.currentStage,
        scenesCompleted,
        scenesTotal,
        updatedAt: () => 'now()',
      };
    });
    if (updated === undefined) throw new NotFoundException(`Job ${id} not found`);
    return toJobResponse(updated);
  }

  /** Deletes the job; the repository leaves a versioned tombstone, so no in-flight fill can bring it back. */
  async delete(id: number): Promise<void> {
    if ((await this.jobs.remove(id)) === undefined) throw new NotFoundException(`Job ${id} not found`);
  }

  private async loadPage(jobs: Repository<JobEntity>, clientId: string | undefined, status: JobStatus | undefined, limit: number, beforeId: number | undefined): Promise<JobListResponse> {
    const query = jobs.createQueryBuilder('job').orderBy('job.id', 'DESC').limit(limit + 1);
    if (clientId !== undefined) query.andWhere('job.clientId = :clientId', { clientId });
    if (status !== undefined) query.andWhere('job.status = :status', { status });
    if (beforeId !== undefined) query.andWhere('job.id < :beforeId', { beforeId });
    const rows = await query.getMany();
    const page = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? JobListCursor.encode(page[page.length - 1].id) : null;
    return { items: page.map(toJobResponse), nextCursor };
  }

  private ownerForNewJob(dto: CreateJobDto, principal: Principal): string {
    if (principal.kind === 'client') {
      if (dto.clientId !== undefined && dto.clientId !== principal.clientId) {
        throw new ForbiddenException('Only the admin may create jobs for another client');
      }
      return principal.clientId;
    }
    const clientId = dto.clientId ?? principal.defaultClientId;
    if (clientId === undefined) throw new BadRequestException('clientId is required when the admin creates a job');
    return clientId;
  }
}
