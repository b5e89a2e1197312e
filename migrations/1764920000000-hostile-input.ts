import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hostile input and honest governance (issue 12).
 *
 * - virtual_keys.max_concurrent_requests: optional limit of a key's requests in flight
 *   (429 `concurrency_limit_exceeded`).
 * - request_logs.client_request_id: the client's own `x-request-id`, kept apart from the
 *   gateway's `request_id` (which a client can no longer choose) and searchable in /api/logs.
 *   Its index is built by the next migration, CONCURRENTLY.
 * - request_log_dead_letters: a request-log row the database refused even after repair (the
 *   writer isolates it from its batch rather than retrying the batch forever). `row_json` is the
 *   row as JSON text: no column of it can be refused again.
 */
export class HostileInput1764920000000 implements MigrationInterface {
  name = 'HostileInput1764920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE virtual_keys ADD COLUMN max_concurrent_requests integer CHECK (max_concurrent_requests > 0)`);
    await q.query(`ALTER TABLE request_logs ADD COLUMN client_request_id text`);
    await q.query(`
      CREATE TABLE request_log_dead_letters (
        id uuid PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        row_json text NOT NULL,
        error text NOT NULL
      )`);
    await q.query(`CREATE INDEX request_log_dead_letters_created_at_idx ON request_log_dead_letters (created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE request_log_dead_letters`);
    await q.query(`ALTER TABLE request_logs DROP COLUMN client_request_id`);
    await q.query(`ALTER TABLE virtual_keys DROP COLUMN max_concurrent_requests`);
  }
}
