import type { DataSourceOptions } from 'typeorm';
import { ENTITIES, MIGRATIONS } from './entities';

export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    // One transaction per migration (as runMigrations does at start): index builds CONCURRENTLY opt out.
    migrationsTransactionMode: 'each',
    // Failures surface as exceptions that callers log concisely; TypeORM's own log would print every parameter.
    logging: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5_000 },
  };
}
