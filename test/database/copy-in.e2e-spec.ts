import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Client, type PoolClient } from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import { CopyIn } from '../../apps/gateway/src/storage/copy-in';
import { CHUNK_BYTES, type RowText } from '../../apps/gateway/src/storage/row-text';
import { PlainLines } from '../../apps/gateway/src/storage/testing/plain-lines';
import { describeWhen, NEEDS_DATABASE_URL } from '../support/describe-when';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env.config';

const GATE = 4242;
const FILLER = 'x'.repeat(1000);
const GREETING = 'Grüße 🚀';
// About 8 kB a piece: many pieces go out before the socket is full.
const ROWS_PER_PIECE = 8;
// More than the socket buffers on both ends hold (loopback's grow to about 36 MB): a socket still not full by then never will be.
const MAX_BYTES = 64 * 1024 * 1024;

/** Rows `from` .. `from + count - 1` as COPY text. */
function piece(from: number, count = ROWS_PER_PIECE): Buffer {
  let text = '';
  for (let n = from; n < from + count; n++) text += `${n}\t${FILLER}\n`;
  return Buffer.from(text);
}

/**
 * CopyIn against the server (the embedded database cannot take COPY FROM STDIN, see
 * BatchWriter). The table's trigger holds the COPY at its first row (n = 0) while another
 * session holds the gate, so the server stops reading: the client's socket fills up and CopyIn
 * waits for it to drain, and what the server says next (a refused row, its connection
 * terminated) arrives during that wait, as under a large batch on a busy server.
 */
