/** One fault case's row of the coherence matrix in RELIABILITY.md (issue 10). */
export interface CoherenceRow {
  /** Case id, e.g. `1a`: the fault's number in issue 10 and a letter. */
  case: string;
  /** The fault, in a few words. */
  fault: string;
  reads: number;
  stale: number;
  deletedServed: number;
  failed: number;
  acked: number;
  writeP99Ms: number;
  writeMaxMs: number;
  refused: number;
}

const caseOrder = (id: string): [number, string] => [Number.parseInt(id, 10) || 99, id];

/** The matrix: fault × (reads checked, stale, deleted served, failed, write latency p99, writes refused). */
export function renderCoherenceMatrix(rows: ReadonlyArray<{ row: CoherenceRow; holds: boolean; variant: string; at: string }>): string[] {
  if (rows.length === 0) return [];
  const sorted = [...rows].sort((a, b) => {
    const [na, ia] = caseOrder(a.row.case);
    const [nb, ib] = caseOrder(b.row.case);
    return na - nb || ia.localeCompare(ib);
  });
  return [
    '## Coherence under Redis faults (issue 10)',
    '',
    'Every row is a fault case of `test/chaos/coherence-*.e2e-spec.ts`: separate app processes, each behind its own',
    'TCP proxy, one PostgreSQL, a password-protected test-owned Redis; every read and write recorded and checked',
    '(`test/support/coherence/history-checker.ts`). Stale = a read that started after an acknowledged write and',
    'returned an older version (or a list missing an acknowledged job); failed = a poll answered with anything',
    'but 200/304/404, a network error, or a 404 for a live job.',
    '',
    '| # | Fault | Reads checked | Stale | Deleted served | Failed | Writes acked | Write p99 (max) | Writes refused | Holds | Run |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ...sorted.map(({ row: r, holds, variant, at }) =>
      `| ${r.case} | ${r.fault.replace(/\|/g, '\\|')} | ${r.reads} | ${r.stale} | ${r.deletedServed} | ${r.failed} | ${r.acked} | ${r.writeP99Ms.toFixed(0)} ms (${r.writeMaxMs.toFixed(0)}) | ${r.refused} | ${holds ? 'yes' : '**NO**'} | ${variant}, ${at.slice(0, 16).replace('T', ' ')} |`,
    ),
    '',
  ];
}
