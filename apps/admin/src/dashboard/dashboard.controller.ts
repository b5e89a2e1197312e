import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
// Not `Response`: decorator metadata would read that global, which loads Node's fetch.
import type { Response as ExpressResponse } from 'express';
import { GatewayError } from '@app/common';
import { PublicRoute } from '../auth/public-route.decorator';
import { contentSecurityPolicy, DashboardAssets } from './dashboard-assets.service';

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>Dashboard not built</title>
<p>The dashboard has not been built. Run <code>npm run build:dashboard</code> (or <code>npm start</code>, which builds it) and reload.</p>
<p>The admin API is available meanwhile: see <a href="/docs">/docs</a>.</p>`;

/**
 * The dashboard's HTML shell and static files are public: a browser loads them before it has a
 * token. Every /api route stays behind the admin token, which the page sends from memory.
 */
@ApiExcludeController()
@PublicRoute()
@Controller()
export class DashboardController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get()
  index(@Res() res: ExpressResponse): void {
    setSecurityHeaders(res);
    res.setHeader('cache-control', 'no-cache');
    const page = this.assets.indexPage();
    if (!page) {
      res.setHeader('content-security-policy', contentSecurityPolicy());
      res.status(503).type('html').send(NOT_BUILT_PAGE);
      return;
    }
    res.setHeader('content-security-policy', page.contentSecurityPolicy);
    res.type('html').send(page.html);
  }

  @Get('assets/*path')
  asset(@Param('path') segments: string[] | string, @Res() res: ExpressResponse): void {
    // Express 5 hands a wildcard over as its segments.
    const relative = Array.isArray(segments) ? segments.join('/') : segments;
    const file = this.assets.assetPath(relative);
    if (!file) throw GatewayError.notFound(`No dashboard asset ${relative}`);
    setSecurityHeaders(res);
    // Revalidated on every load (ETag, 304): file names carry no content hash, so nothing may go stale.
    res.sendFile(file, { cacheControl: false, dotfiles: 'deny', headers: { 'cache-control': 'no-cache' } });
  }
}

function setSecurityHeaders(res: ExpressResponse): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
}
