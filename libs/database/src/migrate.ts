import { DataSource, type Logger } from 'typeorm';
import type { StartupWatchdog } from '@app/common';
import { dataSourceOptions } from './data-source-options';

// Any constant: the gateway and admin processes may start together against one database.
const MIGRATION_LOCK_ID = 7_420_001;
const LOCK_RETRY_MS = 100;
const CONNECT_RETRY_MS = 500;
const DEFAULT_TIMEOUT_MS = 120_000;

export interface MigrateOptions {
  /** Give up with a MigrationTimeoutError when not done by then. */
  timeoutMs?: number;
  /** Progress worth telling an operator: waiting for the database, or for another process's migrations. */
  log?: (message: string) => void;
  /** application_name of the connections, so another waiting process can name the holder. */
  applicationName?: string;
  /** How long one connection attempt may take (a loaded machine, an embedded database); 5 s by default. */
  connectTimeoutMs?: number;
}

/** Start-up could not apply (or see applied) the migrations in time; the message says what it waited for. */
export class MigrationTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationTimeoutError';
  }
}

/**
 * Applies pending migrations exactly once, however many processes start together.
 *
 * Nothing pending: no lock at all, so replicas starting on a migrated database never queue.
 * Otherwise one process holds an advisory lock while it migrates; the others poll for it with
 * pg_try_advisory_lock instead of blocking in pg_advisory_lock. A blocked waiter's statement
 * keeps a snapshot open, which the holder's CREATE INDEX CONCURRENTLY waits for, while the
 * waiter waits for the holder's lock held on another connection: a cycle through the client
 * that Postgres's deadlock detector cannot see. Short polls hold no snapshot for long.
 */
export async function runMigrations(url: string, options: MigrateOptions = {}): Promise<string[]> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const log = options.log ?? (() => undefined);
  const ds = await connect(url, options.applicationName ?? 'bf-migrate', deadline, log, options.connectTimeoutMs);
  try {
    if (!(await hasPending(ds))) return [];
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await acquireLock(runner.query.bind(runner), deadline, log);
      try {
        const applied = await ds.runMigrations({ transaction: 'each' });
        return applied.map((m) => m.name);
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  } finally {
    await ds.destroy().catch(() => undefined);
  }
}

/** Connection errors that mean "not up yet" (compose starting the database, a restart). */
function isTransient(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', '57P03'].includes(e.code ?? '') ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(e.message ?? '')
  );
}

async function connect(url: string, applicationName: string, deadline: number, log: (m: string) => void, connectTimeoutMs?: number): Promise<DataSource> {
  let told = false;
  for (;;) {
    const ds = new DataSource({ ...dataSourceOptions(url, 2, applicationName, connectTimeoutMs), logger: progressLogger(log) });
    try {
      return await ds.initialize();
    } catch (err) {
      // A failed initialize can leave its pool and a client open, erroring later into whatever runs next.
      await ds.driver.disconnect().catch(() => undefined);
      if (!isTransient(err)) throw err;
      const where = safeHost(url);
      if (Date.now() + CONNECT_RETRY_MS > deadline) {
        throw new MigrationTimeoutError(`the database at ${where} did not answer in time (${(err as Error).message})`);
      }
      if (!told) log(`waiting for the database at ${where} (${(err as Error).message})`);
      told = true;
      await pause(CONNECT_RETRY_MS);
    }
  }
}

/** TypeORM's logger for the migrations' own progress (`q.connection.logger.log('info', ...)`, e.g. waiting for an index build); nothing else. */
function progressLogger(log: (m: string) => void): Logger {
  const quiet = () => undefined;
  return {
    log: (level, message) => {
      if (level === 'info') log(`migrations: ${String(message)}`);
    },
    logQuery: quiet,
    logQueryError: quiet,
    logQuerySlow: quiet,
    logSchemaBuild: quiet,
    logMigration: quiet,
  };
}

function safeHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** Whether any known migration is missing from TypeORM's `migrations` table (absent on a fresh database). */
async function hasPending(ds: DataSource): Promise<boolean> {
  const [table] = (await ds.query(`SELECT to_regclass('migrations') IS NOT NULL AS present`)) as { present: boolean }[];
  if (!table.present) return true;
  const rows = (await ds.query('SELECT name FROM migrations')) as { name: string }[];
  const applied = new Set(rows.map((r) => r.name));
  return ds.migrations.some((m) => !applied.has(m.name ?? m.constructor.name));
}

type Query = (sql: string, params?: unknown[]) => Promise<unknown>;

async function acquireLock(query: Query, deadline: number, log: (m: string) => void): Promise<void> {
  let waitingSince: number | null = null;
  for (;;) {
    const [row] = (await query('SELECT pg_try_advisory_lock($1) AS ok', [MIGRATION_LOCK_ID])) as { ok: boolean }[];
    if (row.ok) {
      if (waitingSince !== null) log(`migrations: the other process finished after ${Date.now() - waitingSince} ms; checking for anything left`);
      return;
    }
    if (waitingSince === null) {
      waitingSince = Date.now();
      log(`waiting for another process to finish applying migrations (${await describeHolder(query)})`);
    }
    if (Date.now() + LOCK_RETRY_MS > deadline) {
      throw new MigrationTimeoutError(`gave up waiting for another process's migrations after ${Math.round((Date.now() - waitingSince) / 1000)} s (${await describeHolder(query)})`);
    }
    await pause(LOCK_RETRY_MS);
  }
}

/** Who holds the migration lock, as far as this connection may see. */
async function describeHolder(query: Query): Promise<string> {
  const rows = (await query(
    `SELECT a.pid, a.application_name, a.client_addr::text AS client
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.objid = $1 AND l.granted`,
    [MIGRATION_LOCK_ID],
  ).catch(() => [])) as { pid: number; application_name: string | null; client: string | null }[];
  if (rows.length === 0) return 'holder unknown';
  const h = rows[0];
  return `held by server pid ${h.pid}${h.application_name ? ` (${h.application_name})` : ''}${h.client ? ` from ${h.client}` : ''}`;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Migrations stop waiting up to this long before the start-up watchdog's limit: time for their own
// message (who holds the lock, which database did not answer) to be said before the watchdog's.
const WATCHDOG_MARGIN_MS = 500;

/** How long start-up's migrations may wait for the database or the lock: what is left of the budget, less the margin. */
export function migrationBudgetMs(remainingMs: number): number {
  return Math.max(0, remainingMs - Math.min(WATCHDOG_MARGIN_MS, remainingMs / 2));
}

/** The apps' start-up step: migrations within what is left of the start-up budget, progress on the console. */
export async function migrateAtStart(url: string, app: string, watchdog: StartupWatchdog, log: (m: string) => void = console.log): Promise<void> {
  watchdog.stage('applying database migrations');
  const applied = await runMigrations(url, { timeoutMs: migrationBudgetMs(watchdog.remainingMs()), log: (m) => log(`${app}: ${m}`), applicationName: `bf-${app}` });
  if (applied.length > 0) log(`${app}: migrations applied: ${applied.join(', ')}`);
  watchdog.stage('starting');
}
