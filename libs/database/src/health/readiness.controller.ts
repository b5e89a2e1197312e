import { Get, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * GET /health (the process answers) and GET /ready (the database answers too), for each app
 * to mount with its own @Controller() (and, on the admin app, without the token check).
 */
// Decorated so that its constructor's parameter types are emitted for the subclasses' injection.
@Injectable()
export abstract class ReadinessController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

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
