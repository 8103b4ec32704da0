// What a Nest user would write for the jobs route with TypeORM: an EntitySchema over bench_jobs, a
// repository injected into the controller, findOneBy on a poll, one UPDATE … RETURNING on a progress PATCH.
import { Body, Controller, Get, NotFoundException, Param, ParseIntPipe, Patch } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { EntitySchema } from 'typeorm';
import { rowToJob, UPDATE_PROGRESS_SQL, updateParams } from './job-shape.mjs';
import { decorateClass, decorateMethod, decorateParam, requiredEnv } from './nest-app.mjs';

/** The bench_jobs table as TypeORM sees it (property names = column names, so rowToJob maps both). */
export const JobSchema = new EntitySchema({
  name: 'BenchJob',
  tableName: 'bench_jobs',
  columns: {
    id: { type: 'bigint', primary: true },
    client_id: { type: 'text' },
    title: { type: 'text', nullable: true },
    status: { type: 'text' },
    current_stage: { type: 'text', nullable: true },
    scenes_completed: { type: 'integer' },
    scenes_total: { type: 'integer' },
    version: { type: 'integer' },
    created_at: { type: 'timestamptz' },
    updated_at: { type: 'timestamptz' },
  },
});

/** TypeORM wired the stock way (default pool), never synchronizing: the harness owns the table. */
export function typeormImports() {
  return [
    TypeOrmModule.forRoot({ type: 'postgres', url: requiredEnv('DATABASE_URL'), entities: [JobSchema], synchronize: false, logging: false }),
    TypeOrmModule.forFeature([JobSchema]),
  ];
}

/**
 * Builds the jobs controller. `afterUpdate(id)` runs after a PATCH commits (the stock cache variant
 * deletes the cached URL there); `decorators` go on the class (e.g. UseInterceptors(CacheInterceptor)).
 */
export function jobsController({ extraInjections = [], afterUpdate, decorators = [] } = {}) {
  class JobsController {
    constructor(repository, ...extras) {
      this.repository = repository;
      this.extras = extras;
    }

    async get(id) {
      const row = await this.repository.findOneBy({ id: String(id) });
      if (!row) throw new NotFoundException();
      return rowToJob(row);
    }

    async progress(id, body) {
      const raw = await this.repository.query(UPDATE_PROGRESS_SQL, updateParams(id, body ?? {}));
      const rows = Array.isArray(raw[0]) ? raw[0] : raw;
      if (rows.length === 0) throw new NotFoundException();
      if (afterUpdate) await afterUpdate(this, id);
      return rowToJob(rows[0]);
    }
  }
  decorateParam(JobsController, undefined, 0, InjectRepository(JobSchema));
  extraInjections.forEach((decorator, i) => decorateParam(JobsController, undefined, i + 1, decorator));
  decorateParam(JobsController, 'get', 0, Param('id', ParseIntPipe));
  decorateMethod(JobsController, 'get', Get(':id'));
  decorateParam(JobsController, 'progress', 0, Param('id', ParseIntPipe));
  decorateParam(JobsController, 'progress', 1, Body());
  decorateMethod(JobsController, 'progress', Patch(':id/progress'));
  return decorateClass(JobsController, ...decorators, Controller('api/v2/jobs'));
}
