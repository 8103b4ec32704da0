/**
 * Puts `password` into `url`, percent-encoded (so `@`, `#`, `/`, `:` and `%` survive), for
 * `DATABASE_PASSWORD` / `REDIS_PASSWORD`: an orchestrator can pass a password as it is instead of pasting it
 * into a URL, where one `@` or `#` breaks the URL. Returns `url` unchanged when there is no password to add.
 * A URL that already holds a password, and a separate one too, is ambiguous: the caller reports it.
 */
export function withPassword(url: string | undefined, password: string | undefined): string | undefined {
  if (url === undefined || password === undefined) return url;
  const parsed = new URL(url);
  // The setter encodes `@`, `#`, `/` and `:` but takes `%` as the start of an escape: encode it all first.
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** Whether `url` parses and already carries a password. */
export function hasPassword(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    return new URL(url).password !== '';
  } catch {
    // Malformed: the URL's own validation reports it.
    return false;
  }
}

/** Whether {@link withPassword} can put a password into `url`: it parses as one URL (one host). */
export function acceptsPassword(url: string): boolean {
  try {
    return new URL(url).hostname !== '';
  } catch {
    // A multi-host form (`redis+sentinel://s1:26379,s2:26379/…`) is not one URL.
    return false;
  }
}
