import { sql } from '../jobs-db.js';
import { sleep } from '../wait.js';
import { isAck, type WriteRecord } from './history.js';
import { type HttpTarget, RecordedHttp } from './recorded-http.js';

/** How much traffic a case runs, and where. */
export interface TrafficOptions {
  http: RecordedHttp;
  databaseUrl: string;
  /** Instances pollers run on (read each time: instances join and leave during a case). */
  readTargets: () => readonly HttpTarget[];
  /** Instances writes go through, in turn. */
  writeTargets: () => readonly HttpTarget[];
  pollersPerInstance: number;
  /** Pause between two polls of one poller, ms. */
  pollThinkMs: number;
  /** Writer loops; each owns its jobs, so a refusal can be checked against the row exactly. */
  writers: number;
  jobsPerWriter: number;
  writeThinkMs: number;
  /** Every n-th write of a writer deletes its job and creates another in its place. */
  deleteEvery: number;
}

/** Never created: a poll of it must be a 404. */
const NEVER_CREATED_ID = 2_000_000_000;

/**
 * The load of a fault case: pollers on every instance (job polls, conditional polls with the last ETag,
 * list pages, ids never created) and writers (updates; every n-th write a delete, then a create). After
 * every acknowledged write the writer reads the job on every instance at once (and the list after a create
 * or a delete): the reads most likely to catch "acknowledged, then stale". Everything goes into the history.
 */
export class JobsTraffic {
  private running = false;
  private readonly loops: Array<Promise<void>> = [];
  private readonly pollers = new Map<string, number>();
  /** Jobs a writer currently owns (live or being replaced), by writer. */
  private readonly owned: number[][] = [];
  /** Every id ever created, for polls of deleted jobs. */
  private readonly known: number[] = [];
  /** The version each owned job has in PostgreSQL, as far as the writers know (acknowledged or re-read). */
  private readonly versions = new Map<number, number | undefined>();
  private supervisor?: NodeJS.Timeout;
  private titles = 0;

  constructor(private readonly o: TrafficOptions) {}

  /** Creates every writer's jobs (through the write targets) and reads each once on every instance. */
  async seed(): Promise<void> {
    for (let w = 0; w < this.o.writers; w++) {
      this.owned.push([]);
      for (let j = 0; j < this.o.jobsPerWriter; j++) {
        const created = await this.create(this.o.writeTargets()[j % this.o.writeTargets().length], w);
        if (created === undefined) throw new Error('the seed create was not acknowledged');
        this.owned[w].push(created);
      }
    }
    for (const t of this.o.readTargets()) for (const id of this.liveIds()) await this.o.http.readJob(t, id);
  }

  /** Starts pollers and writers; pollers follow instances that join. */
  start(): void {
    this.running = true;
    for (let w = 0; w < this.o.writers; w++) this.loops.push(this.writer(w));
    const staff = (): void => {
      for (const t of this.o.readTargets()) {
        for (let p = this.pollers.get(t.name) ?? 0; p < this.o.pollersPerInstance; p++) this.loops.push(this.poller(t));
        this.pollers.set(t.name, this.o.pollersPerInstance);
      }
    };
    staff();
    this.supervisor = setInterval(staff, 100);
  }

  /** Stops every loop and waits for their last requests. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.supervisor);
    await Promise.all(this.loops);
  }

  /** Ids of the jobs writers own now. */
  liveIds(): number[] {
    return this.owned.flat().filter((id) => id >= 0);
  }

  /** Every id ever created. */
  knownIds(): number[] {
    return [...this.known];
  }

