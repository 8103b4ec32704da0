// The traffic of the dashboard snapshot: what operators see on a normal day, and one Redis freeze.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(base, method, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Runs `seconds` of load: `pollers` clients polling their jobs, a worker updating them, a few misses,
 * list pages, and one runaway poller over its rate limit. `phase(t)` is called every second.
 */
export async function runLoad({ base, tokens, seconds, pollers = 8, phase }) {
  const jobs = [];
  for (let i = 0; i < 40; i++) jobs.push((await call(base, 'POST', '/api/v2/jobs', tokens.client, { title: `render ${i}`, scenesTotal: 20 })).body.id);
  const end = Date.now() + seconds * 1000;
  let stop = false;
  const poll = async () => {
    while (!stop) {
      const id = jobs[Math.floor(Math.random() * jobs.length)];
      await call(base, 'GET', `/api/v2/jobs/${Math.random() < 0.03 ? id + 100_000 : id}`, tokens.client).catch(() => undefined);
      if (Math.random() < 0.05) await call(base, 'GET', '/api/v2/jobs?limit=20', tokens.client).catch(() => undefined);
      await sleep(5);
    }
  };
  const work = async () => {
    let step = 0;
    while (!stop) {
      const id = jobs[step % jobs.length];
      await call(base, 'PATCH', `/api/v2/jobs/${id}/progress`, tokens.admin, { status: 'running', scenesCompleted: Math.floor(step / jobs.length) % 21 }).catch(() => undefined);
      step += 1;
      await sleep(100);
    }
  };
  const runaway = async () => {
    while (!stop) {
      await call(base, 'GET', `/api/v2/jobs/${jobs[0]}`, tokens.runaway).catch(() => undefined);
      await sleep(10);
    }
  };
  const clock = async () => {
    const started = Date.now();
    while (Date.now() < end) {
      await phase?.(Math.floor((Date.now() - started) / 1000));
      await sleep(1000);
    }
    stop = true;
  };
  await Promise.all([clock(), work(), runaway(), ...Array.from({ length: pollers }, poll)]);
}
