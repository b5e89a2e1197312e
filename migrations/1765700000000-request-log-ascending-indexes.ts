import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently, dropIndexConcurrently, type SettledIndex, settledIndex } from './support/concurrent-index';

/** The log's full indexes that ended with (created_at DESC, id DESC): name, the columns before that tail. */
const INDEXES: readonly (readonly [name: string, lead: string])[] = [
  ['request_logs_created_at_id_idx', ''],
  ['request_logs_key_created_at_idx', 'virtual_key_id, '],
  ['request_logs_provider_created_at_idx', 'provider, '],
  ['request_logs_model_created_at_idx', 'model, '],
  ['request_logs_request_type_created_at_idx', 'request_type, '],
];

type Order = 'ascending' | 'descending';

const columns = (lead: string, order: Order): string => `(${lead}${order === 'ascending' ? 'created_at, id' : 'created_at DESC, id DESC'})`;

/** Whether `index` is valid and exactly the one wanted: pg_get_indexdef after the table's name, as Postgres prints it. */
const isWanted = (index: SettledIndex | null, lead: string, order: Order): boolean =>
  index !== null && index.valid && index.def.replace(/^.*? USING /, 'USING ') === `USING btree ${columns(lead, order)} WITH (deduplicate_items=off)`;

/**
 * The full request-log indexes end with (created_at, id) instead of (created_at DESC, id DESC).
 *
 * Every request writes a log row, and each of these indexes takes an entry whose created_at is the
 * newest of its key. Descending, that entry goes to the leftmost leaf of its key's range, which
 * splits in half when full: the pages left behind stay half empty. Ascending, it goes to the
 * rightmost leaf of the range, whose split leaves the old page full, and when that leaf is the
 * index's last (the (created_at, id) index, a request_type most rows share) Postgres inserts
 * there without descending from the root. Page counts and Postgres's work per row, before and
 * after, are in bench/PROFILE.md (seventeenth part).
 *
 * Readers are unchanged: ORDER BY created_at DESC, id DESC and the cursor's (created_at, id) <
 * (...) are the same index range read backward (EXPLAIN: Index Scan Backward on these indexes
 * for the filters they serve), so a replica of the previous version uses them as it used the old
 * ones. The partial indexes (errors, client_request_id) stay descending, read forward by the
 * filters they serve (status=error, client_request_id): errors are rare rows, and a client's own
 * ids come in no order.
 *
 * Each index is built CONCURRENTLY under a temporary name (`_next`), the old one dropped
 * CONCURRENTLY and the new one renamed (a SHARE UPDATE EXCLUSIVE lock on the index alone): no
 * write waits for it, but while the twin exists it takes the disk, WAL and per-row writes of one
 * more index. Build times grow with the table (README, "A large request log"), so on a large log
 * `npm run migrate` with a generous STARTUP_TIMEOUT_MS should come before a start-up (120 s by
 * default) meets them.
 *
 * A start-up stopped part-way does not simply resume: its server process goes on with the
 * CONCURRENTLY build it was in (Postgres finishes it though the client is gone). The next run
 * keeps each index already rebuilt, waits for such a build and uses its twin, so each restart
 * starts at least where the previous one's server finished; a twin that is invalid and idle,
 * or not of the wanted definition (one left by a stopped `down`), is dropped and built again.
 * `down` builds the descending ones back the same way.
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
  if (isWanted(await settledIndex(q, name), lead, order)) {
    await dropIndexConcurrently(q, twin);
    return;
  }
  const next = await settledIndex(q, twin);
  if (next !== null && !isWanted(next, lead, order)) await dropIndexConcurrently(q, twin);
  await createIndexConcurrently(q, twin, `ON request_logs ${columns(lead, order)} WITH (deduplicate_items = off)`);
  await dropIndexConcurrently(q, name);
  await q.query(`ALTER INDEX ${twin} RENAME TO ${name}`);
}
