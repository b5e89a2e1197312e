import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

// Any constant: the gateway and admin processes may start together against one database.
const MIGRATION_LOCK_ID = 7_420_001;

/** Applies pending migrations under an advisory lock so concurrent starters do not race. */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions(url, 2));
  await ds.initialize();
  try {
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
      await runner.release();
    }
  } finally {
    await ds.destroy();
  }
}
