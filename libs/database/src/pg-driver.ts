import type * as Pg from 'pg';

/**
 * pg, loaded here for the whole process (TypeORM then finds it loaded). On load, pg asks whether
 * it runs on Cloudflare Workers: from `navigator.userAgent`, or where there is no navigator (Node
 * 20; Node 21 has one) by constructing a web `Response`, which makes Node load its fetch
 * implementation and keep it for good (~2 MB of heap) for nothing. So pg loads with a navigator
 * that answers as Node 21's does, removed again at once.
 */
function loadPg(): typeof Pg {
  if ('navigator' in globalThis) return require('pg') as typeof Pg;
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` }, configurable: true });
  try {
    return require('pg') as typeof Pg;
  } finally {
    delete (globalThis as { navigator?: unknown }).navigator;
  }
}

export const pg = loadPg();
