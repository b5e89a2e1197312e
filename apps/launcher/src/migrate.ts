import { ConfigError, StartupWatchdog } from '@app/common';
import { loadConfig } from '@app/config';
import { migrateAtStart, MigrationTimeoutError } from '@app/database';

/**
 * `npm run migrate` and docker-compose's one-shot `migrate` service: applies pending migrations
 * and exits 0, so the apps start on a migrated database (they would migrate themselves too,
 * under the same lock; this keeps a long migration out of their start-up budget).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'is required to apply migrations');
  const watchdog = new StartupWatchdog('migrate', config.startupTimeoutMs);
  await migrateAtStart(config.databaseUrl, 'migrate', watchdog);
  watchdog.done();
  console.log('migrate: the database is up to date');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof ConfigError || err instanceof MigrationTimeoutError ? `migrate: ${err.message}` : err);
    process.exit(1);
  },
);
