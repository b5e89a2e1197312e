import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { type AppConfig, ConfigModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { AdminExceptionFilter } from './admin-exception.filter';
import { createAdminValidationPipe } from './admin-validation.pipe';
import { AdminTokenGuard } from './auth/admin-token.guard';
import { DashboardModule } from './dashboard/dashboard.module';
import { FallbackPolicyModule } from './fallback-policies/fallback-policy.module';
import { HealthModule } from './health/health.module';
import { RequestLogModule } from './logs/request-log.module';
import { PricingModule } from './pricing/pricing.module';
import { ProviderModule } from './providers/provider.module';
import { ChangeBarrier } from './sync/change-barrier.service';
import { ChangeSyncInterceptor } from './sync/change-sync.interceptor';
import { UsageModule } from './usage/usage.module';
import { VirtualKeyModule } from './virtual-keys/virtual-key.module';

@Module({})
export class AdminModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AdminModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot(), VirtualKeyModule, FallbackPolicyModule, RequestLogModule, UsageModule, ProviderModule, PricingModule, DashboardModule, HealthModule],
      providers: [
        { provide: APP_PIPE, useFactory: () => createAdminValidationPipe(config.limits.maxJsonDepth) },
        { provide: APP_FILTER, useClass: AdminExceptionFilter },
        { provide: APP_GUARD, useClass: AdminTokenGuard },
        ChangeBarrier,
        // Admin writes answer once the gateways have them in force.
        { provide: APP_INTERCEPTOR, useClass: ChangeSyncInterceptor },
      ],
    };
  }
}
