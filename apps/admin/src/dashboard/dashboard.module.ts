import { Module } from '@nestjs/common';
import { DashboardAssets } from './dashboard-assets.service';
import { DashboardController } from './dashboard.controller';

/** Serves the built dashboard (apps/dashboard) at `/`; see README, "Dashboard". */
@Module({
  controllers: [DashboardController],
  providers: [DashboardAssets],
})
export class DashboardModule {}
