/** Token of this app's own prom-client `Registry` (not the global one: two apps in one process stay apart). */
export const METRICS_REGISTRY = 'JOBS:METRICS_REGISTRY';
/** Token of the migration metrics' registration (`true` when a namespace migrates and they are exposed). */
export const MIGRATION_METRICS = 'JOBS:MIGRATION_METRICS';
/** Token of the open-event-streams gauge's registration. */
export const STREAM_METRICS = 'JOBS:STREAM_METRICS';
