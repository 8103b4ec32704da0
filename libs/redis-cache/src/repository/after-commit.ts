import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

/** Cache work deferred to the commit: `refresh` when the change committed, `evict` when unsure. */
export interface DeferredCacheWork {
  refresh: () => Promise<void>;
  evict: () => Promise<void>;
}

const pending = new WeakMap<QueryRunner, Array<DeferredCacheWork & { evictOnly: boolean }>>();
const hooked = new WeakSet<DataSource>();

/**
 * Runs cache work after the transaction of `manager` commits — never before, so a rolled-back change can
 * never reach the cache. Without an active transaction the work runs at once. TypeORM awaits its
 * `afterTransactionCommit` subscribers inside `commitTransaction`, so `dataSource.transaction(...)` resolves
 * only once the cache holds the new version. A savepoint rolled back inside the transaction turns every
 * pending refresh into an eviction (the value it would write may be the rolled-back one).
 */
export async function afterCommit(manager: EntityManager | undefined, work: DeferredCacheWork): Promise<void> {
  const runner = manager?.queryRunner;
  if (!runner || !runner.isTransactionActive) {
    await work.refresh();
    return;
  }
  hook(runner.connection);
  const list = pending.get(runner) ?? [];
  list.push({ ...work, evictOnly: false });
  pending.set(runner, list);
}

function hook(dataSource: DataSource): void {
  if (hooked.has(dataSource)) return;
  hooked.add(dataSource);
  const subscriber: EntitySubscriberInterface = {
    async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
      // A released savepoint fires this too; only the outermost COMMIT makes the change visible.
      if (event.queryRunner.isTransactionActive) return;
      const list = pending.get(event.queryRunner);
      pending.delete(event.queryRunner);
      for (const work of list ?? []) await (work.evictOnly ? work.evict() : work.refresh());
    },
    afterTransactionRollback(event: TransactionRollbackEvent): void {
      if (!event.queryRunner.isTransactionActive) {
        pending.delete(event.queryRunner); // nothing changed in the database: the cache is still right
        return;
      }
      for (const work of pending.get(event.queryRunner) ?? []) work.evictOnly = true;
    },
  };
  dataSource.subscribers.push(subscriber);
}
