import cluster from 'node:cluster';
import { type AppConfig, ConfigError, loadConfig, onShutdownSignal } from '@app/common';
import { runMigrations } from '@app/database';
import { startGateway } from './gateway.bootstrap';

/**
 * The gateway alone (deployments: one process per app; `npm start` runs both apps together).
 * GATEWAY_WORKERS=N forks N workers that share the port through node:cluster, so every core
 * serves requests; limits and budgets are shared through REDIS_URL, everything else through
 * Postgres.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'is required to run the gateway on its own (npm start runs it with an embedded database)');
  if (config.gatewayWorkers > 1 && cluster.isPrimary) return runPrimary(config, config.databaseUrl);
  if (cluster.isPrimary) await runMigrations(config.databaseUrl);
  const gateway = await startGateway(config);
  const who = cluster.isWorker ? `worker ${cluster.worker?.id} ` : '';
  console.log(`gateway ${who}listening on ${gateway.url} (providers: ${Object.keys(config.providers).join(', ') || 'none configured'})`);
  if (cluster.isWorker) {
    // Ctrl-C reaches every process of the group: workers wait for the primary's SIGTERM instead.
    process.on('SIGINT', () => undefined);
    onShutdownSignal(() => gateway.close(), console.log, ['SIGTERM']);
  } else {
    onShutdownSignal(() => gateway.close());
  }
}

async function runPrimary(config: AppConfig, databaseUrl: string): Promise<void> {
  await runMigrations(databaseUrl);
  if (!config.redisUrl) console.warn(`GATEWAY_WORKERS=${config.gatewayWorkers} without REDIS_URL: rate limits and budgets are counted per worker`);
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    console.error(`gateway worker ${worker.id} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  for (let i = 0; i < config.gatewayWorkers; i++) cluster.fork();
  onShutdownSignal(async () => {
    stopping = true;
    // Each worker drains its own in-flight requests and flushes its logs on SIGTERM.
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.process.kill('SIGTERM');
    })));
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
