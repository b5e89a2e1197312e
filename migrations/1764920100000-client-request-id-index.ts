import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently, dropIndexConcurrently } from './support/concurrent-index';

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
    await createIndexConcurrently(q, NAME, 'ON request_logs (client_request_id, created_at DESC, id DESC) WHERE client_request_id IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropIndexConcurrently(q, NAME);
  }
}
