// The framework's ceiling: Nest 12 on Fastify answering GET /api/v2/jobs/:id with the constant job JSON.
// Whatever a cache does, a poll cannot be cheaper than this.
import { Controller, Get, Param } from '@nestjs/common';
import { decorateClass, decorateMethod, decorateParam, listenFastify, requiredEnv, rootModule } from './nest-app.mjs';

const job = JSON.parse(requiredEnv('BENCH_JOB_JSON'));

class JobsController {
  get(_id) {
    return job;
  }
}
decorateParam(JobsController, 'get', 0, Param('id'));
decorateMethod(JobsController, 'get', Get(':id'));
decorateClass(JobsController, Controller('api/v2/jobs'));

await listenFastify(rootModule({ controllers: [JobsController] }));
