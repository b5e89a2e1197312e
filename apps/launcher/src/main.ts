import * as path from 'node:path';
import { ConfigError, onShutdownSignal, StartupWatchdog } from '@app/common';
import { loadConfig } from '@app/config';
import { type EmbeddedPostgres, migrateAtStart, MigrationTimeoutError, startEmbeddedPostgres } from '@app/database';
import { startAdmin } from '../../admin/src/admin.bootstrap';
import { startGateway } from '../../gateway/src/gateway.bootstrap';
import { chooseAdminToken } from './admin-token';

/**
 * `npm start`: gateway and admin app in one process. Without DATABASE_URL it runs an
 * embedded Postgres under DATA_DIR (./.data), so a fresh machine needs nothing installed.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const watchdog = new StartupWatchdog('npm start', config.startupTimeoutMs);
  let embedded: EmbeddedPostgres | undefined;
  if (!config.databaseUrl) {
    const dir = path.join(config.dataDir, 'pglite');
    watchdog.stage(`starting the embedded database in ${dir}`);
    embedded = await startEmbeddedPostgres(dir);
    config.databaseUrl = embedded.url;
    // One connection per app: the embedded server (pglite-socket) can interleave the protocol
    // messages of concurrent connections (electric-sql/pglite#1046), and PGlite runs one query
    // at a time anyway.
    config.databasePoolSize = 1;
    console.log(`database: embedded Postgres in ${dir} (set DATABASE_URL to use a server)`);
  }
  await migrateAtStart(config.databaseUrl, 'launcher', watchdog);

  const admin = chooseAdminToken(config.adminToken, config.dataDir);
  config.adminToken = admin.token;

  watchdog.stage('starting the gateway and the admin app');
  const gateway = await startGateway(config);
  const adminApp = await startAdmin(config);
  watchdog.done();
  const providers = Object.keys(config.providers);
  const token = {
    env: 'ADMIN_TOKEN: from the environment',
    kept: `ADMIN_TOKEN (kept in ${admin.file}; set ADMIN_TOKEN to choose your own): ${admin.token}`,
    generated: `ADMIN_TOKEN (generated, kept in ${admin.file} for the next start; set ADMIN_TOKEN to choose your own): ${admin.token}`,
  }[admin.source];
  console.log(
    [
      '',
      `gateway   ${gateway.url}  (POST /v1/responses, GET /v1/models)`,
      `admin     ${adminApp.url}  (dashboard /, Swagger UI /docs)`,
      token,
      providers.length > 0
        ? `providers ${providers.join(', ')}`
        : 'providers none configured: set OPENAI_API_KEY (and OPENAI_BASE_URL), or GATEWAY_CONFIG; see README',
      '',
    ].join('\n'),
  );

  onShutdownSignal(async () => {
    await Promise.all([gateway.close(), adminApp.close()]);
    await embedded?.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError || err instanceof MigrationTimeoutError ? err.message : err);
  process.exit(1);
});
