import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently, dropIndexConcurrently } from './support/concurrent-index';

const FULL = ['request_logs_request_type_created_at_idx', 'ON request_logs (request_type, created_at DESC, id DESC)'] as const;
const RARE = ['request_logs_request_type_rare_idx', `ON request_logs (request_type, created_at DESC, id DESC) WHERE request_type <> 'responses'`] as const;

/**
 * The request_type index keeps only the rarer front doors (chat_completions, messages,
 * embeddings), the filters it was made for (1765200000001-request-type-index): a page of
 * `responses`, most rows, is found at once through the (created_at, id) index, as the planner
 * already chose, and every /v1/responses row no longer pays an entry. The API writes the type
 * into its query as a literal, so that the planner can prove the partial index covers it.
 *
 * The cost: a deployment where `responses` rows are rare, or absent, walks the (created_at, id)
 * index for a page of them, as every type did before 1765200000001.
 *
 * CONCURRENTLY, outside a transaction, for the reasons given in 1764300000000-request-log-indexes;
 * the new index is built before the old one goes, so a filter is never without one.
 */
export class RequestTypeRareIndex1765500000001 implements MigrationInterface {
  name = 'RequestTypeRareIndex1765500000001';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(q, ...RARE);
    await q.query(`ALTER INDEX IF EXISTS ${RARE[0]} SET (deduplicate_items = off)`);
    await dropIndexConcurrently(q, FULL[0]);
  }

  async down(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(q, ...FULL);
    await dropIndexConcurrently(q, RARE[0]);
  }
}
