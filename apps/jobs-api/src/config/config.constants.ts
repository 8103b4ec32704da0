/** Injection token of the validated {@link AppConfig}. */
export const APP_CONFIG = 'JOBS_API:CONFIG';
