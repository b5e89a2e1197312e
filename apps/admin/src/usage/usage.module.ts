import { Module } from '@nestjs/common';
import { UsageController } from './usage.controller';
import { TypeOrmUsageRepository, USAGE_REPOSITORY } from './usage.repository';
import { UsageService } from './usage.service';

@Module({
  controllers: [UsageController],
  providers: [UsageService, { provide: USAGE_REPOSITORY, useClass: TypeOrmUsageRepository }],
})
export class UsageModule {}
