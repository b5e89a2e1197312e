import type { MigrationInterface, QueryRunner } from 'typeorm';

// The tables gateways mirror in memory: keys, fallback policies, admin prices.
const TABLES = ['virtual_keys', 'fallback_policies', 'model_prices'];

/**
 * Every write to a table the gateways mirror in memory sends NOTIFY bf_changes with the
 * table's name once it commits, whoever the writer is (libs/database/src/sync/change-channel.ts).
 * Statement-level: one notification per statement, not per row; Postgres folds identical ones
 * within a transaction. The payload is the table's name only: listeners re-read what changed.
 */
export class ChangeNotifications1764930000000 implements MigrationInterface {
  name = 'ChangeNotifications1764930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION bf_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('bf_changes', TG_TABLE_NAME);
        RETURN NULL;
      END
      $$`);
    for (const table of TABLES) {
      await q.query(`
        CREATE TRIGGER ${table}_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION bf_notify_change()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TABLES) await q.query(`DROP TRIGGER IF EXISTS ${table}_notify_change ON ${table}`);
    await q.query('DROP FUNCTION IF EXISTS bf_notify_change()');
  }
}
