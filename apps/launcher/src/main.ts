import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { ConfigError, loadConfig, onShutdownSignal } from '@app/common';
import { type EmbeddedPostgres, runMigrations, startEmbeddedPostgres } from '@app/database';
import { startAdmin } from '../../admin/src/admin.bootstrap';
import { startGateway } from '../../gateway/src/gateway.bootstrap';

/**
 * `npm start`: gateway and admin app in one process. Without DATABASE_URL it runs an
 * embedded Postgres under DATA_DIR (./.data), so a fresh machine needs nothing installed.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  let embedded: EmbeddedPostgres | undefined;
  if (!config.databaseUrl) {
    const dir = path.join(config.dataDir, 'pglite');
    embedded = await startEmbeddedPostgres(dir);
    config.databaseUrl = embedded.url;
    // One connection per app: the embedded server (pglite-socket) can interleave the protocol
    // messages of concurrent connections (electric-sql/pglite#1046), and PGlite runs one query
    // at a time anyway.
    config.databasePoolSize = 1;
    console.log(`database: embedded Postgres in ${dir} (set DATABASE_URL to use a server)`);
  }
  const applied = await runMigrations(config.databaseUrl);
  if (applied.length > 0) console.log(`migrations applied: ${applied.join(', ')}`);

  const generatedToken = !config.adminToken;
  if (!config.adminToken) config.adminToken = `bf-admin-${randomBytes(24).toString('base64url')}`;

  const gateway = await startGateway(config);
  const admin = await startAdmin(config);
  const providers = Object.keys(config.providers);
  console.log(
    [
      '',
      `gateway   ${gateway.url}  (POST /v1/responses, GET /v1/models)`,
      `admin     ${admin.url}  (dashboard /, Swagger UI /docs)`,
      generatedToken
        ? `ADMIN_TOKEN (generated, shown once; set ADMIN_TOKEN to choose your own): ${config.adminToken}`
        : 'ADMIN_TOKEN: from the environment',
      providers.length > 0
        ? `providers ${providers.join(', ')}`
        : 'providers none configured: set OPENAI_API_KEY (and OPENAI_BASE_URL), or GATEWAY_CONFIG; see README',
      '',
    ].join('\n'),
  );

  onShutdownSignal(async () => {
    await Promise.all([gateway.close(), admin.close()]);
    await embedded?.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
