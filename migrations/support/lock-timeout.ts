import type { QueryRunner } from 'typeorm';

const LOCK_NOT_AVAILABLE = '55P03';

export interface LockTries {
  /** How long each try waits for the lock. */
  lockTimeoutMs: number;
  /** Between tries, while the statements queued behind a try run. */
  pauseMs: number;
  tries: number;
}

const DEFAULT_TRIES: LockTries = { lockTimeoutMs: 2_000, pauseMs: 500, tries: 5 };

/**
 * Runs a statement that needs an ACCESS EXCLUSIVE lock on a table the gateway keeps using (an
 * ALTER TABLE) without queueing for it unboundedly: behind a long reader (a pg_dump, a purge), a
 * queued ALTER would hold up every statement on the table that comes after it, and a start-up
 * that gave up would leave its backend queued still. Each try waits `lockTimeoutMs` in a
 * savepoint of the migration's transaction; a try that times out is rolled back to the savepoint
 * and tried again after a pause; after the last, the migration fails, naming the table. Any other
 * error is thrown as it is, the transaction left usable. The tries (12.5 s by default) count
 * against the start-up's budget like any other wait of the migrations.
 */
export async function alterWithLockTimeout(q: QueryRunner, table: string, sql: string, options: LockTries = DEFAULT_TRIES): Promise<void> {
  const { lockTimeoutMs, pauseMs, tries } = options;
  for (let attempt = 1; ; attempt++) {
    await q.query('SAVEPOINT lock_timeout_try');
    try {
      await q.query(`SET LOCAL lock_timeout = ${Math.round(lockTimeoutMs)}`);
      await q.query(sql);
      // RELEASE keeps a SET LOCAL: the rest of the transaction waits for locks as it would have.
      await q.query('SET LOCAL lock_timeout = DEFAULT');
      await q.query('RELEASE SAVEPOINT lock_timeout_try');
      return;
    } catch (err) {
      await q.query('ROLLBACK TO SAVEPOINT lock_timeout_try');
      if ((err as { code?: unknown }).code !== LOCK_NOT_AVAILABLE) throw err;
      if (attempt >= tries) {
        throw new Error(`${table} stayed locked by other statements through ${tries} tries of ${lockTimeoutMs} ms; the migration runs again at the next start`);
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}
