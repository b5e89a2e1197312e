import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { PriceBook } from '@app/pricing';
import { ProviderController } from './provider.controller';
import { PRICE_BOOK, PricingService } from './pricing.service';
import { ProviderService } from './provider.service';

@Module({
  controllers: [ProviderController],
  providers: [
    ProviderService,
    PricingService,
    // Overrides were validated when the configuration was loaded; built once here.
    { provide: PRICE_BOOK, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new PriceBook({ overrides: config.pricing, configPath: 'GATEWAY_CONFIG pricing' }) },
  ],
})
export class ProviderModule {}
