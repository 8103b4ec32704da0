// The page: sign in when the API wants a token (nothing to type while auth is off), then the caller's jobs
// with live progress and a create form; the cache panel runs from public endpoints either way.

import { createApi, UnauthorizedError } from './api.js';
import { startCachePanel } from './cache-panel.js';
import { wireCreateForm } from './create-form.js';
import { TRANSPORT_LABEL } from './job-feed.js';
import { JobsBoard } from './jobs-board.js';
import { forgetToken, readToken, saveToken } from './token-store.js';

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
function byId(id) {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`#${id} is missing from index.html`);
  return /** @type {T} */ (node);
}

const gate = byId('token-gate');
const tokenForm = /** @type {HTMLFormElement} */ (byId('token-form'));
const tokenError = byId('token-error');
const jobsSection = byId('jobs');
const forgetButton = byId('forget-token');

const api = createApi(readToken);
const board = new JobsBoard(api, byId('job-list'), byId('jobs-empty'), onApiError);

/** @param {unknown} error */
function onApiError(error) {
  if (error instanceof UnauthorizedError) return signOut('The API no longer accepts this token.');
  console.warn(error);
}

/** @param {string} message */
function signOut(message) {
  board.stop();
  forgetToken();
  jobsSection.hidden = true;
  forgetButton.hidden = true;
  gate.hidden = false;
  tokenError.textContent = message;
}

/** Shows the jobs if the API answers with the current token (or without one, while auth is off). */
function enter() {
  tryEnter().catch((/** @type {unknown} */ error) => {
    console.warn(error);
    tokenError.textContent = 'The API did not answer; trying again in 3 s.';
    setTimeout(enter, 3000);
  });
}

async function tryEnter() {
  try {
    const probe = await api.get('/api/v2/jobs?limit=1');
    if (probe.status !== 200) throw new Error(`GET /api/v2/jobs answered ${probe.status}`);
  } catch (error) {
    if (error instanceof UnauthorizedError) {
      signOut(readToken() === null ? '' : 'The API refused this token.');
      return;
    }
    throw error;
  }
  gate.hidden = true;
  jobsSection.hidden = false;
  forgetButton.hidden = readToken() === null;
  board.start();
}

tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = String(new FormData(tokenForm).get('token') ?? '').trim();
  saveToken(token);
  tokenForm.reset();
  enter();
});
forgetButton.addEventListener('click', () => signOut(''));
wireCreateForm(/** @type {HTMLFormElement} */ (byId('create-form')), byId('create-error'), api, (job) => board.add(job), onApiError);

byId('transport').textContent = `Live progress: ${TRANSPORT_LABEL}`;
startCachePanel({
  panel: byId('cache-panel'), chart: byId('cache-chart'), redis: byId('redis-state'), circuit: byId('circuit-state'),
  hitRate: byId('hit-rate'), loadRate: byId('load-rate'),
});
enter();
