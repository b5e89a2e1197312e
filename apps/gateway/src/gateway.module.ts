import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { type AppConfig, ConfigModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { HttpExecutor } from '@app/providers';
import { VirtualKeyCache } from './auth/virtual-key-cache.service';
import { AdminPriceCache } from './cost/admin-price-cache.service';
import { PricingService } from './cost/pricing.service';
import { GatewayExceptionFilter } from './edge/gateway-exception.filter';
import { GovernanceService } from './governance/governance.service';
import { LIMIT_STORE } from './governance/limit-store';
import { MemoryLimitStore } from './governance/memory-limit-store';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { FallbackPolicyCache } from './routing/fallback-policy-cache.service';
import { ChangeFeed } from './sync/change-feed.service';
import { HealthController } from './health/health.controller';
import { ModelsController } from './models/models.controller';
import { ModelCatalog } from './models/model-catalog.service';
import { ModelsService } from './models/models.service';
import { RequestLogWriter } from './request-log/request-log.writer';
import { RoutePlanner } from './routing/route-planner.service';
import { UpstreamCaller } from './routing/upstream-caller.service';
import { BackgroundResponses } from './background/background-responses.service';
import { ConversationStage } from './conversation/conversation.service';
import { KeyGuard } from './edge/key.guard';
import { ExecuteStage } from './execute/execute.service';
import { MessagesCountTokensHandler } from './formats/messages/messages-count-tokens.handler';
import { IngressStage } from './ingress/ingress.service';
import { RequestPipeline } from './pipeline/request-pipeline';
import { EmbeddingsPipeline } from './embeddings/embeddings.pipeline';
import { AdmissionStage } from './plan/admission.service';
import { PlanStage } from './plan/plan.service';
import { ResponseStore } from './settle/response-store.service';
import { SettleStage } from './settle/settle.service';
import { ResponseCache } from './state/response-cache';
import { CACHE_MAX_BYTES, CACHE_MAX_ENTRIES } from './state/stored-turn';
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
        // Limits shared by every replica when REDIS_URL is set; per process otherwise, without
        // the Redis client's code in the heap.
        {
          provide: LIMIT_STORE,
          useFactory: () => {
            if (!config.redisUrl) return new MemoryLimitStore();
            const { RedisLimitStore } = require('./governance/redis-limit-store') as typeof import('./governance/redis-limit-store');
            return new RedisLimitStore(config.redisUrl);
          },
        },
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
        IngressStage,
        PlanStage,
        ConversationStage,
        AdmissionStage,
        ExecuteStage,
        SettleStage,
        RequestPipeline,
        MessagesCountTokensHandler,
        EmbeddingsPipeline,
        KeyGuard,
        ModelsService,
        ModelCatalog,
        StoredResponseRepository,
        { provide: ResponseCache, useFactory: () => new ResponseCache(CACHE_MAX_ENTRIES, CACHE_MAX_BYTES) },
        StoredResponseWriter,
        RecentWrites,
        ResponseStore,
        BackgroundResponses,
        StateMaintenance,
        StoredResponsesService,
      ],
    };
  }
}
