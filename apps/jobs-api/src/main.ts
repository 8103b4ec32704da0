import 'reflect-metadata';
import { envSchema } from './config/app-config.schema.js';
import { assertPortFree } from './startup/assert-port-free.js';
import { reportStartupFailure } from './startup/report-startup-failure.js';

// The only place that reads process.env. Before the config is valid, production is read off it directly:
// a refused production start must still say why in JSON.
const json = process.env.NODE_ENV === 'production';

try {
  // A taken port is reported before the app's modules load (about a second of the boot on a busy machine).
  const address = envSchema.pick({ PORT: true, HOST: true }).safeParse(process.env);
  if (address.success) await assertPortFree(address.data.PORT, address.data.HOST);
  const { BootFailedError, startService } = await import('./startup/start-service.js');
  await startService(process.env).catch((error: unknown) => {
    // Nest logged its own boot failure through our logger; leave without a second report.
    if (error instanceof BootFailedError) process.exit(1);
    throw error;
  });
} catch (error) {
  reportStartupFailure(error, json);
  process.exit(1);
}
