/** A fenced `ts` block of a README that names its file in its first line (`// src/app.module.ts`). */
export interface FileBlock {
  path: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/**
 * The `ts` blocks of `markdown`: those whose first line is `// <relative path>.ts` become files; the lines of
 * any other `ts` block are returned in `unnamed` (a README snippet nobody compiles is not proven).
 */
export function readmeFileBlocks(markdown: string): { files: FileBlock[]; unnamed: number[] } {
  const files: FileBlock[] = [];
  const unnamed: number[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const fence = /^(\s*)```(\w*)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const end = lines.findIndex((line, j) => j > i && line.trim() === '```');
    if (end === -1) break;
    if (fence[2] === 'ts' || fence[2] === 'typescript') {
      const body = lines.slice(i + 1, end);
      const path = /^\/\/ ((?:[\w.-]+\/)*[\w.-]+\.ts)$/.exec(body[0] ?? '')?.[1];
      if (path === undefined || path.split('/').includes('..')) unnamed.push(i + 1);
      else files.push({ path, code: `${body.join('\n')}\n`, line: i + 1 });
    }
    i = end;
  }
  return { files, unnamed };
}
