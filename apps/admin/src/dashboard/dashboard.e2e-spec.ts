import { createHash, randomUUID } from 'node:crypto';
import { loadConfig } from '@app/config';
import { buildDashboard } from '../../../../test/dashboard/build-dashboard';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { type RunningAdmin, startAdmin } from '../admin.bootstrap';
import { findDashboardDir } from './dashboard-assets.service';

const TOKEN = `admin-${randomUUID()}`;

describe('dashboard assets (e2e)', () => {
  let db: TestDatabase;
  let admin: RunningAdmin;

  beforeAll(async () => {
    await buildDashboard();
    db = await createTestDatabase();
    admin = await startAdmin(loadConfig({ ...db.appEnv, DATABASE_URL: db.url, ADMIN_TOKEN: TOKEN, ADMIN_PORT: '0', HOST: '127.0.0.1' }), { logger: false });
  });

  afterAll(async () => {
    await admin?.close();
    await db?.drop();
  });

  it('serves the page at / without a token, with a CSP that allows exactly its inline import map', async () => {
    const res = await fetch(`${admin.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<div id="app">');
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(JSON.parse(importMap).imports.preact).toBe('/assets/vendor/preact.mjs');
    const hash = createHash('sha256').update(importMap).digest('base64');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves the modules the page loads, with the right types and revalidation', async () => {
    const html = await (await fetch(`${admin.url}/`)).text();
    const urls = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(urls).toEqual(expect.arrayContaining(['/assets/app/main.js', '/assets/vendor/uplot.mjs', '/assets/styles.css']));
    for (const url of urls) {
      const res = await fetch(`${admin.url}${url}`);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      expect(res.headers.get('content-type')).toMatch(/javascript|css|svg/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      await res.arrayBuffer();
    }
    const main = await fetch(`${admin.url}/assets/app/main.js`);
    const etag = main.headers.get('etag');
    expect(etag).toBeTruthy();
    // An explicit cache-control: fetch would otherwise add `no-cache` to a conditional request, as browsers' reload does.
    const again = await fetch(`${admin.url}/assets/app/main.js`, { headers: { 'if-none-match': etag ?? '', 'cache-control': 'max-age=0' } });
    expect(again.status).toBe(304);
  });

  it.each(['/assets/nope.js', '/assets/..%2F..%2Fpackage.json', '/assets/%2e%2e/%2e%2e/index.html', '/assets/app/../../../../package.json'])(
    'answers 404 in the API error shape for %s',
    async (url) => {
      const res = await fetch(`${admin.url}${url}`);
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe('not_found');
    },
  );

  it('keeps the API behind the admin token', async () => {
    expect((await fetch(`${admin.url}/api/virtual-keys`)).status).toBe(401);
    expect((await fetch(`${admin.url}/api/virtual-keys`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('finds the build from the sources and from the compiled app', () => {
    expect(findDashboardDir()).toMatch(/dist[\\/]dashboard$/);
    expect(findDashboardDir('/nonexistent/a/b/c/d')).toBeNull();
  });
});
