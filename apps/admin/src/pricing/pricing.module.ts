import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { PriceBook } from '@app/pricing';
import { PricingController } from './pricing.controller';
import { PRICING_REPOSITORY, TypeOrmPricingRepository } from './pricing.repository';
import { PRICE_BOOK, PricingService } from './pricing.service';

@Module({
  controllers: [PricingController],
  providers: [
    PricingService,
    { provide: PRICING_REPOSITORY, useClass: TypeOrmPricingRepository },
    // Overrides were validated when the configuration was loaded; built once here.
    {
      provide: PRICE_BOOK,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new PriceBook({ overrides: config.pricing, providerKinds: new Map(Object.values(config.providers).map((p) => [p.name, p.kind])) }),
    },
  ],
})
export class PricingModule {}
