import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently, dropIndexConcurrently } from './support/concurrent-index';

const REQUEST_ID_INDEX = ['request_logs_request_id_idx', 'ON request_logs (request_id)'] as const;

/** The log's B-tree indexes whose keys end with the row's id, so that no two entries are ever equal. */
const DISTINCT_KEY_INDEXES = [
  'request_logs_created_at_id_idx',
  'request_logs_key_created_at_idx',
  'request_logs_provider_created_at_idx',
  'request_logs_model_created_at_idx',
  'request_logs_request_type_created_at_idx',
  'request_logs_client_request_id_idx',
  'request_logs_errors_created_at_idx',
  'request_logs_errors_provider_idx',
  'request_logs_errors_key_idx',
];

/**
 * Fewer index entries and less index work per request log row, which every request writes.
 *
 * - request_logs_request_id_idx goes: its one reader, the attempts of a request (GET
 *   /api/logs/{id}), finds them by created_at as well, which every attempt of a request shares
 *   (the request's start), through the (created_at, id) index.
 * - Deduplication is turned off on the indexes whose keys end with the row's id: no two of their
 *   entries are equal, yet a leaf page that fills is first scanned for duplicates to merge
 *   before it is split. Only later inserts are affected (existing pages stay as they are), and
 *   the setting takes a SHARE UPDATE EXCLUSIVE lock, which inserts and reads do not wait for.
 *
 * CONCURRENTLY, outside a transaction, for the reasons given in 1764300000000-request-log-indexes.
 */
export class RequestLogIndexCosts1765500000000 implements MigrationInterface {
  name = 'RequestLogIndexCosts1765500000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await dropIndexConcurrently(q, REQUEST_ID_INDEX[0]);
    for (const name of DISTINCT_KEY_INDEXES) await q.query(`ALTER INDEX IF EXISTS ${name} SET (deduplicate_items = off)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const name of DISTINCT_KEY_INDEXES) await q.query(`ALTER INDEX IF EXISTS ${name} RESET (deduplicate_items)`);
    await createIndexConcurrently(q, ...REQUEST_ID_INDEX);
  }
}
