import { IsInt, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { CLIENT_ID_PATTERN } from '../../config/app-config.schema.js';

/** Largest value of a PostgreSQL `integer` column: beyond it the insert would fail with a 500. */
export const MAX_SCENES = 2_147_483_647;

/** Optional, but `null` is not "absent": it is validated, and refused. */
const whenPresent = ValidateIf((_object: object, value: unknown) => value !== undefined);

/** Body of `POST /api/v2/jobs`. Types are strict: `"5"` for a number is a 400. */
export class CreateJobDto {
  @whenPresent
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title?: string;

  @whenPresent
  @IsInt()
  @Min(0)
  @Max(MAX_SCENES)
  scenesTotal?: number;

  /** Admin only: the client the job belongs to. */
  @whenPresent
  @IsString()
  @Matches(CLIENT_ID_PATTERN, { message: 'clientId must be 1–64 of A–Z a–z 0–9 . _ - (starting with a letter or digit)' })
  clientId?: string;
}
