import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describeWhen, NEEDS_BUILD } from '../support/describe-when';

const DIST = path.resolve(__dirname, '../../dist/apps');
const BOOTSTRAPS = ['gateway/src/gateway.bootstrap.js', 'admin/src/admin.bootstrap.js'].map((f) => path.join(DIST, f));

/**
 * What the apps load stays in their heap for good. Loaded in a fresh process, as in production
 * (Jest's own environment loads some of these itself), the apps' modules must leave out what
 * serves only other set-ups: PGlite (the embedded database), ioredis (REDIS_URL), undici's
 * entry point (fetch, WebSocket, mocks: the executor uses its Pool), and Node's own fetch.
 */
describeWhen(BOOTSTRAPS.every((f) => existsSync(f)), NEEDS_BUILD)('modules the apps load', () => {
  it('leave out the embedded database, the Redis client, undici beyond its Pool and Node\'s fetch', async () => {
    const script = `
      for (const f of ${JSON.stringify(BOOTSTRAPS)}) require(f);
      const files = Object.keys(require.cache);
      console.log(JSON.stringify({
        pglite: files.some((f) => f.includes('/@electric-sql/pglite')),
        ioredis: files.some((f) => f.includes('/node_modules/ioredis/')),
        undiciEntry: files.some((f) => f.endsWith('/node_modules/undici/index.js')),
        undiciPool: files.some((f) => f.endsWith('/node_modules/undici/lib/dispatcher/pool.js')),
        // moduleLoadList is Node's own (undocumented) list of the internal modules it loaded.
        nodeFetch: process.moduleLoadList.some((m) => m.includes('internal/deps/undici')),
        navigatorLeftBehind: 'navigator' in globalThis && process.versions.node.split('.')[0] === '20',
      }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script]);
    expect(JSON.parse(stdout)).toEqual({ pglite: false, ioredis: false, undiciEntry: false, undiciPool: true, nodeFetch: false, navigatorLeftBehind: false });
  });
});
