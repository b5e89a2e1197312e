import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { dataSourceOptions } from './data-source-options';

// Used by the TypeORM CLI (`npm run migration:run`); the apps run migrations themselves at start.
const config = loadConfig();
if (!config.databaseUrl) throw new Error('DATABASE_URL must be set for the migration CLI');
export default new DataSource(dataSourceOptions(config.databaseUrl));
