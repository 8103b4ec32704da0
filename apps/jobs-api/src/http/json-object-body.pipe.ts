import { BadRequestException, type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';

/**
 * A request body, when there is one, must be a JSON object. `ValidationPipe` lets `null` through unvalidated
 * (it only validates objects), so `POST /api/v2/jobs` with the body `null` would otherwise create a job.
 * No body at all stays `undefined`, which a route with only optional fields treats as `{}`.
 */
@Injectable()
export class JsonObjectBodyPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body' || value === undefined) return value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new BadRequestException('The request body must be a JSON object');
    }
    return value;
  }
}
