import { ApiProperty } from '@nestjs/swagger';
import { JOB_STATUSES, type JobStatus } from '../jobs/job-status.js';

// Response and body shapes for the OpenAPI document. The runtime types are the DTOs and interfaces in
// jobs/; test/openapi.e2e-spec.ts checks real responses against these, so the two cannot drift apart.

const nullable = (type: 'string' | 'integer') => ({ oneOf: [{ type }, { type: 'null' }] });

export class JobProgressSchema {
  @ApiProperty({ ...nullable('string'), description: 'Free text set by the worker; null when cleared' }) currentStage: string | null;
  @ApiProperty({ type: 'integer', minimum: 0 }) scenesCompleted: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) scenesTotal: number;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100, description: '⌊100 × scenesCompleted / scenesTotal⌋; 100 for a completed job without scenes, else 0' })
  percent: number;
}

export class JobSchema {
  @ApiProperty({ type: 'integer', minimum: 1 }) id: number;
  @ApiProperty({ type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }) clientId: string;
  @ApiProperty({ type: 'string', maxLength: 200 }) title: string;
  @ApiProperty({ enum: JOB_STATUSES }) status: JobStatus;
  @ApiProperty({ type: JobProgressSchema }) progress: JobProgressSchema;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'Starts at 1, grows by exactly 1 per accepted update' }) version: number;
  @ApiProperty({ type: 'string', format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) updatedAt: string;
}

export class JobListSchema {
  @ApiProperty({ type: [JobSchema] }) items: JobSchema[];
  @ApiProperty({ ...nullable('string'), description: 'Pass back as `cursor` for the next page; null on the last page' }) nextCursor: string | null;
}

export class CreateJobSchema {
  @ApiProperty({ type: 'string', minLength: 1, maxLength: 200, required: false, default: 'Untitled job' }) title?: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 2_147_483_647, required: false, default: 0 }) scenesTotal?: number;
  @ApiProperty({ type: 'string', required: false, description: 'Admin only: the client the job belongs to (a client may only name itself)' }) clientId?: string;
}

export class UpdateProgressSchema {
  @ApiProperty({ enum: JOB_STATUSES, required: false }) status?: JobStatus;
  @ApiProperty({ ...nullable('string'), required: false, description: 'null clears the stage' }) currentStage?: string | null;
  @ApiProperty({ type: 'integer', minimum: 0, required: false }) scenesCompleted?: number;
  @ApiProperty({ type: 'integer', minimum: 0, required: false }) scenesTotal?: number;
}

export class ErrorSchema {
  @ApiProperty({ type: 'integer' }) statusCode: number;
  @ApiProperty({ type: 'string' }) error: string;
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }) message: string | string[];
}

export class LivenessSchema {
  @ApiProperty({ enum: ['up'] }) status: 'up';
  @ApiProperty({ type: 'object', properties: { p99: { type: 'number' }, max: { type: 'number' } }, required: ['p99', 'max'] })
  eventLoopDelayMs: { p99: number; max: number };
}

export class NotLiveSchema {
  @ApiProperty({ enum: ['down'] }) status: 'down';
  @ApiProperty({ type: 'object', properties: { p99: { type: 'number' }, max: { type: 'number' } }, required: ['p99', 'max'] })
  eventLoopDelayMs: { p99: number; max: number };
  @ApiProperty({ example: 'event-loop delay p99 above 1000 ms' }) message: string;
}

export class ReadinessSchema {
  @ApiProperty({ type: 'boolean' }) ready: boolean;
  @ApiProperty({ enum: ['ready', 'not-ready', 'draining'] }) status: string;
  @ApiProperty({ enum: ['up', 'down'] }) database: string;
  @ApiProperty({ enum: ['redis', 'memory-only', 'redis-unavailable'] }) cache: string;
}
