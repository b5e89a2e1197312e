import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which front door a request came through (`responses`, `chat_completions`, `messages`,
 * `embeddings`). A constant default makes ADD COLUMN a catalog change (PostgreSQL 11+): no
 * table rewrite, and every existing row reads as the only front door there was.
 */
export class RequestType1765200000000 implements MigrationInterface {
  name = 'RequestType1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE request_logs ADD COLUMN IF NOT EXISTS request_type text NOT NULL DEFAULT 'responses'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE request_logs DROP COLUMN IF EXISTS request_type');
  }
}
