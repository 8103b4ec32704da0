import { IsIn, IsInt, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { JOB_STATUSES, type JobStatus } from '../job-status.js';
import { MAX_SCENES } from './create-job.dto.js';

/** Validate a field only when present: `null` is still validated (and refused) except where allowed. */
const whenPresent = ValidateIf((_object: object, value: unknown) => value !== undefined);

/** Body of `PATCH /api/v2/jobs/:id/progress`: any subset of these fields, at least one. */
export class UpdateProgressDto {
  @whenPresent
  @IsIn(JOB_STATUSES)
  status?: JobStatus;

  /** `null` clears the stage. */
  @ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null)
  @IsString()
  @MaxLength(200)
  currentStage?: string | null;

  @whenPresent
  @IsInt()
  @Min(0)
  @Max(MAX_SCENES)
  scenesCompleted?: number;

  @whenPresent
  @IsInt()
  @Min(0)
  @Max(MAX_SCENES)
  scenesTotal?: number;
}
