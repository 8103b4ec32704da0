import type { HttpAnswer, HttpClient } from '../http-load.js';
import { type History, type ListItem, type ReadRecord, versionOfEtag, type WriteKind, type WriteRecord } from './history.js';

/** The bearer tokens every instance of a fault case is configured with. */
export const FAULT_TOKENS = { admin: 'fault-admin-token-0123456789', acme: 'fault-acme-token-0123456789', beta: 'fault-beta-token-0123456789' } as const;

const bearer = (who: keyof typeof FAULT_TOKENS): Record<string, string> => ({ authorization: `Bearer ${FAULT_TOKENS[who]}` });
const READ_TIMEOUT_MS = 5_000;
const WRITE_TIMEOUT_MS = 15_000;

/** What the recorder needs of an instance: a name for the history, a client, and whether the test is stopping it. */
export interface HttpTarget {
  readonly name: string;
  readonly client: HttpClient;
  /** `false` once the test has started stopping the instance on purpose. */
  readonly alive: boolean;
}

const header = (answer: HttpAnswer, name: string): string | undefined => {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function parse(answer: HttpAnswer): unknown {
  try {
    return JSON.parse(answer.body);
  } catch (error) {
    return { unparsable: (error as Error).name };
  }
}

/**
 * The jobs API's reads and writes as the fault suite sends them, each recorded into the history with its
 * start and end (the client `acme` reads; the admin writes progress and deletes; `acme` creates).
 */
export class RecordedHttp {
  constructor(private readonly history: History) {}

  /** `GET /api/v2/jobs/:id` (with `If-None-Match` when `etag` is given); returns the record (with the answer's ETag). */
  async readJob(target: HttpTarget, id: number, etag?: string): Promise<ReadRecord> {
    const start = performance.now();
    const answer = await target.client.send('GET', `/api/v2/jobs/${id}`, {
      headers: etag === undefined ? bearer('acme') : { ...bearer('acme'), 'if-none-match': etag }, timeoutMs: READ_TIMEOUT_MS,
    });
    const record: ReadRecord = { instance: target.name, job: id, start, end: performance.now(), status: answer.status, xCache: header(answer, 'x-cache'), etag: header(answer, 'etag') };
    if (answer.status === 200) {
      const body = parse(answer) as { id?: unknown; version?: unknown };
      if (body.id === id && typeof body.version === 'number') record.version = body.version;
      else record.note = answer.body.slice(0, 120);
    } else if (answer.status === 304) {
      record.version = versionOfEtag(answer.headers.etag);
    } else if (answer.status !== 404) {
      record.note = answer.body.slice(0, 120);
    }
    if (!target.alive) record.excused = 'instance being stopped by the test';
    this.history.read(record);
    return record;
  }

  /** `GET /api/v2/jobs?limit=100` as `acme` (a fault case keeps fewer jobs than that). */
  async readList(target: HttpTarget): Promise<ReadRecord> {
    const start = performance.now();
    const answer = await target.client.send('GET', '/api/v2/jobs?limit=100', { headers: bearer('acme'), timeoutMs: READ_TIMEOUT_MS });
    const record: ReadRecord = { instance: target.name, job: 'list', start, end: performance.now(), status: answer.status, xCache: header(answer, 'x-cache') };
    if (answer.status === 200) {
      const body = parse(answer) as { items?: Array<{ id: unknown; version: unknown }>; nextCursor?: unknown };
      if (Array.isArray(body.items) && body.nextCursor === null) record.items = body.items.map((i): ListItem => ({ id: Number(i.id), version: Number(i.version) }));
      else record.note = `not one whole page: ${answer.body.slice(0, 120)}`;
    } else {
      record.note = answer.body.slice(0, 120);
    }
    if (!target.alive) record.excused = 'instance being stopped by the test';
    this.history.read(record);
    return record;
  }

  /** `POST /api/v2/jobs` as `acme` with a unique title; the record's `job` is the new id, or -1. */
  create(target: HttpTarget, title: string): Promise<WriteRecord> {
    return this.write(target, 'create', -1, 'POST', '/api/v2/jobs', bearer('acme'), { title, scenesTotal: 100 });
  }

  /** `PATCH /api/v2/jobs/:id/progress` as the admin. */
  update(target: HttpTarget, id: number, step: number): Promise<WriteRecord> {
    return this.write(target, 'update', id, 'PATCH', `/api/v2/jobs/${id}/progress`, bearer('admin'), { currentStage: `step ${step}`, scenesCompleted: step % 101 });
  }

  /** `DELETE /api/v2/jobs/:id` as the admin. */
  delete(target: HttpTarget, id: number): Promise<WriteRecord> {
    return this.write(target, 'delete', id, 'DELETE', `/api/v2/jobs/${id}`, bearer('admin'));
  }

  private async write(target: HttpTarget, kind: WriteKind, job: number, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<WriteRecord> {
    const start = performance.now();
    const answer = await target.client.send(method, path, { headers, body, timeoutMs: WRITE_TIMEOUT_MS });
    const record: WriteRecord = { instance: target.name, job, kind, start, end: performance.now(), status: answer.status };
    if (answer.status === 200 || answer.status === 201) {
      const parsed = parse(answer) as { id?: unknown; version?: unknown };
      if (typeof parsed.version === 'number') record.version = parsed.version;
      if (kind === 'create' && typeof parsed.id === 'number') record.job = parsed.id;
    } else if (answer.status === 503) {
      record.retryAfter = header(answer, 'retry-after');
    }
    if (answer.status !== 204 && record.version === undefined) record.note = answer.body.slice(0, 120);
    if (!target.alive) record.excused = 'instance being stopped by the test';
    // The row check of a refusal is the caller's (it knows the row's version before the write).
    this.history.write(record);
    return record;
  }
}
