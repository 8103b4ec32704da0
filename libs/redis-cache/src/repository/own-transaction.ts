import type { DataSource, EntityManager } from 'typeorm';
import type { CacheLogger } from '../engine/cache.types.js';

/**
 * Runs `work` in a transaction on a pooled connection of its own. `beforeCommit` runs last inside the
 * transaction, with the work's result: throwing there (e.g. a cache that cannot make the write safe right
 * now) rolls everything back. Then COMMIT, and the connection goes back to the pool before this resolves —
 * so whatever the caller awaits next (the cache's acknowledgement from every instance) never holds one.
 */
export async function inOwnTransaction<R>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<R>,
  beforeCommit: (result: R) => void,
  logger: CacheLogger,
): Promise<R> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.startTransaction();
    const result = await work(runner.manager);
    beforeCommit(result);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) {
      // The error being thrown is the one the caller must see; a failed ROLLBACK (connection gone) ends the
      // transaction anyway when the connection is dropped.
      await runner.rollbackTransaction().catch((rollbackError: unknown) => {
        logger.warn(`rollback after a failed write failed: ${rollbackError instanceof Error ? rollbackError.name : typeof rollbackError}`);
      });
    }
    throw error;
  } finally {
    await runner.release();
  }
}
