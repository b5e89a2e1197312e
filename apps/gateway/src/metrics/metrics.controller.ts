import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
// Not `Response`: decorator metadata would read that global, which loads Node's fetch.
import type { Response as ExpressResponse } from 'express';
import { APP_CONFIG, type AppConfig, ErrorCode, GatewayError } from '@app/common';
import { MetricsService } from './metrics.service';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Prometheus text; with `server.metrics_token` set, only for `Authorization: Bearer <token>` (spend per model is no one else's business). */
@Controller('metrics')
export class MetricsController {
  private readonly tokenDigest: Buffer | null;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.tokenDigest = config.metricsToken === undefined ? null : digest(config.metricsToken);
  }

  @Get()
  scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) res: ExpressResponse): Promise<string> {
    if (this.tokenDigest !== null) {
      const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
      // Digests compare in constant time whatever the lengths.
      if (m === null || !timingSafeEqual(digest(m[1]), this.tokenDigest)) {
        throw new GatewayError(401, ErrorCode.Unauthorized, 'GET /metrics needs "Authorization: Bearer <metrics token>" (server.metrics_token).', null, { 'www-authenticate': 'Bearer' });
      }
    }
    // Set here, not by decorator: a refusal above must keep the JSON error's type.
    res.setHeader('content-type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
