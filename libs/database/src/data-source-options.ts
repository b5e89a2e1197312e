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
    logging: ['error'],
    extra: { max: poolSize, connectionTimeoutMillis: 5_000 },
  };
}
