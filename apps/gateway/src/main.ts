import { ConfigError, loadConfig, onShutdownSignal } from '@app/common';
import { runMigrations } from '@app/database';
import { startGateway } from './gateway.bootstrap';

/** The gateway alone (deployments: one process per app). `npm start` runs both apps together. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'is required to run the gateway on its own (npm start runs it with an embedded database)');
  await runMigrations(config.databaseUrl);
  const gateway = await startGateway(config);
  console.log(`gateway listening on ${gateway.url} (providers: ${Object.keys(config.providers).join(', ') || 'none configured'})`);
  onShutdownSignal(() => gateway.close());
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
