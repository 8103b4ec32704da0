// No cache at all: Nest on Fastify + TypeORM findOneBy per poll. The database load every cache removes.
import { listenFastify, rootModule } from './nest-app.mjs';
import { jobsController, typeormImports } from './typeorm-jobs.mjs';

await listenFastify(rootModule({ imports: typeormImports(), controllers: [jobsController()] }));
