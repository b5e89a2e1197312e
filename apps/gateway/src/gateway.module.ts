import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { type AppConfig, ConfigModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { HttpExecutor } from '@app/providers';
import { VirtualKeyCache } from './auth/virtual-key-cache.service';
import { GatewayExceptionFilter } from './gateway-exception.filter';
import { HealthController } from './health/health.controller';
import { ModelsController } from './models/models.controller';
import { ModelsService } from './models/models.service';
import { RequestLogWriter } from './request-log/request-log.writer';
import { ResponsesHandler } from './responses/responses.handler';
import { RoutePlanner } from './routing/route-planner.service';
import { UpstreamCaller } from './routing/upstream-caller.service';

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot()],
      controllers: [HealthController, ModelsController],
      providers: [
        { provide: APP_FILTER, useClass: GatewayExceptionFilter },
        { provide: HttpExecutor, useFactory: () => new HttpExecutor() },
        VirtualKeyCache,
        RoutePlanner,
        UpstreamCaller,
        RequestLogWriter,
        ResponsesHandler,
        ModelsService,
      ],
    };
  }
}
