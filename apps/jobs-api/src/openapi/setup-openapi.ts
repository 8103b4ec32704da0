import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { describeRoutes } from './route-docs.js';

/** Where the document and its UI are served (public, like `/health`: they describe, they do not answer). */
export const OPENAPI_JSON_PATH = '/openapi.json';
export const OPENAPI_UI_PATH = '/docs';

/**
 * OpenAPI 3.1 built from the app's routes by `@nestjs/swagger`, served as JSON at `/openapi.json` with the
 * Swagger UI at `/docs`. Call before `init`.
 */
export function setupOpenApi(app: NestFastifyApplication): void {
  describeRoutes();
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('jobs-api')
    .setDescription(
      'Job progress for polling clients, cached in two tiers (in-process and Redis). Every route but the operations ones takes ' +
        '`Authorization: Bearer <token>`. Every answer carries `X-Request-Id` (the caller’s, or a generated one).',
    )
    .setVersion('2')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A client token (AUTH_TOKENS) or the admin token (ADMIN_TOKEN)' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup(OPENAPI_UI_PATH.slice(1), app, document, { jsonDocumentUrl: OPENAPI_JSON_PATH.slice(1), raw: ['json'] });
}
