import { Body, Controller, Delete, Get, Header, HttpCode, Patch, Post, Query, UseGuards, UseInterceptors } from '@nestjs/common';
import { type CachedResource, CacheFastPath, CacheFromEntry, CacheInterceptor } from 'nestjs-tiered-cache';
import { AdminOnly, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.types.js';
import { CreateJobDto } from './dto/create-job.dto.js';
import type { JobListResponse, JobResponse } from './dto/job.response.js';
import { ListJobsQuery } from './dto/list-jobs.query.js';
import { PollRateLimitGuard } from '../rate-limit/poll-rate-limit.guard.js';
import { UpdateProgressDto } from './dto/update-progress.dto.js';
import { canSeeJob, type PollRequest } from './job-access.js';
import { JobCachePolicy } from './job-cache-policy.js';
import { JobIdParam } from './job-id.param.js';
import { JobsService } from './jobs.service.js';

/**
 * The jobs API, `/api/v2/jobs`. Reads answer from the job's (or the page's) cache entry through the
 * library's interceptor: `X-Cache`, `ETag`, `Age`, and `304` with no body when `If-None-Match` matches.
 */
@Controller('api/v2/jobs')
@UseInterceptors(CacheInterceptor)
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  create(@Body() dto: CreateJobDto, @CurrentPrincipal() principal: Principal): Promise<JobResponse> {
    return this.jobs.create(dto, principal);
  }

  @Get()
  @UseGuards(PollRateLimitGuard)
  @CacheFromEntry()
  @Header('Cache-Control', 'private, no-cache')
  list(@Query() query: ListJobsQuery, @CurrentPrincipal() principal: Principal): Promise<CachedResource<JobListResponse>> {
    return this.jobs.list(query, principal);
  }

  /**
   * The poll. `private, no-cache` is for shared HTTP caches (per-caller data; clients revalidate with the
   * ETag); the app-level entry is the job itself, and ownership is checked on every request. A fresh hit in
   * this instance's memory that the caller may see is answered before Nest's pipeline (`@CacheFastPath`),
   * once the guard's fast check admitted the caller: the same response, the same ownership rule.
   */
  @Get(':id')
  @UseGuards(PollRateLimitGuard)
  @CacheFastPath<PollRequest, JobResponse>({
    namespace: JobCachePolicy.jobNamespace,
    key: (request) => request.params.id,
    visible: (request, job) => canSeeJob(request.principal, job),
  })
  @Header('Cache-Control', 'private, no-cache')
  get(@JobIdParam() id: number, @CurrentPrincipal() principal: Principal): Promise<CachedResource<JobResponse>> {
    return this.jobs.get(id, principal);
  }

  @Patch(':id/progress')
  @AdminOnly()
  updateProgress(@JobIdParam() id: number, @Body() dto: UpdateProgressDto): Promise<JobResponse> {
    return this.jobs.updateProgress(id, dto);
  }

  @Delete(':id')
  @AdminOnly()
  @HttpCode(204)
  async delete(@JobIdParam() id: number): Promise<void> {
    await this.jobs.delete(id);
  }
}