describeWhen(testEnv.databaseUrl, NEEDS_DATABASE_URL)('CopyIn (COPY FROM STDIN written to the connection)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let holder: Client;
  let runner: QueryRunner;
  let client: PoolClient;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    // One connection: a client released unhealthy would be replaced, not handed out again.
    ds = await new DataSource({ type: 'postgres', url: db.url, extra: { max: 1 } }).initialize();
    await ds.query(`
      CREATE TABLE copied (n int NOT NULL, t text NOT NULL);
      CREATE FUNCTION copied_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.n = 0 THEN PERFORM pg_advisory_xact_lock(${GATE}); END IF; RETURN NEW; END $$;
      CREATE TRIGGER copied_gate BEFORE INSERT ON copied FOR EACH ROW EXECUTE FUNCTION copied_gate()`);
    holder = new Client({ connectionString: db.url });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await ds?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    await ds.query('TRUNCATE copied');
    runner = ds.createQueryRunner();
    client = (await runner.connect()) as PoolClient;
  });
  afterEach(async () => {
    await holder.query(`SELECT pg_advisory_unlock_all()`);
    // A COPY a failed test left unsettled holds the pool's one connection, and every later test would wait for it: ended, not released.
    if ((client as unknown as { _activeQuery: unknown })._activeQuery instanceof CopyIn) {
      const ended = once(client, 'end');
      socketOf(client).destroy();
      await ended;
    }
    await runner.release();
  });

  const socketOf = (c: PoolClient): Socket => (c as unknown as { connection: { stream: Socket } }).connection.stream;
  const backendPid = async (): Promise<number> => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const stored = async (): Promise<{ rows: number; sum: number; bytes: number }> => {
    const { rows } = await holder.query(`SELECT count(*)::int AS rows, coalesce(sum(n), 0)::int AS sum, coalesce(sum(length(t)), 0)::int AS bytes FROM copied`);
    return rows[0];
  };

  /**
   * A COPY held at its first row (the gate closed) and sent data until the socket is full: the
   * wait CopyIn returned then, and the next row to send (from 1).
   */
  async function copyUntilFull(head: Buffer): Promise<{ copy: CopyIn; full: Promise<void>; next: number }> {
    await holder.query(`SELECT pg_advisory_lock(${GATE})`);
    const copy = new CopyIn(client, 'COPY copied FROM STDIN');
    // Held until the server takes the COPY.
    const accepted = copy.send(head);
    expect(accepted).toBeInstanceOf(Promise);
    await accepted;
    for (let next = 1; next * FILLER.length < MAX_BYTES; next += ROWS_PER_PIECE) {
      const full = copy.send(piece(next));
      if (full !== undefined) return { copy, full, next: next + ROWS_PER_PIECE };
    }
    throw new Error(`the socket took ${MAX_BYTES} bytes without filling up`);
  }

  /**
   * Sends pieces from row `next` on, waiting whenever the socket is full, until `stop` says so:
   * the next row to send, and the bytes the socket still held when the last wait (or the
   * caller's own, just before) ended. A socket the kernel first reported full may take more as
   * its buffers grow: only the waits yield to the event loop, so whatever the server says is
   * read during one.
   */
  async function keepSending(copy: CopyIn, next: number, stop: (next: number) => boolean): Promise<{ next: number; held: number }> {
    let held = socketOf(client).writableLength;
    for (; !stop(next); next += ROWS_PER_PIECE) {
      if (next * FILLER.length > MAX_BYTES) throw new Error(`sent ${MAX_BYTES} bytes and still going`);
      const room = copy.send(piece(next));
      if (room === undefined) continue;
      await room;
      held = socketOf(client).writableLength;
    }
    return { next, held };
  }

  it('writes every row, waiting for the socket when it is full, and resolves once the server has them', async () => {
    const drainListeners = socketOf(client).listenerCount('drain');
    await client.query('BEGIN');
    const { copy, full, next } = await copyUntilFull(piece(0, 1));
    const opened = holder.query(`SELECT pg_advisory_unlock(${GATE})`);
    await full;
    const { next: last } = await keepSending(copy, next, (n) => n >= 2 * next);
    await opened;
    // A string is sent as its UTF-8 bytes: CopyData's length counts bytes, not characters.
    const room = copy.send(`${last}\t${GREETING}\n`);
    if (room !== undefined) await room;
    await copy.end(piece(last + 1, 2));
    await client.query('COMMIT');
    expect(copy.failed).toBe(false);

    const rows = last + 3;
    expect(await stored()).toEqual({ rows, sum: (rows * (rows - 1)) / 2, bytes: (rows - 1) * FILLER.length + [...GREETING].length });
    expect(socketOf(client).listenerCount('drain')).toBe(drainListeners);
  });

  it('rejects with the row the server refused while it waited for the socket to drain, writes nothing more, and leaves the connection usable', async () => {
    const pid = await backendPid();
    const drainListeners = socketOf(client).listenerCount('drain');
    await client.query('BEGIN');
    const { copy, full, next } = await copyUntilFull(Buffer.from('0\tlet through\nnot a number\trefused\n'));
    // The gate opens: the server goes on to the second row and refuses it.
    const opened = holder.query(`SELECT pg_advisory_unlock(${GATE})`);
    await full;
    const { next: last, held } = await keepSending(copy, next, () => copy.failed);
    // Woken by the refusal itself, not by room: the server reads nothing after the refused row
    // before it says so, so the socket was still full (a wake by 'drain' finds it empty).
    expect(held).toBeGreaterThan(0);
    await opened;

    const written = socketOf(client).bytesWritten;
    expect(copy.send(piece(last))).toBeUndefined();
    const failure = await copy.end(piece(last + ROWS_PER_PIECE)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).not.toBeInstanceOf(TypeError);
    expect(failure).toMatchObject({ code: '22P02', message: expect.stringMatching(/invalid input syntax for type integer: "not a number"/) });
    expect(socketOf(client).bytesWritten).toBe(written);
    expect(socketOf(client).listenerCount('drain')).toBe(drainListeners);

    await client.query('ROLLBACK');
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    // The first row was inserted before the second was refused: none of it stays.
    expect(await stored()).toEqual({ rows: 0, sum: 0, bytes: 0 });

    // Released healthy: the pool's one connection is handed out again and answers.
    await runner.release();
    runner = ds.createQueryRunner();
    client = (await runner.connect()) as PoolClient;
    expect(await backendPid()).toBe(pid);
  });

  it('gives up a COPY with CopyFail, before the server took it or under way: the server discards the rows and the connection takes the next query', async () => {
    const written = socketOf(client).bytesWritten;
    const early = new CopyIn(client, 'COPY copied FROM STDIN');
    expect(early.send(piece(1))).toBeInstanceOf(Promise);
    await expect(early.fail('given up early')).rejects.toMatchObject({ code: '57014', message: 'COPY from stdin failed: given up early' });
    // The Query and CopyFail messages only: the data held for the server was dropped.
    expect(socketOf(client).bytesWritten - written).toBe(1 + 4 + 'COPY copied FROM STDIN'.length + 1 + (1 + 4 + 'given up early'.length + 1));

    await client.query('BEGIN');
    const copy = new CopyIn(client, 'COPY copied FROM STDIN');
    await copy.send(piece(1));
    await expect(copy.fail('given up')).rejects.toMatchObject({ code: '57014', message: 'COPY from stdin failed: given up' });
    await client.query('ROLLBACK');
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(await stored()).toEqual({ rows: 0, sum: 0, bytes: 0 });
  });

  it('gives up a COPY its sender throws in once rows are on their way (RowTextEncoder.copy): the ROLLBACK and the next query are answered, nothing is stored', async () => {
    const encoder = new PlainLines();
    const rows = Array.from({ length: 300 }, (_, i) => encoder.encode(`${i + 1}\t${FILLER}\n`));
    const broken = new Error('a row without an end');
    const endOf = (row: RowText): number => {
      if (row === rows[250]) throw broken;
      return row.end;
    };
    await client.query('BEGIN');
    const written = socketOf(client).bytesWritten;
    await expect(encoder.copy(client, 'COPY copied FROM STDIN', rows, undefined, endOf)).rejects.toBe(broken);
    // Whole chunks of rows went before the throw.
    expect(socketOf(client).bytesWritten - written).toBeGreaterThan(2 * CHUNK_BYTES);
    await client.query('ROLLBACK');
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(await stored()).toEqual({ rows: 0, sum: 0, bytes: 0 });
  });

  it('rejects with a row refused at the end', async () => {
    await client.query('BEGIN');
    const copy = new CopyIn(client, 'COPY copied FROM STDIN');
    await copy.send(piece(0));
    await expect(copy.end(Buffer.from('not a number\trefused\n'))).rejects.toMatchObject({ code: '22P02' });
    await client.query('ROLLBACK');
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(await stored()).toEqual({ rows: 0, sum: 0, bytes: 0 });
  });

  it('rejects a COPY the server refuses outright, having written none of its data', async () => {
    const written = socketOf(client).bytesWritten;
    const copy = new CopyIn(client, 'COPY missing FROM STDIN');
    const accepted = copy.send(piece(0));
    expect(accepted).toBeInstanceOf(Promise);
    await accepted;
    expect(copy.failed).toBe(true);
    await expect(copy.end(piece(ROWS_PER_PIECE))).rejects.toMatchObject({ code: '42P01' });
    // The Query message only.
    expect(socketOf(client).bytesWritten - written).toBe(1 + 4 + 'COPY missing FROM STDIN'.length + 1);
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('rejects cleanly when its connection is terminated while it waits for the socket, and the pool replaces the connection', async () => {
    const pid = await backendPid();
    await client.query('BEGIN');
    const { copy, full, next } = await copyUntilFull(piece(0, 1));
    const terminated = holder.query('SELECT pg_terminate_backend($1)', [pid]);
    await full;
    await keepSending(copy, next, () => copy.failed);
    await terminated;
    const failure = await copy.end().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).not.toBeInstanceOf(TypeError);
    expect(String(failure)).toMatch(/terminat|ECONNRESET|EPIPE/i);
    await expect(client.query('ROLLBACK')).rejects.toThrow();

    await runner.release();
    runner = ds.createQueryRunner();
    client = (await runner.connect()) as PoolClient;
    expect(await backendPid()).not.toBe(pid);
    expect(await stored()).toEqual({ rows: 0, sum: 0, bytes: 0 });
  });
});
