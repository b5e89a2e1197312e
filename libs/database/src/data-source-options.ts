import type { DataSourceOptions } from 'typeorm';
import { ENTITIES, MIGRATIONS } from './entities';
import { pg } from './pg-driver';

/**
 * @param applicationName shown in pg_stat_activity: who holds a lock, which replicas listen for changes.
 * @param connectTimeoutMs how long a new connection may take before it counts as failed.
 */
export function dataSourceOptions(url: string, poolSize = 10, applicationName?: string, connectTimeoutMs = 5_000): DataSourceOptions {
  return {
    type: 'postgres',
    // pg as pg-driver loads it, whatever was imported first.
    driver: pg,
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    // One transaction per migration (as runMigrations does at start): index builds CONCURRENTLY opt out.
    migrationsTransactionMode: 'each',
    // Failures surface as exceptions that callers log concisely; TypeORM's own log would print every parameter.
    logging: false,
    ...(applicationName ? { applicationName } : {}),
    extra: { max: poolSize, connectionTimeoutMillis: connectTimeoutMs },
  };
}
