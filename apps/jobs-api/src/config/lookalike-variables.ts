import leven from 'leven';

/** Names shorter than this are too short to guess at (`HOST` is two edits from `HOME`). */
const MIN_GUESSABLE_LENGTH = 8;
/** At most this many edits away from one of ours: a typo, not another program's variable. */
const MAX_EDITS = 2;

/**
 * Environment variables that look like a misspelling of one of ours (`REDIS_ULR`, `DATABSE_URL`,
 * `CACHE_PREFX`): a name we do not read, within two edits of one we do. Kubernetes' service links
 * (`REDIS_PORT`, `REDIS_SERVICE_HOST`) and other programs' variables are further away and are left alone.
 * Each result names the variable and its likely meaning, never its value.
 */
export function lookalikeVariables(env: Readonly<Record<string, string | undefined>>, known: readonly string[]): string[] {
  const ours = new Set(known);
  const found: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (ours.has(name) || name.length < MIN_GUESSABLE_LENGTH) continue;
    let best: { name: string; edits: number } | undefined;
    for (const candidate of known) {
      if (candidate.length < MIN_GUESSABLE_LENGTH) continue;
      const edits = leven(name, candidate);
      if (edits <= MAX_EDITS && (best === undefined || edits < best.edits)) best = { name: candidate, edits };
    }
    if (best !== undefined) found.push(`${name}: not a variable of this service; did you mean ${best.name}?`);
  }
  return found;
}
