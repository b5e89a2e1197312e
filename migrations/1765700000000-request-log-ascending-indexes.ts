import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently, dropIndexConcurrently } from './support/concurrent-index';

/** The log's full indexes that ended with (created_at DESC, id DESC): name, the columns before that tail. */
const INDEXES: readonly (readonly [name: string, lead: string])[] = [
  ['request_logs_created_at_id_idx', ''],
  ['request_logs_key_created_at_idx', 'virtual_key_id, '],
  ['request_logs_provider_created_at_idx', 'provider, '],
  ['request_logs_model_created_at_idx', 'model, '],
  ['request_logs_request_type_created_at_idx', 'request_type, '],
];

type Order = 'ascending' | 'descending';

const definition = (lead: string, order: Order): string =>
  `ON request_logs (${lead}${order === 'ascending' ? 'created_at, id' : 'created_at DESC, id DESC'}) WITH (deduplicate_items = off)`;

/**
 * The full request-log indexes end with (created_at, id) instead of (created_at DESC, id DESC).
 *
 * Every request writes a log row, and each of these indexes takes an entry whose created_at is the
 * newest of its key. Descending, that entry goes to the leftmost leaf of its key's range, which
 * splits in half when full: the pages left behind stay half empty. Ascending, it goes to the
 * rightmost leaf of the range, whose split leaves the old page full, and when that leaf is the
 * index's last (the (created_at, id) index, a request_type most rows share) Postgres inserts
 * there without descending from the root. Pages after COPYing 300k rows, descending ->
 * ascending: (created_at, id) 2,670 -> 1,485, request_type 3,833 -> 2,159, provider 3,442 ->
 * 2,995, model 3,244 -> 3,134, key 3,829 -> 3,535 (rows spread over 3 providers, 10 models, 5
 * keys). Postgres instructions per log row inside COPY (callgrind, the lab's rows COPYed in
 * batches of 250): 125.6k -> 96.4k into that table, 106.7k -> 95.3k into an empty one.
 *
 * Readers are unchanged: ORDER BY created_at DESC, id DESC and the cursor's (created_at, id) <
 * (...) are the same index range read backward (EXPLAIN: Index Scan Backward on the same index
 * for every filter of GET /api/logs), so a replica of the previous version uses these indexes as
 * it used the old ones. The partial indexes (errors, client_request_id) stay as they are: errors
 * are rare rows, and a client's own ids come in no order.
 *
 * Each index is built CONCURRENTLY under a temporary name, the old one dropped CONCURRENTLY and
 * the new one renamed (a SHARE UPDATE EXCLUSIVE lock on the index alone): no write waits for
 * it. Five index builds in all: 0.12-0.27 s each for 300k cached rows on an idle server here,
 * 7 s each at 2M rows where 1764300000000 was measured; meanwhile each twin is written beside
 * the index it replaces. One index is finished before the next starts, so a start-up that stops
 * part-way (STARTUP_TIMEOUT_MS) keeps what it finished, and the next run (an invalid build
 * dropped first) goes on from there. `down` builds the descending ones back the same way.
 */
export class RequestLogAscendingIndexes1765700000000 implements MigrationInterface {
  name = 'RequestLogAscendingIndexes1765700000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    for (const [name, lead] of INDEXES) await rebuild(q, name, lead, 'ascending');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [name, lead] of INDEXES) await rebuild(q, name, lead, 'descending');
  }
}

/** The index `name` rebuilt in this order unless it already has it; rerunnable after a stop anywhere. */
async function rebuild(q: QueryRunner, name: string, lead: string, order: Order): Promise<void> {
  const twin = `${name}_next`;
  const rows = (await q.query(
    `SELECT pg_get_indexdef(c.oid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace AND i.indisvalid`,
    [name],
  )) as { def: string }[];
  if (rows.length > 0 && / DESC\b/.test(rows[0].def) === (order === 'descending')) {
    await dropIndexConcurrently(q, twin);
    return;
  }
  await createIndexConcurrently(q, twin, definition(lead, order));
  await dropIndexConcurrently(q, name);
  await q.query(`ALTER INDEX ${twin} RENAME TO ${name}`);
}
