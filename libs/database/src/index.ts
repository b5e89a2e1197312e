// The public surface of @app/database; inside this lib import by relative path.
export * from './entities/virtual-key.entity';
export * from './entities/request-log.entity';
export * from './entities/fallback-policy.entity';
export * from './entities/model-price.entity';
export * from './entities/stored-response.entity';
export * from './entities/stored-item.entity';
export * from './entities/request-log-dead-letter.entity';
export * from './query-rows';
export * from './entities';
export * from './data-source-options';
export * from './database.module';
export * from './migrate';
export * from './embedded/embedded-postgres';
export * from './sync/change-channel';
export * from './sync/local-change-bus';
export * from './sync/pg-listener';
export * from './health/readiness.controller';
