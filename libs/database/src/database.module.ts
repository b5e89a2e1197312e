import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { dataSourceOptions } from './data-source-options';

/** TypeORM over the configured URL; the launcher resolves the embedded database's URL before boot. */
@Module({})
export class DatabaseModule {
  static forRoot(): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => {
            if (!config.databaseUrl) throw new Error('DatabaseModule needs config.databaseUrl (set DATABASE_URL or start the embedded database first)');
            return dataSourceOptions(config.databaseUrl, config.databasePoolSize);
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
