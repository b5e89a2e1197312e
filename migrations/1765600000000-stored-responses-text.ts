import type { MigrationInterface, QueryRunner } from 'typeorm';
import { alterWithLockTimeout } from './support/lock-timeout';
import { lz4Available } from './support/toast-compression';

/** Each `json` column of stored_responses and the `text` column that takes its place. */
const COLUMNS = [
  ['request', 'request_json'],
  ['input_items', 'input_items_json'],
  ['response', 'response_json'],
  ['error', 'error_json'],
] as const;

const RESPONSE_CHECK = 'stored_responses_response_check';

/**
 * Stored turns' JSON goes into new `text` columns (request_json, input_items_json, response_json,
 * error_json) instead of the `json` ones, which the database checks by parsing every value it is
 * given: every Responses turn is stored by default, and that parse was most of what Postgres did
 * per stored turn (about 40% of its instructions). The gateway writes only JSON it serialised
 * itself or parsed whole before storing it, with the same rewrites as before (U+0000 and lone
 * surrogates as U+FFFD).
 *
 * Catalog changes only, no table rewrite and no scan: the new columns are nullable without a
 * default (rows already stored read NULL there, and keep their JSON in the `json` columns), the
 * `json` columns lose NOT NULL and their defaults (which would fill them in every row written
 * without them, and readers take a `json` column first), and the one guarantee NOT NULL gave
 * readers, a response in every row, is a CHECK that is NOT VALID (checked for rows written from
 * now on, not for those already there). `up` runs again as it ran (the CHECK dropped and added
 * in the same ALTER). lz4 as for the `json` columns (1765400000000). The ALTER's ACCESS
 * EXCLUSIVE lock is waited for in bounded tries (alterWithLockTimeout).
 *
 * Readers take a `json` column when it is set and its `text` column otherwise. The gateway
 * inserts into the `text` columns; it updates a row in the kind of column its response is in, so
 * that rows the previous version wrote stay in the `json` columns.
 *
 * Rolling deploys: the previous version reads and updates the `json` columns only. At a replica
 * of the previous version, until every replica runs this one, a GET of a row this version wrote
 * answers 200 with a null body, and its input_items and a previous_response_id naming it answer
 * 500. Rows the previous version wrote stay readable by both. Its cancel and stale sweep of a row
 * this version wrote set the status and error columns only (the `json` response they merge into
 * is NULL): this version's readers take the status and error from there.
 *
 * `down` copies the `text` columns back into the `json` ones, so that the previous version reads
 * every row: a rewrite of every row written since `up`, each value checked as JSON again, with
 * the gateway's writes to the table held until it commits.
 */
export class StoredResponsesText1765600000000 implements MigrationInterface {
  name = 'StoredResponsesText1765600000000';

  async up(q: QueryRunner): Promise<void> {
    const lz4 = await lz4Available(q);
    const changes = [
      ...COLUMNS.map(([, text]) => `ADD COLUMN IF NOT EXISTS ${text} text${lz4 ? ' COMPRESSION lz4' : ''}`),
      ...COLUMNS.map(([json]) => `ALTER COLUMN ${json} DROP NOT NULL, ALTER COLUMN ${json} DROP DEFAULT`),
      `DROP CONSTRAINT IF EXISTS ${RESPONSE_CHECK}`,
      `ADD CONSTRAINT ${RESPONSE_CHECK} CHECK (response IS NOT NULL OR response_json IS NOT NULL) NOT VALID`,
    ];
    await alterWithLockTimeout(q, 'stored_responses', `ALTER TABLE stored_responses ${changes.join(', ')}`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Writes held from the copy to the end: a row written into the text columns meanwhile would
    // fail SET NOT NULL. Reads go on until the ALTER, whose SET NOT NULL scans the table under its
    // ACCESS EXCLUSIVE lock: a CHECK sparing that scan would take the same lock to be added.
    await alterWithLockTimeout(q, 'stored_responses', 'LOCK TABLE stored_responses IN EXCLUSIVE MODE');
    // A row has both only when a replica of the previous version updated it: its `json` is the newer.
    await q.query(`
      UPDATE stored_responses
         SET request = coalesce(request, request_json::json, '{}'), input_items = coalesce(input_items, input_items_json::json, '[]'),
             response = coalesce(response, response_json::json), error = coalesce(error, error_json::json)
       WHERE request IS NULL OR input_items IS NULL OR response IS NULL OR (error IS NULL AND error_json IS NOT NULL)`);
    await alterWithLockTimeout(
      q,
      'stored_responses',
      `ALTER TABLE stored_responses DROP CONSTRAINT IF EXISTS ${RESPONSE_CHECK}, ${COLUMNS.map(([, text]) => `DROP COLUMN IF EXISTS ${text}`).join(', ')},
        ALTER COLUMN request SET NOT NULL, ALTER COLUMN request SET DEFAULT '{}'::json,
        ALTER COLUMN input_items SET NOT NULL, ALTER COLUMN input_items SET DEFAULT '[]'::json,
        ALTER COLUMN response SET NOT NULL`,
    );
  }
}
