import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { PublicRoute } from '../auth/public-route.decorator';

/** For orchestrators (compose healthchecks, load balancers): no token, nothing revealed. */
@ApiExcludeController()
@PublicRoute()
@Controller()
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  /** Alive: the process answers. */
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready: the database answers too. */
  @Get('ready')
  async ready(): Promise<{ status: 'ready' }> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException('database unreachable');
    }
    return { status: 'ready' };
  }
}
