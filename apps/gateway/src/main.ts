import cluster from 'node:cluster';
import { type AppConfig, ConfigError, onShutdownSignal, StartupWatchdog } from '@app/common';
import { loadConfig } from '@app/config';
import { migrateAtStart, MigrationTimeoutError } from '@app/database';
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
  const watchdog = new StartupWatchdog(cluster.isWorker ? `gateway worker ${cluster.worker?.id}` : 'gateway', config.startupTimeoutMs);
  if (config.gatewayWorkers > 1 && cluster.isPrimary) return runPrimary(config, config.databaseUrl, watchdog);
  if (cluster.isPrimary) await migrateAtStart(config.databaseUrl, 'gateway', watchdog);
  watchdog.stage('loading keys and policies, binding the port');
  const gateway = await startGateway(config);
  watchdog.done();
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

async function runPrimary(config: AppConfig, databaseUrl: string, watchdog: StartupWatchdog): Promise<void> {
  await migrateAtStart(databaseUrl, 'gateway', watchdog);
  // Each worker has its own start-up bound from here.
  watchdog.done();
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
  // The user's to fix, and the message says what: a stack would bury it.
  console.error(err instanceof ConfigError || err instanceof MigrationTimeoutError ? `gateway: ${err.message}` : err);
  process.exit(1);
});
