import type { QueryRunner } from 'typeorm';

/**
 * Builds an index without blocking writes: CONCURRENTLY, in a migration with
 * `transaction = false` (a plain build would hold the gateway's log inserts for as long as it
 * runs on a large table). A failed concurrent build leaves an invalid index behind, dropped first
 * so that a retry builds it again. Inside a transaction (TypeORM's revert wraps one around
 * `down` whatever the migration says), CONCURRENTLY is refused, so it is left out there.
 */
export async function createIndexConcurrently(q: QueryRunner, name: string, definition: string): Promise<void> {
  const concurrently = q.isTransactionActive ? '' : 'CONCURRENTLY ';
  const invalid: unknown[] = await q.query(
    `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND NOT i.indisvalid`,
    [name],
  );
  if (invalid.length > 0) await q.query(`DROP INDEX ${concurrently}IF EXISTS ${name}`);
  await q.query(`CREATE INDEX ${concurrently}IF NOT EXISTS ${name} ${definition}`);
}

export async function dropIndexConcurrently(q: QueryRunner, name: string): Promise<void> {
  const concurrently = q.isTransactionActive ? '' : 'CONCURRENTLY ';
  await q.query(`DROP INDEX ${concurrently}IF EXISTS ${name}`);
}
