import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * stored_items rows no longer reference stored_responses through a foreign key: the deletes
 * that went through ON DELETE CASCADE (DELETE /v1/responses/{id} and the retention purge) now
 * delete a response's items themselves, in the same transaction. Every stored turn writes its items in the
 * same COPY transaction as its response, and the check cost a lookup and a row lock of the
 * parent per item row (bench/PROFILE.md, fifth part). Item lookups join the response, so an
 * item whose response is gone is never answered.
 */
export class StoredItemsNoForeignKey1765300000000 implements MigrationInterface {
  name = 'StoredItemsNoForeignKey1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE stored_items DROP CONSTRAINT IF EXISTS stored_items_response_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Items whose response is gone would refuse the constraint.
    await q.query(`DELETE FROM stored_items i WHERE NOT EXISTS (SELECT 1 FROM stored_responses r WHERE r.id = i.response_id)`);
    await q.query(`
      ALTER TABLE stored_items ADD CONSTRAINT stored_items_response_id_fkey
        FOREIGN KEY (response_id) REFERENCES stored_responses (id) ON DELETE CASCADE`);
  }
}
