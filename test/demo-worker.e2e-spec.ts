import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auth, type ListeningApp, startListeningApp } from './support/listening-app.js';
import { runDemo } from './support/demo-worker.js';
import { TOKENS } from './support/app-harness.js';

interface Job {
  id: number;
  clientId: string;
  status: string;
  version: number;
  progress: { currentStage: string | null; scenesCompleted: number; scenesTotal: number; percent: number };
}

/** `npm run demo`: a simulated worker that moves jobs through their stages on a real app (auth on). */
describe('npm run demo', () => {
  let h: ListeningApp;

  beforeAll(async () => {
    h = await startListeningApp();
  });
  afterAll(async () => {
    await h?.close();
  });

  const listOf = async (who: 'acme' | 'admin'): Promise<Job[]> => {
    const answer = await h.client.send('GET', '/api/v2/jobs?limit=100', { headers: auth(who) });
    expect(answer.status).toBe(200);
    return (JSON.parse(answer.body) as { items: Job[] }).items;
  };

  it('creates jobs for the client and advances each through every stage to completed', async () => {
    const run = await runDemo(['--url', h.baseUrl, '--jobs', '3', '--step-ms', '20', '--client', 'acme'], { env: { ADMIN_TOKEN: TOKENS.admin } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const jobs = await listOf('acme');
    expect(jobs).toHaveLength(3);
    for (const job of jobs) {
      expect(job).toMatchObject({ clientId: 'acme', status: 'completed', progress: { currentStage: null, percent: 100 } });
      expect(job.progress.scenesCompleted).toBe(job.progress.scenesTotal);
      // Created (v1), then preparing, one update per scene, encoding, completed: one version each.
      expect(job.version).toBe(1 + 1 + job.progress.scenesTotal + 2);
    }
    expect(run.stdout).toContain('every job completed');
  });

  it('advances existing jobs given with --job, through another caller than the owner', async () => {
    const created = await h.client.send('POST', '/api/v2/jobs', { headers: auth('acme'), body: { title: 'mine', scenesTotal: 2 } });
    const id = (JSON.parse(created.body) as Job).id;
    const run = await runDemo(['--url', h.baseUrl, '--job', String(id), '--step-ms', '20', '--token', TOKENS.admin]);
    expect(run.code).toBe(0);
    const job = (await listOf('acme')).find((j) => j.id === id);
    expect(job).toMatchObject({ status: 'completed', version: 1 + 1 + 2 + 2, progress: { scenesCompleted: 2, percent: 100 } });
  });

  it('says what to do, and changes nothing, without the admin token or a client', async () => {
    const before = await listOf('admin');
    const noToken = await runDemo(['--url', h.baseUrl, '--step-ms', '20']);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('pass --token <ADMIN_TOKEN> or set ADMIN_TOKEN');
    const acmeJob = (await listOf('acme'))[0];
    const clientToken = await runDemo(['--url', h.baseUrl, '--step-ms', '20', '--token', TOKENS.acme, '--job', String(acmeJob.id)]);
    expect(clientToken.code).toBe(1);
    expect(clientToken.stderr).toContain('not the admin token');
    const noClient = await runDemo(['--url', h.baseUrl, '--step-ms', '20', '--token', TOKENS.admin]);
    expect(noClient.code).toBe(1);
    expect(noClient.stderr).toContain('pass --client <clientId>');
    expect(await listOf('admin')).toEqual(before);
  });

  it('says so when no service answers at --url', async () => {
    const run = await runDemo(['--url', 'http://127.0.0.1:1', '--step-ms', '20']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^demo: cannot reach http:\/\/127\.0\.0\.1:1 .*is the service running\? \(npm start\)\n$/);
  });

  it('refuses bad options with the usage line', async () => {
    const run = await runDemo(['--jobs', '99']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--jobs must be 1-5');
    expect(run.stderr).toContain('usage: npm run demo');
  });
});