  private async poller(target: HttpTarget): Promise<void> {
    const etags = new Map<number, string>();
    while (this.running && target.alive) {
      const dice = Math.random();
      // With no job (every create refused so far) there is only the list to read.
      if (dice < 0.1 || this.known.length === 0) await this.o.http.readList(target);
      else if (dice < 0.13) await this.o.http.readJob(target, NEVER_CREATED_ID + Math.floor(Math.random() * 1000));
      else {
        const live = this.liveIds();
        const pool = dice < 0.85 && live.length > 0 ? live : this.known;
        const id = pool[Math.floor(Math.random() * pool.length)];
        const conditional = Math.random() < 0.3 ? etags.get(id) : undefined;
        const read = await this.o.http.readJob(target, id, conditional);
        if (read.etag !== undefined) etags.set(id, read.etag);
      }
      await sleep(this.o.pollThinkMs);
    }
  }

  private async writer(w: number): Promise<void> {
    for (let step = 0; this.running; step++) {
      const slot = step % this.owned[w].length;
      const targets = this.o.writeTargets();
      const target = targets[step % targets.length];
      if (target === undefined) {
        await sleep(50);
        continue;
      }
      const id = this.owned[w][slot];
      if (id < 0) this.owned[w][slot] = (await this.create(target, w)) ?? -1;
      else if (step % this.o.deleteEvery === this.o.deleteEvery - 1) {
        if (await this.delete(target, id)) this.owned[w][slot] = (await this.create(targets[(step + 1) % targets.length] ?? target, w)) ?? -1;
      } else await this.update(target, id, step);
      await sleep(this.o.writeThinkMs);
    }
  }

  /** Reads `id` on every instance at once (and the list when `list`), right after an acknowledgement. */
  private async probe(id: number, list: boolean): Promise<void> {
    const targets = this.o.readTargets().filter((t) => t.alive);
    await Promise.all(targets.flatMap((t) => [this.o.http.readJob(t, id), ...(list ? [this.o.http.readList(t)] : [])]));
  }

  private async update(target: HttpTarget, id: number, step: number): Promise<void> {
    const record = await this.o.http.update(target, id, step);
    if (isAck(record.status)) {
      this.versions.set(id, record.version);
      await this.probe(id, false);
      return;
    }
    const now = await this.versionInDb(id);
    if (record.status === 503) record.rowUnchanged = now === this.versions.get(id);
    this.versions.set(id, now);
  }

  /** Deletes; returns whether the job is gone (acknowledged, or applied although not acknowledged). */
  private async delete(target: HttpTarget, id: number): Promise<boolean> {
    const record = await this.o.http.delete(target, id);
    if (isAck(record.status)) {
      this.versions.delete(id);
      await this.probe(id, true);
      return true;
    }
    const now = await this.versionInDb(id);
    if (record.status === 503) record.rowUnchanged = now !== undefined && now === this.versions.get(id);
    this.versions.set(id, now);
    return now === undefined;
  }

  /** Creates a job for writer `w`; returns its id, or `undefined` if none was acknowledged. */
  private async create(target: HttpTarget, w: number): Promise<number | undefined> {
    const title = `fault-w${w}-${(this.titles += 1)}-${Math.random().toString(36).slice(2, 8)}`;
    const record: WriteRecord = await this.o.http.create(target, title);
    if (isAck(record.status) && record.job >= 0) {
      this.known.push(record.job);
      this.versions.set(record.job, record.version);
      await this.probe(record.job, true);
      return record.job;
    }
    const rows = await sql<{ id: string; version: number }>(this.o.databaseUrl, 'SELECT id, version FROM jobs WHERE title = $1', [title]);
    if (record.status === 503) record.rowUnchanged = rows.length === 0;
    if (rows.length === 0) return undefined;
    // Applied but not acknowledged: keep writing it (the checker does not count it as created).
    const id = Number(rows[0].id);
    this.known.push(id);
    this.versions.set(id, rows[0].version);
    return id;
  }

  /** The row's version in PostgreSQL (`undefined`: no row). */
  private async versionInDb(id: number): Promise<number | undefined> {
    const rows = await sql<{ version: number }>(this.o.databaseUrl, 'SELECT version FROM jobs WHERE id = $1', [id]);
    return rows[0]?.version;
  }
}
