import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stateful Responses (`store`, `previous_response_id`, `item_reference`, background mode).
 *
 * stored_responses: one row per stored Response, owned by the virtual key that made it. The
 * conversation before a turn is reached through `previous_response_id`; `input_items` holds
 * this turn's own input with item references already resolved, `response` the Response object
 * as the client saw it (its `output` included). `heartbeat_at` is refreshed by the process
 * running a background response, so a process that died is noticed and its rows failed.
 *
 * stored_items: where each input and output item lives, for `item_reference` lookups by id
 * within a key; the item itself stays in its response's jsonb (no second copy). Item ids are
 * unique per response, not per table: a referenced item is copied into the next turn's input
 * under the same id, and lookups take the newest.
 *
 * Indexes: the primary key serves GET/DELETE (`id`, then the key is compared);
 * (virtual_key_id, item_id, created_at DESC) the item lookups; (expires_at) the retention
 * purge; a partial index on the few unfinished background rows the restart sweep.
 */
export class StoredResponses1764400000000 implements MigrationInterface {
  name = 'StoredResponses1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stored_responses (
        id text PRIMARY KEY,
        virtual_key_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('queued','in_progress','completed','incomplete','failed','cancelled')),
        background boolean NOT NULL DEFAULT false,
        model text NOT NULL,
        previous_response_id text,
        request jsonb NOT NULL DEFAULT '{}'::jsonb,
        input_items jsonb NOT NULL DEFAULT '[]'::jsonb,
        response jsonb NOT NULL,
        error jsonb,
        heartbeat_at timestamptz
      )`);
    await q.query(`CREATE INDEX stored_responses_expires_at_idx ON stored_responses (expires_at)`);
    await q.query(`CREATE INDEX stored_responses_unfinished_idx ON stored_responses (heartbeat_at) WHERE status IN ('queued','in_progress')`);

    await q.query(`
      CREATE TABLE stored_items (
        response_id text NOT NULL REFERENCES stored_responses (id) ON DELETE CASCADE,
        source text NOT NULL CHECK (source IN ('input','output')),
        position integer NOT NULL,
        virtual_key_id uuid NOT NULL,
        item_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (response_id, source, position)
      )`);
    await q.query(`CREATE INDEX stored_items_key_item_idx ON stored_items (virtual_key_id, item_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS stored_items`);
    await q.query(`DROP TABLE IF EXISTS stored_responses`);
  }
}
