import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently, dropIndexConcurrently } from './support/concurrent-index';

/**
 * Indexes for GET /api/logs filters: each leads with the filtered column and ends with the page
 * order (created_at DESC, id DESC), so a filtered page is an index range scan that stops after
 * `limit` rows, bounded below by the cursor's row comparison.
 *
 * - provider:  (provider, created_at DESC, id DESC)
 * - model:     (model, created_at DESC, id DESC); `provider/model` filters add provider as a cheap heap filter
 * - errors:    partial (created_at DESC, id DESC) WHERE status = 'error': errors are the rare rows
 *              people look for; `status=success` is most rows, so the existing (created_at, id)
 *              index with a filter finds a page at once and needs no index of its own.
 * - errors of a provider or a key: the same partial index led by provider / virtual_key_id.
 * virtual_key_id and the unfiltered list already have indexes (initial schema).
 *
 * Measured on PostgreSQL 15.20 (seeded with generate_series in a throwaway database: 30 days,
 * providers 50/25/10/7/7.9/0.1 %, 12 provider/models, 2 % errors, 1000 keys, attempts in pairs
 * sharing created_at; VACUUM ANALYZE, warm cache). EXPLAIN (ANALYZE, BUFFERS) of the API's query
 * for a page of 50 (LIMIT 51), first page / page after a cursor:
 *
 *   filter                       200k before        200k after       2M before          2M after    plan after
 *   none, status=success         0.7 ms, 5-7 buf    same             0.7-1.3 ms, 5 buf  same        (created_at, id)
 *   provider=openai (50 %)       0.8 ms, 8 buf      same             1-10 ms, 6-10 buf  same        (created_at, id)
 *   provider=bedrock (0.1 %)     40-61 ms, 2.1k buf 2.5-2.8 ms, 55   142-236 ms, 2k buf 4-8 ms, 54  provider idx
 *   model=amazon.nova (0.1 %)    77-103 ms, 2.1k    3-4 ms, 54       155-173 ms, 2k buf 3 ms, 54    model idx
 *   model=<no such model>        142 ms, 9.2k buf   -                806 ms, 46k buf    0.2 ms, 3   model idx
 *   status=error (2 %)           7-10 ms, 150 buf   1.4 ms, 39       6-15 ms, 134 buf   2-3 ms, 37  partial errors idx
 *   provider=gemini&status=error 50-76 ms, 1.5k     9-10 ms, 450     123-163 ms, 1.3k   13-14 ms    partial errors idx
 *   provider=bedrock&status=error 228 ms, 4.6k      4.2 ms, 37       327-808 ms, 46k    5-45 ms     BitmapAnd + sort / provider idx
 *   virtual_key_id&status=error  18 ms, 215 buf     4.3 ms, 36       99 ms, 2k buf      43 ms, 273  BitmapAnd(key, errors) + sort
 *   virtual_key_id alone         3.5-5 ms           same             3-7 ms             same        (virtual_key_id, created_at, id)
 *
 * Without these indexes a filtered page walks the (created_at, id) index until it has found 51
 * matches: the cost is limit / selectivity, and a value with no recent rows (a retired provider,
 * a mistyped model) walks the whole table: linear in its size, seconds at 10M rows. With them
 * the cost is the page size whatever the table size, and the cursor's (created_at, id) < (...)
 * is an Index Cond on every index above, so page N costs what page 1 costs.
 * At 2M rows: provider 99 MB, model 110 MB, errors (partial) 1.6 MB; the three builds took 21 s.
 *
 * CONCURRENTLY, outside a transaction: a plain CREATE INDEX on a large log table would block the
 * gateway's log inserts for the whole build. A build that fails leaves an INVALID index behind,
 * which IF NOT EXISTS would keep forever; it is dropped first, unless another server process is
 * still building it (a stopped start-up's): that build is waited for. Run inside a transaction
 * anyway (a caller that ignores `transaction = false`), it falls back to plain CREATE/DROP INDEX.
 * TypeORM refuses a migration with its own transaction mode when the run's mode is "all" (the
 * CLI's default): the data source must say migrationsTransactionMode "each", as runMigrations does.
 */
const INDEXES: readonly [name: string, definition: string][] = [
  ['request_logs_provider_created_at_idx', 'ON request_logs (provider, created_at DESC, id DESC)'],
  ['request_logs_model_created_at_idx', 'ON request_logs (model, created_at DESC, id DESC)'],
  ['request_logs_errors_created_at_idx', `ON request_logs (created_at DESC, id DESC) WHERE status = 'error'`],
  // Errors of one provider or one key: without these, a provider or key with few recent errors
  // walks all its rows (125 ms for a provider with none at 1M rows; see bench/logs-bench.ts).
  ['request_logs_errors_provider_idx', `ON request_logs (provider, created_at DESC, id DESC) WHERE status = 'error'`],
  ['request_logs_errors_key_idx', `ON request_logs (virtual_key_id, created_at DESC, id DESC) WHERE status = 'error'`],
];

export class RequestLogIndexes1764300000000 implements MigrationInterface {
  name = 'RequestLogIndexes1764300000000';
  // CREATE INDEX CONCURRENTLY cannot run inside a transaction block.
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    for (const [name, definition] of INDEXES) await createIndexConcurrently(q, name, definition);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [name] of [...INDEXES].reverse()) await dropIndexConcurrently(q, name);
  }
}
