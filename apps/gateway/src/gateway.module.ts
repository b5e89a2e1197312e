import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { type AppConfig, ConfigModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { HttpExecutor } from '@app/providers';
import { VirtualKeyCache } from './auth/virtual-key-cache.service';
import { AdminPriceCache } from './cost/admin-price-cache.service';
import { PricingService } from './cost/pricing.service';
import { GatewayExceptionFilter } from './gateway-exception.filter';
import { GovernanceService } from './governance/governance.service';
import { LIMIT_STORE } from './governance/limit-store';
import { MemoryLimitStore } from './governance/memory-limit-store';
import { RedisLimitStore } from './governance/redis-limit-store';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { FallbackPolicyCache } from './routing/fallback-policy-cache.service';
import { ChangeFeed } from './sync/change-feed.service';
import { HealthController } from './health/health.controller';
import { ModelsController } from './models/models.controller';
import { ModelCatalog } from './models/model-catalog.service';
import { ModelsService } from './models/models.service';
import { RequestLogWriter } from './request-log/request-log.writer';
import { ResponsesHandler } from './responses/responses.handler';
import { RoutePlanner } from './routing/route-planner.service';
import { UpstreamCaller } from './routing/upstream-caller.service';
import { ResponseStateService } from './state/response-state.service';
import { StateMaintenance } from './state/state-maintenance.service';
import { StoredResponseRepository } from './state/stored-response.repository';
import { StoredResponseWriter } from './state/stored-response.writer';
import { RecentWrites } from './state/recent-writes';
import { StoredResponsesController } from './state/stored-responses.controller';
import { StoredResponsesService } from './state/stored-responses.service';

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot()],
      controllers: [HealthController, ModelsController, MetricsController, StoredResponsesController],
      providers: [
        { provide: APP_FILTER, useClass: GatewayExceptionFilter },
        { provide: HttpExecutor, useFactory: () => new HttpExecutor({ connectionsPerOrigin: config.http.upstreamConnectionsPerOrigin }) },
        // Limits shared by every replica when REDIS_URL is set; per process otherwise.
        { provide: LIMIT_STORE, useFactory: () => (config.redisUrl ? new RedisLimitStore(config.redisUrl) : new MemoryLimitStore()) },
        ChangeFeed,
        VirtualKeyCache,
        FallbackPolicyCache,
        GovernanceService,
        PricingService,
        AdminPriceCache,
        MetricsService,
        RoutePlanner,
        UpstreamCaller,
        RequestLogWriter,
        ResponsesHandler,
        ModelsService,
        ModelCatalog,
        StoredResponseRepository,
        StoredResponseWriter,
        RecentWrites,
        ResponseStateService,
        StateMaintenance,
        StoredResponsesService,
      ],
    };
  }
}
