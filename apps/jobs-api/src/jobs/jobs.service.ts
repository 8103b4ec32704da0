import { BadRequestException, ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CachedRepository, CachedResource } from '@app/redis-cache';
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
import { jobFromRow, type JobRow } from './job-row.js';
import { JobEntity } from './job.entity.js';

const DEFAULT_PAGE_SIZE = 20;

/**
 * Jobs in PostgreSQL, read through the library's `CachedRepository`. What is specific to jobs: ownership
 * (another client's job is a `404`), the SQL of a progress update, and the cache policy in `JobCachePolicy`.
 * Writes tell the repository what they wrote; it pre-warms the job's entry with a versioned write and
 * invalidates the owner's list tag after the transaction commits, before the response leaves.
 */
@Injectable()
export class JobsService {
  constructor(
    @Inject(JOB_REPOSITORY) private readonly jobs: CachedRepository<JobEntity, JobResponse>,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The job's cache entry if the caller may see it; another client's job is a `404`, exactly like a missing one. */
  async get(id: number, principal: Principal): Promise<CachedResource<JobResponse>> {
    const job = await this.jobs.findOneById(id);
    // Checked on every request, after the cache read, so a cached entry is never a way around ownership.
    if (job === undefined || !canSeeJob(principal, job.value)) throw new NotFoundException(`Job ${id} not found`);
    return job;
  }

  /** The caller's jobs (all jobs for the admin), newest first. */
  async list(query: ListJobsQuery, principal: Principal): Promise<CachedResource<JobListResponse>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const beforeId = query.cursor === undefined ? undefined : JobListCursor.decode(query.cursor);
    const clientId = principal.kind === 'client' ? principal.clientId : undefined;
    const scope = clientId === undefined ? ['all'] : ['client', clientId];
    const tags = [clientId === undefined ? JobCachePolicy.allJobsTag : JobCachePolicy.clientTag(clientId)];
    return this.jobs.findList([...scope, limit, beforeId ?? 0], () => this.loadPage(clientId, limit, beforeId), {
      tags, ttl: this.config.cache.ttlSeconds,
    });
  }

  /** Inserts a queued job owned by the caller (or, for the admin, by `dto.clientId`). */
  async create(dto: CreateJobDto, principal: Principal): Promise<JobResponse> {
    const clientId = this.ownerForNewJob(dto, principal);
    const result = await this.jobs.repository
      .createQueryBuilder()
      .insert()
      .into(JobEntity)
      .values({ clientId, title: dto.title ?? 'Untitled job', status: 'queued', currentStage: null, scenesCompleted: 0, scenesTotal: dto.scenesTotal ?? 0 })
      .returning('*')
      .execute();
    const job = jobFromRow((result.raw as JobRow[])[0]);
    // Version 1 beats a negative entry a poll may have cached for this id before it existed.
    await this.jobs.written(job);
    return toJobResponse(job);
  }
  /** Applies a progress update in one transaction; `scenesCompleted > scenesTotal` after merging is a `400`. */
  async updateProgress(id: number, dto: UpdateProgressDto): Promise<JobResponse> {
    const fields = (['status', 'currentStage', 'scenesCompleted', 'scenesTotal'] as const).filter((f) => dto[f] !== undefined);
    if (fields.length === 0) {
      throw new BadRequestException('Give at least one of status, currentStage, scenesCompleted, scenesTotal');
    }
    const updated = await this.dataSource.transaction(async (manager) => {
      // Every query goes through this transaction's manager: the embedded database serializes transactions.
      const current = await manager
        .getRepository(JobEntity)
        .createQueryBuilder('job')
        .setLock('pessimistic_write')
        .where('job.id = :id', { id })
        .getOne();
      if (current === null) throw new NotFoundException(`Job ${id} not found`);
      const scenesCompleted = dto.scenesCompleted ?? current.scenesCompleted;
      const scenesTotal = dto.scenesTotal ?? current.scenesTotal;
      if (scenesCompleted > scenesTotal) {
        throw new BadRequestException(`scenesCompleted (${scenesCompleted}) would exceed scenesTotal (${scenesTotal})`);
      }
      const result = await manager
        .createQueryBuilder()
        .update(JobEntity)
        .set({
          status: dto.status ?? current.status,
          currentStage: dto.currentStage === undefined ? current.currentStage : dto.currentStage,
          scenesCompleted,
          scenesTotal,
          version: () => 'version + 1',
          updatedAt: () => 'now()',
        })
        .where('id = :id', { id })
        .returning('*')
        .execute();
      const job = jobFromRow((result.raw as JobRow[])[0]);
      // Deferred by the repository to after the COMMIT: a rolled-back update never reaches the cache.
      await this.jobs.written(job, manager);
      return job;
    });
    return toJobResponse(updated);
  }

  /** Deletes the job and leaves a versioned tombstone, so no in-flight fill can bring it back. */
  async delete(id: number): Promise<void> {
    const result = await this.jobs.repository.createQueryBuilder().delete().from(JobEntity).where('id = :id', { id }).returning('*').execute();
    const row = (result.raw as JobRow[])[0];
    if (row === undefined) throw new NotFoundException(`Job ${id} not found`);
    await this.jobs.removed(jobFromRow(row));
  }

  private async loadPage(clientId: string | undefined, limit: number, beforeId: number | undefined): Promise<JobListResponse> {
    const query = this.jobs.repository.createQueryBuilder('job').orderBy('job.id', 'DESC').limit(limit + 1);
    if (clientId !== undefined) query.andWhere('job.clientId = :clientId', { clientId });
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
