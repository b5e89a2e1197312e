import type { MigrationInterface, QueryRunner } from 'typeorm';

const NAME = 'request_logs_unpriced_idx';

/**
 * The admin's list of models served without a price (GET /api/pricing/unpriced) groups the log
 * rows whose cost is null by provider and model. Those are the rare rows (a failed attempt that
 * produced no tokens is logged at cost 0), so a partial index holds them all in a few pages and
 * the list never scans the log.
 *
 * CONCURRENTLY, outside a transaction, as in 1764300000000-request-log-indexes: a plain build
 * would block the gateway's log inserts while it runs; an invalid index left by a failed build
 * is dropped first.
 */
export class UnpricedRequestLogIndex1764918000001 implements MigrationInterface {
  name = 'UnpricedRequestLogIndex1764918000001';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    const concurrently = q.isTransactionActive ? '' : 'CONCURRENTLY ';
    const invalid: unknown[] = await q.query(
      `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND NOT i.indisvalid`,
      [NAME],
    );
    if (invalid.length > 0) await q.query(`DROP INDEX ${concurrently}IF EXISTS ${NAME}`);
    await q.query(`CREATE INDEX ${concurrently}IF NOT EXISTS ${NAME} ON request_logs (provider, model, created_at) WHERE cost_usd IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    const concurrently = q.isTransactionActive ? '' : 'CONCURRENTLY ';
    await q.query(`DROP INDEX ${concurrently}IF EXISTS ${NAME}`);
  }
}
