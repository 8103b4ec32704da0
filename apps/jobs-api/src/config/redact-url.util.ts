/**
 * Renders a connection URL for a log line or an error: scheme, host, port and path only. The user name is
 * kept (it helps diagnose), the password and query string (which may carry one) never are.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // An unparsable URL may still contain a password: say nothing about it beyond that it is malformed.
    return '<malformed url>';
  }
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
  const port = parsed.port ? `:${parsed.port}` : '';
  return `${parsed.protocol}//${user}${parsed.hostname}${port}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/** Removes every password-bearing URL from free text (driver error messages sometimes echo them). */
export function redactSecretsIn(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^:/@\s]*):([^@\s]*)@/gi, '$1$2:***@');
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}
