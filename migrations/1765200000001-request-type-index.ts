import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently, dropIndexConcurrently } from './support/concurrent-index';

const NAME = 'request_logs_request_type_created_at_idx';

/**
 * GET /api/logs?request_type=...: the rarer front doors are what people filter for, and without
 * an index a page of them walks the (created_at, id) index past every other row. Measured on
 * PostgreSQL 15 with 1M rows (90 % responses, 10 % chat_completions, 0.1 % embeddings), a page
 * of 51: embeddings 17.7 ms / 780 buffers -> 0.27 ms / 54; a type with no rows (a parallel seq
 * scan) 93 ms / 10k buffers -> 0.06 ms / 3; responses 0.03 ms either way (the planner keeps the
 * (created_at, id) index). CONCURRENTLY, outside a transaction, for the reasons given in
 * 1764300000000-request-log-indexes.
 */
export class RequestTypeIndex1765200000001 implements MigrationInterface {
  name = 'RequestTypeIndex1765200000001';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(q, NAME, 'ON request_logs (request_type, created_at DESC, id DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropIndexConcurrently(q, NAME);
  }
}
