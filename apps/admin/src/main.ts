import { ConfigError, onShutdownSignal, StartupWatchdog } from '@app/common';
import { loadConfig } from '@app/config';
import { migrateAtStart, MigrationTimeoutError } from '@app/database';
import { startAdmin } from './admin.bootstrap';

/** The admin app alone (deployments: one process per app). `npm start` runs both apps together. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) {
    throw new ConfigError('DATABASE_URL', 'is required to run the admin app on its own (npm start runs it with an embedded database)');
  }
  if (!config.adminToken) {
    throw new ConfigError('ADMIN_TOKEN', 'is required to run the admin app on its own (npm start generates one)');
  }
  const watchdog = new StartupWatchdog('admin', config.startupTimeoutMs);
  await migrateAtStart(config.databaseUrl, 'admin', watchdog);
  watchdog.stage('binding the port');
  const admin = await startAdmin(config);
  watchdog.done();
  console.log(`admin listening on ${admin.url} (Swagger UI ${admin.url}/docs)`);
  onShutdownSignal(() => admin.close());
}

main().catch((err: unknown) => {
  // A configuration problem is the user's to fix: the message names it; a stack would bury it.
  console.error(err instanceof ConfigError || err instanceof MigrationTimeoutError ? `admin: ${err.message}` : err);
  process.exit(1);
});
