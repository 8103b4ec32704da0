import type { CopyProgress } from '../copy/legacy-copier.js';

/**
 * Renders copy progress on a stream: a bar rewritten in place on a terminal, or (logs, CI) one plain
 * line at most every `everyMs`. Counts only — never a key or a value.
 */
export class ProgressLine {
  private lastAt = 0;
  private drawn = false;

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean }, private readonly everyMs = 1000) {}

  /** Draws `p` (throttled unless `force`). */
  update(p: CopyProgress, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastAt < (this.out.isTTY ? 100 : this.everyMs)) return;
    this.lastAt = now;
    const line = formatProgress(p);
    if (this.out.isTTY) {
      this.out.write(`\r${line}\u001b[K`);
      this.drawn = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Ends the bar's line so later output starts on a fresh one. */
  end(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

/** `[########------] 12 000/50 000  copied 11 800  expired 150  present 50  failed 0  4 100/s` */
export function formatProgress(p: CopyProgress): string {
  const width = 24;
  const ratio = p.total ? Math.min(1, p.scanned / p.total) : 0;
  const filled = Math.round(ratio * width);
  const bar = p.total ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : '';
  const of = p.total ? `/${p.total}` : '';
  return `${bar}${p.scanned}${of}  copied ${p.copied}  expired ${p.skippedExpired}  present ${p.skippedPresent}  failed ${p.failed}  ${p.perSecond}/s`;
}
