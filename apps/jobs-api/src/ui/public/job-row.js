// One job on the page: title, status, stage, scenes and a progress bar, updated in place.

/**
 * The job as the API returns it (README, "The API").
 * @typedef {object} Job
 * @property {number} id
 * @property {string} clientId
 * @property {string} title
 * @property {'queued' | 'running' | 'completed' | 'failed'} status
 * @property {{ currentStage: string | null, scenesCompleted: number, scenesTotal: number, percent: number }} progress
 * @property {number} version
 * @property {string} updatedAt
 */

/** Statuses after which a job normally changes no more. */
export const FINAL_STATUSES = new Set(['completed', 'failed']);

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} className
 * @returns {HTMLElementTagNameMap[K]}
 */
function element(tag, className) {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}

export class JobRow {
  /** @param {Job} job */
  constructor(job) {
    this.version = 0;
    this.item = element('li', 'job');
    this.item.dataset.jobId = String(job.id);
    const heading = element('div', 'job-heading');
    this.title = element('span', 'job-title');
    this.status = element('span', 'job-status');
    heading.append(this.title, this.status);
    this.bar = element('progress', 'job-bar');
    this.bar.max = 100;
    this.detail = element('div', 'job-detail muted');
    this.item.append(heading, this.bar, this.detail);
    this.show(job);
  }

  /**
   * Says how the row's progress arrives (`data-transport`, and the row's tooltip).
   * @param {'stream' | 'polls'} transport
   */
  followedBy(transport) {
    this.item.dataset.transport = transport;
    this.item.title = transport === 'stream' ? 'Progress pushed by the server' : 'Progress polled (the stream is unavailable)';
  }

  /**
   * Shows `job` unless an equal or newer version is already shown (a slow list answer can arrive after a
   * newer poll).
   * @param {Job} job
   * @returns {boolean} whether the row changed
   */
  show(job) {
    if (job.version <= this.version) return false;
    this.version = job.version;
    const { percent, currentStage, scenesCompleted, scenesTotal } = job.progress;
    this.title.textContent = `#${job.id} ${job.title}`;
    this.status.textContent = job.status;
    this.status.dataset.status = job.status;
    this.bar.value = percent;
    this.bar.textContent = `${percent} %`;
    this.bar.setAttribute('aria-label', `${job.title}: ${percent} %`);
    const stage = currentStage ? `${currentStage} · ` : '';
    this.detail.textContent = `${stage}${scenesCompleted}/${scenesTotal} scenes · ${percent} % · v${job.version}`;
    return true;
  }
}
