import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * The entity of a raw row as `RETURNING *` gives it (keys are column names), hydrated as a `find` would:
 * an instance of the entity class, each column converted by the driver and its transformer.
 */
export function entityFromRow<T extends ObjectLiteral>(manager: EntityManager, target: EntityTarget<T>, row: Record<string, unknown>): T {
  const metadata = manager.connection.getMetadata(target);
  const entity = metadata.create(manager.queryRunner) as T;
  for (const column of metadata.columns) {
    if (!(column.databaseName in row)) continue;
    column.setEntityValue(entity, manager.connection.driver.prepareHydratedValue(row[column.databaseName], column));
  }
  return entity;
}
