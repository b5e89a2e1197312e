import type { MigrationInterface, QueryRunner } from 'typeorm';
import { alterWithLockTimeout } from './support/lock-timeout';
import { lz4Available } from './support/toast-compression';

/** Every column of stored_responses that holds a turn's JSON. */
const COLUMNS = ['request', 'input_items', 'response', 'error'];

function setCompression(method: 'lz4' | 'DEFAULT'): string {
  return `ALTER TABLE stored_responses ${COLUMNS.map((c) => `ALTER COLUMN ${c} SET COMPRESSION ${method}`).join(', ')}`;
}

/**
 * Stored turns' JSON is compressed with lz4 instead of pglz, the default. An agent's turn
 * (its input items, its response) is often tens of kilobytes, past the ~2 kB at which Postgres
 * compresses a value before storing it out of line, so every such turn is compressed once when
 * written and decompressed on every read (GET /v1/responses/{id}, previous_response_id): lz4
 * does both for a fraction of pglz's CPU, its output up to about a tenth larger.
 *
 * A catalog change: the table is not rewritten. Rows already stored keep pglz (both are read
 * alike); values written from now on, and values updated, get lz4. ALTER TABLE takes an ACCESS
 * EXCLUSIVE lock for the moment of the change, but must wait for it behind any statement still
 * reading the table, holding up the statements that queue behind it meanwhile: each wait is
 * bounded (alterWithLockTimeout), and a table held through every try fails the start-up with
 * its name rather than hanging it.
 *
 * A server without lz4 (built without it, before PostgreSQL 14, the embedded database) keeps
 * pglz: nothing is changed there, up or down.
 */
export class StoredResponsesLz41765400000000 implements MigrationInterface {
  name = 'StoredResponsesLz41765400000000';

  async up(q: QueryRunner): Promise<void> {
    if (await lz4Available(q)) await alterWithLockTimeout(q, 'stored_responses', setCompression('lz4'));
  }

  async down(q: QueryRunner): Promise<void> {
    if (await lz4Available(q)) await alterWithLockTimeout(q, 'stored_responses', setCompression('DEFAULT'));
  }
}
