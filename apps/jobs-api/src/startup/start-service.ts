import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../config/load-config.js';
import { configureApp, createFastifyAdapter } from '../http/configure-app.js';
import { PinoNestLogger } from '../logging/pino-nest-logger.js';
import { createRootLogger } from '../logging/root-logger.js';
import { asPortInUse } from './assert-port-free.js';

/** A boot error Nest's ExceptionHandler already logged through our logger: not to be reported twice. */
export class BootFailedError extends Error {
  constructor(options: { cause: unknown }) {
    super('Nest failed to boot (logged above)', options);
    this.name = 'BootFailedError';
  }
}

/** Validates `env`, boots the app on Fastify with pino, and listens. Rejects with what stopped it. */
export async function startService(env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const config = loadConfig(env);
  const root = createRootLogger(config);
  const logger = new PinoNestLogger(root);
  // abortOnError false: a failed boot rejects here (Nest has logged it) instead of aborting the process.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(root), { logger, abortOnError: false }).catch(
    (error: unknown) => {
      throw new BootFailedError({ cause: error });
    },
  );
  configureApp(app, config);
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    await app.close();
    throw asPortInUse(error, config.port, config.host);
  }
  logger.log(`Listening on http://${config.host}:${config.port}`, 'JobsApi');
}
