import { Client } from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import { alterWithLockTimeout } from '../../migrations/support/lock-timeout';
import { describeWhen, NEEDS_DATABASE_URL } from '../support/describe-when';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env.config';

const FAST = { lockTimeoutMs: 100, pauseMs: 20, tries: 3 };

/**
 * A migration's ALTER TABLE on a table other sessions hold waits a bounded time per try, and
 * gives up naming the table instead of queueing (and holding up everything behind it) for as
 * long as the holder runs. Two sessions contending for a lock need the server.
 */
describeWhen(testEnv.databaseUrl, NEEDS_DATABASE_URL)('ALTER TABLE with a bounded lock wait (alterWithLockTimeout)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let holder: Client;
  let q: QueryRunner;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    ds = await new DataSource({ type: 'postgres', url: db.url }).initialize();
    holder = new Client({ connectionString: db.url });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await ds?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    await ds.query('DROP TABLE IF EXISTS busy; CREATE TABLE busy (id int)');
    q = ds.createQueryRunner();
    await q.startTransaction();
  });
  afterEach(async () => {
    if (q.isTransactionActive) await q.rollbackTransaction();
    await q.release();
    await holder.query('ROLLBACK');
  });

  const columns = async (): Promise<string[]> =>
    (await ds.query(`SELECT attname FROM pg_attribute WHERE attrelid = 'busy'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`)).map((r: { attname: string }) => r.attname);
  const waiting = async (): Promise<number> =>
    Number((await ds.query(`SELECT count(*) AS n FROM pg_locks WHERE relation = 'busy'::regclass AND NOT granted`))[0].n);

  it('alters a table nobody holds at once', async () => {
    await alterWithLockTimeout(q, 'busy', 'ALTER TABLE busy ADD COLUMN note text', FAST);
    await q.commitTransaction();
    expect(await columns()).toEqual(['id', 'note']);
  });

  it('gives up after its tries while another session reads the table, naming it, and leaves nothing queued', async () => {
    await holder.query('BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE');
    const started = Date.now();
    await expect(alterWithLockTimeout(q, 'busy', 'ALTER TABLE busy ADD COLUMN note text', FAST)).rejects.toThrow(/busy stayed locked by other statements through 3 tries of 100 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 100 + 2 * 20);
    expect(await waiting()).toBe(0);
    // The migration's transaction is still usable (the failed tries were rolled back to their savepoint).
    expect(await q.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await q.rollbackTransaction();
    await holder.query('COMMIT');
    expect(await columns()).toEqual(['id']);
  });

  it('succeeds on a later try once the holder lets go', async () => {
    await holder.query('BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE');
    const released = new Promise<void>((resolve) => setTimeout(() => void holder.query('COMMIT').then(() => resolve()), 150));
    await alterWithLockTimeout(q, 'busy', 'ALTER TABLE busy ADD COLUMN note text', { lockTimeoutMs: 100, pauseMs: 20, tries: 10 });
    await released;
    await q.commitTransaction();
    expect(await columns()).toEqual(['id', 'note']);
  });

  it('throws any other error as it is, the transaction still usable', async () => {
    await expect(alterWithLockTimeout(q, 'busy', 'ALTER TABLE busy DROP COLUMN missing', FAST)).rejects.toMatchObject({ code: '42703' });
    expect(await q.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
