import type * as Pg from 'pg';

/**
 * pg for the whole process, TypeORM's driver included (dataSourceOptions). On load, pg asks
 * whether it runs on Cloudflare Workers: from `navigator.userAgent`, or where there is none (Node
 * 20; Node 21+ has one) by constructing a web `Response`, which makes Node load its fetch
 * implementation and keep it in the heap for nothing. So pg loads with a navigator that answers
 * as Node 21's does, removed again at once (test/deploy/loaded-modules checks it).
 */
function loadPg(): typeof Pg {
  if ('navigator' in globalThis) return require('pg') as typeof Pg;
  try {
    Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` }, configurable: true });
  } catch {
    // A frozen global: pg then loads as it would anyway.
    return require('pg') as typeof Pg;
  }
  try {
    return require('pg') as typeof Pg;
  } finally {
    delete (globalThis as { navigator?: unknown }).navigator;
  }
}

export const pg = loadPg();
