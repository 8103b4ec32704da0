// Which commit a run measured, so every report can name it. Taken when the run starts, from git.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** What the harness itself writes: changes there do not make the measured code differ from the commit. */
const OUTPUTS = ['BENCHMARKS.md', 'bench/results/', 'bench/plots/'];

function git(args) {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * The checked-out commit: `{ sha, subject, dirty }`, where `dirty` lists tracked files changed since it (the
 * harness's own outputs aside); `{ unknown }` with the reason when git cannot tell (no repository, no git).
 */
export function describeCommit() {
  try {
    const sha = git(['rev-parse', 'HEAD']);
    const subject = git(['log', '-1', '--format=%s']);
    const dirty = git(['status', '--porcelain', '--untracked-files=no']).split('\n').filter(Boolean)
      .map((line) => line.slice(3)).filter((path) => !OUTPUTS.some((o) => path.startsWith(o)));
    return { sha, subject, dirty };
  } catch (error) {
    return { unknown: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}

/**
 * For a stored run that predates commit recording: the commit that added its results file (the measured
 * code is that commit's parent or older, so this is where to look, not what was measured).
 */
export function commitThatAdded(resultsFile) {
  try {
    const line = git(['log', '--diff-filter=A', '--format=%h %s', '--', resultsFile]).split('\n').pop();
    return line ? { short: line.slice(0, line.indexOf(' ')), subject: line.slice(line.indexOf(' ') + 1) } : undefined;
  } catch (error) {
    return { unknown: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}

/** A short label for plot subtitles. */
export function commitLabel(run) {
  const c = run.commit;
  if (c?.sha) return `commit ${c.sha.slice(0, 12)}${c.dirty.length ? ' + uncommitted changes' : ''}`;
  if (c?.unknown) return 'commit unknown';
  const added = run.resultsFile ? commitThatAdded(run.resultsFile) : undefined;
  return `commit not recorded${added?.short ? ` (results committed in ${added.short})` : ''}`;
}

/** One line for reports. */
export function commitLine(run) {
  const c = run.commit;
  if (c?.sha) return `commit ${c.sha.slice(0, 12)} (“${c.subject}”)${c.dirty.length ? ` plus uncommitted changes to ${c.dirty.join(', ')}` : ''}`;
  if (c?.unknown) return `commit unknown (${c.unknown})`;
  const added = run.resultsFile ? commitThatAdded(run.resultsFile) : undefined;
  return `commit not recorded (the run predates commit recording)${added?.short ? `; its results were committed in ${added.short} (“${added.subject}”)` : ''}`;
}
