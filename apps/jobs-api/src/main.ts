import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.types.js';
import { ConfigValidationError } from './config/config-validation.error.js';
import { loadConfig } from './config/load-config.js';
import { configureApp, createFastifyAdapter } from './http/configure-app.js';

/** The only place that reads process.env; a bad environment stops the start with every problem listed. */
function configFromEnv(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const config = configFromEnv();

const logger = new ConsoleLogger('JobsApi', { logLevels: config.logLevels, json: config.nodeEnv === 'production' });
const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(), { logger });
configureApp(app, config);
await app.listen(config.port, config.host);
logger.log(`Listening on http://${config.host}:${config.port}`);
