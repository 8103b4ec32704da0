import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { JOB_STATUSES, type JobStatus } from '../job-status.js';

/** Query strings are strings: convert only plain decimals, leave anything else for `IsInt` to refuse. */
function toDecimalInt({ value }: { value: unknown }): unknown {
  return typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
}

/** Query of `GET /api/v2/jobs`. */
export class ListJobsQuery {
  @IsOptional()
  @Transform(toDecimalInt)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** Only jobs in this status (`queued`, `running`, `completed`, `failed`); anything else is a `400`. */
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: JobStatus;

  /** Opaque: `nextCursor` of the previous page. */
  @IsOptional()
  @IsString()
  cursor?: string;
}
