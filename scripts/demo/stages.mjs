// The stages a simulated render job goes through: each step is one PATCH /api/v2/jobs/:id/progress body.

/** Titles and scene counts of the jobs the demo creates (different lengths, so the bars move apart). */
export const DEMO_JOBS = [
  { title: 'Teaser', scenesTotal: 5 },
  { title: 'Product launch', scenesTotal: 8 },
  { title: 'Onboarding tour', scenesTotal: 6 },
  { title: 'Release notes', scenesTotal: 4 },
  { title: 'Customer story', scenesTotal: 10 },
];

/**
 * Every progress update of a job with `scenesTotal` scenes, from picking it up to completing it:
 * preparing, one update per rendered scene, encoding, completed.
 * @param {number} scenesTotal
 * @returns {Array<Record<string, unknown>>}
 */
export function stagesOf(scenesTotal) {
  const steps = [{ status: 'running', currentStage: 'preparing', scenesCompleted: 0 }];
  for (let scene = 1; scene <= scenesTotal; scene++) steps.push({ currentStage: 'rendering', scenesCompleted: scene });
  steps.push({ currentStage: 'encoding' }, { status: 'completed', currentStage: null });
  return steps;
}
