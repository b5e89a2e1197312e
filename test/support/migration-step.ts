import type { DataSource, QueryRunner } from 'typeorm';

/** Runs a migration's `up` or `down` in a transaction of its own, as TypeORM runs each migration. */
export async function inTransaction(ds: DataSource, step: (q: QueryRunner) => Promise<void>): Promise<void> {
  const q = ds.createQueryRunner();
  try {
    await q.startTransaction();
    await step(q);
    await q.commitTransaction();
  } finally {
    if (q.isTransactionActive) await q.rollbackTransaction();
    await q.release();
  }
}
