import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently, dropIndexConcurrently } from './support/concurrent-index';

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
    await createIndexConcurrently(q, NAME, 'ON request_logs (provider, model, created_at) WHERE cost_usd IS NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropIndexConcurrently(q, NAME);
  }
}
