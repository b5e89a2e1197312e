import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { dataSourceOptions } from './data-source-options';

/** TypeORM over the configured URL; the launcher resolves the embedded database's URL before boot. */
@Module({})
export class DatabaseModule {
  private static root: DynamicModule | undefined;

  /**
   * One module definition per process, shared by every app in it: each Nest app still builds
   * its own DataSource from its own APP_CONFIG, but @nestjs/typeorm counts definitions per
   * process and warns about a second one (gateway and admin app under `npm start`).
   */
  static forRoot(): DynamicModule {
    DatabaseModule.root ??= {
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
    return DatabaseModule.root;
  }
}
