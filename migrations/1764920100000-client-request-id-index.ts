import type { MigrationInterface, QueryRunner } from 'typeorm';

const NAME = 'request_logs_client_request_id_idx';

/**
 * GET /api/logs?client_request_id=...: a partial index (most rows have none), ending with the
 * page order like the other log indexes. CONCURRENTLY, outside a transaction, so that building it
 * on a large log table does not block the gateway's inserts (see 1764300000000-request-log-indexes).
 */
export class ClientRequestIdIndex1764920100000 implements MigrationInterface {
  name = 'ClientRequestIdIndex1764920100000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    const concurrently = q.isTransactionActive ? '' : 'CONCURRENTLY ';
    const invalid: unknown[] = await q.query(
      `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND NOT i.indisvalid`,
      [NAME],
    );
    if (invalid.length > 0) await q.query(`DROP INDEX ${concurrently}IF EXISTS ${NAME}`);
    await q.query(
      `CREATE INDEX ${concurrently}IF NOT EXISTS ${NAME} ON request_logs (client_request_id, created_at DESC, id DESC) WHERE client_request_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const concurrently = q.isTransactionActive ? '' : 'CONCURRENTLY ';
    await q.query(`DROP INDEX ${concurrently}IF EXISTS ${NAME}`);
  }
}
