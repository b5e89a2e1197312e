import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import OpenAI from 'openai';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { StoredResponseWriter } from '../../apps/gateway/src/state/stored-response.writer';
import { StoredResponseRepository } from '../../apps/gateway/src/state/stored-response.repository';
import { newResponseId, type StoredResponseRow, toJsonb } from '../../apps/gateway/src/state/stored-response';
import { eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

const MODEL = 'openai/gpt-4o-mini';

/**
 * Stored responses are written behind the answer by the request logs' batch writer: they must
 * survive a database outage as log rows do (kept, spilled, replayed, never twice), and a row
 * the database refuses must not hold up the rows behind it.
 */
describe('stored responses written in batches behind the answer', () => {
  let h: GatewayHarness;
  let pg: Client;
  let writer: StoredResponseWriter;
  let spillDir: string;

  beforeAll(async () => {
    h = await startGatewayHarness({ dbProxy: true, server: { log_flush_interval_ms: 50, log_batch_size: 20, log_max_buffered_rows: 100 } });
    pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    writer = h.gateway.app.get(StoredResponseWriter);
    spillDir = path.join(h.gateway.app.get<AppConfig>(APP_CONFIG).dataDir, 'spill');
  });
  afterAll(async () => {
    h?.dbProxy?.up();
    await pg?.end();
    await h?.close();
  });

  const storedCount = async (keyId: string) => (await pg.query(`SELECT count(*)::int AS n FROM stored_responses WHERE virtual_key_id = $1`, [keyId])).rows[0].n as number;

  it('while the database is away: answers, resolves follow-ups from memory, spills the overflow and writes everything once it is back', async () => {
    const { key, id: keyId } = await h.createKey({ name: 'outage' });
    const client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    h.dbProxy!.down();
    let previous: string | null = null;
    // 150 stored turns, one conversation: the buffer holds 100 rows, the rest spill.
    for (let i = 0; i < 150; i++) {
      const r: OpenAI.Responses.Response = await client.responses.create({ model: MODEL, input: `turn ${i}`, previous_response_id: previous });
      expect(r.previous_response_id).toBe(previous);
      previous = r.id;
    }
    await eventually(() => writer.stats.spilled > 0);
    expect(readdirSync(spillDir).some((f) => f.startsWith('stored-responses-'))).toBe(true);

    h.dbProxy!.up();
    await eventually(async () => (await storedCount(keyId)) === 150, 20_000);
    await eventually(() => !readdirSync(spillDir).some((f) => f.startsWith('stored-responses-')), 5_000);
    expect(writer.stats.dropped).toBe(0);
    // Every turn is readable with its items, from the database: a row for each upstream output
    // id (each input item's id, minted by the gateway, says where it is).
    const items = await pg.query(`SELECT count(*)::int AS n FROM stored_items WHERE virtual_key_id = $1`, [keyId]);
    expect(items.rows[0].n).toBe(150);
    const last = await client.responses.retrieve(previous!);
    expect(last.id).toBe(previous);
  });

  function row(keyId: string, fields: Partial<StoredResponseRow> = {}): StoredResponseRow {
    const id = newResponseId();
    return {
      id, keyId, createdAt: Date.now(), expiresAt: Date.now() + 86_400_000, status: 'completed', background: false, model: 'm', previousResponseId: null,
      requestJson: '{}', inputItemsJson: '[]', responseJson: JSON.stringify({ id, object: 'response', output: [] }), errorJson: null,
      items: [{ source: 'output', position: 0, itemId: `msg_${id}` }], ...fields,
    };
  }

  it('isolates a row the database refuses; the rows around it are written, and a batch written twice is written once', async () => {
    const { id: keyId } = await h.createKey({ name: 'isolation' });
    const good = Array.from({ length: 30 }, () => row(keyId));
    const bad = row('not-a-uuid');
    const deadBefore = writer.stats.deadLettered;
    for (const r of [...good.slice(0, 10), bad, ...good.slice(10)]) writer.save(r);
    await writer.flush();
    expect(await storedCount(keyId)).toBe(30);
    expect(writer.stats.deadLettered).toBe(deadBefore + 1);
    expect(writer.holdsUnwritten(bad.id)).toBe(false);

    // A replay of rows already committed (a batch whose answer was lost): COPY refuses, the idempotent insert skips them.
    for (const r of good.slice(0, 5)) writer.save({ ...r });
    writer.save(row(keyId));
    const failed = writer.stats.failedFlushes;
    await writer.flush();
    expect(writer.stats.failedFlushes).toBe(failed);
    expect(await storedCount(keyId)).toBe(31);
  });

  /** Rows with 0 to 3 items in an uneven order: rows without items sit between rows with them. */
  function mixedRows(keyId: string, count: number, offset = 0): StoredResponseRow[] {
    return Array.from({ length: count }, (_, i) => {
      const r = row(keyId, { requestJson: JSON.stringify({ input: `turn ${i} \t\\ é 😀`.repeat(1 + (i % 4)) }) });
      const n = [2, 0, 0, 3, 0, 1, 1, 0][(i + offset) % 8];
      r.items = Array.from({ length: n }, (_, p) => ({ source: p % 2 === 0 ? ('input' as const) : ('output' as const), position: p, itemId: `it_${r.id}_${p}` }));
      return r;
    });
  }

  /** Each response's stored row and items as the database holds them, against the rows saved. */
  async function expectStored(rows: readonly StoredResponseRow[]): Promise<void> {
    const ids = rows.map((r) => r.id);
    const responses = await pg.query(`SELECT id, request_json AS request, response_json AS response FROM stored_responses WHERE id = ANY($1)`, [ids]);
    expect(new Map(responses.rows.map((r) => [r.id as string, [JSON.parse(r.request as string), JSON.parse(r.response as string)] as unknown]))).toEqual(
      new Map(rows.map((r) => [r.id, [JSON.parse(r.requestJson), JSON.parse(r.responseJson)] as unknown])),
    );
    const items = await pg.query(`SELECT response_id, position, source, item_id FROM stored_items WHERE response_id = ANY($1) ORDER BY response_id, position`, [ids]);
    const held = new Map<string, unknown[]>();
    for (const it of items.rows) held.set(it.response_id, [...(held.get(it.response_id) ?? []), { position: it.position, source: it.source, itemId: it.item_id }]);
    expect(held).toEqual(new Map(rows.filter((r) => r.items.length > 0).map((r) => [r.id, r.items])));
  }

  it('stores every row with its own items, rows without items between them, through COPY, a split around a refused row and the INSERT fallback', async () => {
    const { id: keyId } = await h.createKey({ name: 'items' });
    const first = mixedRows(keyId, 19);
    for (const r of first) writer.save(r);
    await writer.flush();
    await expectStored(first);

    // A refused row in the middle: the batch is split down to it.
    const around = mixedRows(keyId, 17, 3);
    const bad = row('not-a-uuid');
    bad.items = [];
    for (const r of [...around.slice(0, 7), bad, ...around.slice(7)]) writer.save(r);
    await writer.flush();
    await expectStored(around);
    const deadLetters = path.join(h.gateway.app.get<AppConfig>(APP_CONFIG).dataDir, 'dead-letter');
    const kept = readdirSync(deadLetters).flatMap((f) => readFileSync(path.join(deadLetters, f), 'utf8').trim().split('\n'));
    expect(kept.map((l) => JSON.parse(JSON.parse(l).row as string) as { id: string }).some((r) => r.id === bad.id)).toBe(true);

    // Rows already written in the batch: COPY is refused and the INSERT writes the new ones.
    const after = mixedRows(keyId, 13, 5);
    for (const r of [...first.slice(0, 4), ...after.slice(0, 6), around[3], ...after.slice(6)]) writer.save({ ...r });
    await writer.flush();
    await expectStored([...first, ...around, ...after]);
  });

  it("stores large rows (their own buffers, used again for the next flushes' rows) and small ones between them, every byte as saved", async () => {
    const { id: keyId } = await h.createKey({ name: 'large rows' });
    const saved: StoredResponseRow[] = [];
    for (let flush = 0; flush < 4; flush++) {
      const rows = mixedRows(keyId, 12, flush).map((r, i) => {
        if (i % 3 !== 0) return r;
        // 20 or 40 KB (two rows of each size per flush) of text with tabs, backslashes and multi-byte characters: over a quarter of a chunk.
        const text = `flush ${flush} row ${i} \t\\ é 😀 `.repeat(800 * (1 + (i % 2)));
        return { ...r, responseJson: JSON.stringify({ id: r.id, object: 'response', output: [], output_text: text }) };
      });
      for (const r of rows) writer.save(r);
      await writer.flush();
      saved.push(...rows);
    }
    await expectStored(saved);
  });

  it("stores a burst of large rows over a batch's size (written as several batches), every byte as saved", async () => {
    const { id: keyId } = await h.createKey({ name: 'large burst' });
    const written = writer.stats.written;
    // About 3 MB of 40 KB rows, saved at once: more than one batch's 2 MB.
    const rows = mixedRows(keyId, 75, 9).map((r, i) => {
      const text = `burst row ${i} \t\\ é 😀 `.repeat(1_600);
      return { ...r, responseJson: JSON.stringify({ id: r.id, object: 'response', output: [], output_text: text }) };
    });
    for (const r of rows) writer.save(r);
    await eventually(() => writer.stats.written === written + rows.length, 20_000);
    await expectStored(rows);
  });

  it('holds new stored turns while the database is behind with them, never store: false ones, and writes everything once it catches up', async () => {
    const { key, id: keyId } = await h.createKey({ name: 'behind' });
    const spilledBefore = writer.stats.spilled;
    const client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const locker = new Client({ connectionString: h.db.url });
    await locker.connect();
    try {
      // The database up but behind: every COPY into stored_responses waits for this lock.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE stored_responses IN EXCLUSIVE MODE');
      // About 6 MB of 100 KB rows (fewer than the 100 rows this writer keeps before spilling): past the 4 MB that may wait.
      const rows = mixedRows(keyId, 60, 3).map((r, i) => {
        const text = `behind row ${i} \t\\ é 😀 `.repeat(4_000);
        return { ...r, responseJson: JSON.stringify({ id: r.id, object: 'response', output: [], output_text: text }) };
      });
      for (const r of rows) writer.save(r);
      // A turn not to be stored goes through while the writer is behind.
      const unstored = await client.responses.create({ model: MODEL, input: 'not held', store: false });
      expect(unstored.status).toBe('completed');
      let stored: OpenAI.Responses.Response | undefined;
      const held = client.responses.create({ model: MODEL, input: 'held' }).then((r) => (stored = r));
      // Seen waiting (well within the 1 s a turn waits at most): not answered.
      await eventually(() => writer.waiting === 1);
      expect(stored).toBeUndefined();
      await locker.query('COMMIT');
      await held;
      expect(stored!.status).toBe('completed');
      await eventually(async () => (await storedCount(keyId)) === rows.length + 1, 20_000);
      await expectStored(rows);
      expect(writer.stats.spilled).toBe(spilledBefore);
    } finally {
      await locker.end();
    }
  });

  it('spills rows with and without items while the database is away and replays each with its own items', async () => {
    const { id: keyId } = await h.createKey({ name: 'items-spill' });
    const spilledBefore = writer.stats.spilled;
    h.dbProxy!.down();
    // Past the bound of 100 buffered rows: the oldest go to the spill file.
    const rows = mixedRows(keyId, 140, 1);
    for (const r of rows) writer.save(r);
    await eventually(() => writer.stats.spilled > spilledBefore);
    expect(writer.holdsUnwritten(rows[139].id)).toBe(true);
    h.dbProxy!.up();
    await eventually(async () => (await storedCount(keyId)) === 140, 20_000);
    await expectStored(rows);
    expect(writer.holdsUnwritten(rows[139].id)).toBe(false);
  });

  /** A writer of its own, as a process other than the gateway's would have. */
  function newWriter(): StoredResponseWriter {
    const app = h.gateway.app;
    return new StoredResponseWriter(app.get(DataSource), app.get<AppConfig>(APP_CONFIG), app.get(StoredResponseRepository));
  }

  /** A new writer started, as the next process: it replays the spill files until the key has `count` rows. */
  async function replaySpilled(keyId: string, count: number): Promise<void> {
    const next = newWriter();
    await next.onModuleInit();
    try {
      await eventually(async () => {
        await next.flush();
        return (await storedCount(keyId)) === count;
      }, 20_000);
    } finally {
      await next.onApplicationShutdown();
    }
  }

  it('replays a spill file of the previous version (each line the row as JSON) as the row the database keeps, U+0000 and lone surrogates included', async () => {
    const { id: keyId } = await h.createKey({ name: 'old-spill' });
    const text = 'tab\there\nline\r\n back\\slash, é 漢 😀, \u0000 nul, \ud800 lone';
    const old = row(keyId, {
      model: 'model \u0000 漢\t😀',
      requestJson: JSON.stringify({ input: text }),
      inputItemsJson: JSON.stringify([{ type: 'message', content: text }]),
      responseJson: JSON.stringify({ object: 'response', output: [{ text }] }),
      errorJson: JSON.stringify({ message: text }),
      items: [{ source: 'input', position: 0, itemId: 'in 漢' }, { source: 'output', position: 1, itemId: 'out\t😀' }],
    });
    // Written as 7ec7f16 wrote it: JSON.stringify of the row, its JSON fields holding \u0000 and \ud800 escapes.
    const line = JSON.stringify(old);
    expect(line).toContain('\\\\u0000');
    expect(line).toContain('\\\\ud800');
    mkdirSync(spillDir, { recursive: true });
    writeFileSync(path.join(spillDir, `stored-responses-previous-1-${Date.now()}-0.jsonl`), `${line}\n`);
    await replaySpilled(keyId, 1);
    const { rows: [stored] } = await pg.query(
      `SELECT model, request_json AS request, input_items_json AS input_items, response_json AS response, error_json AS error FROM stored_responses WHERE id = $1`,
      [old.id],
    );
    expect(stored.model).toBe('model \ufffd 漢\t😀');
    for (const [column, json] of [['request', old.requestJson], ['input_items', old.inputItemsJson], ['response', old.responseJson], ['error', old.errorJson!]] as const) {
      expect(JSON.parse(stored[column] as string)).toEqual(JSON.parse(toJsonb(json)));
    }
    expect(JSON.parse(stored.request as string)).toEqual({ input: text.replace('\u0000', '\ufffd').replace('\ud800', '\ufffd') });
    await expectStored([{ ...old, requestJson: toJsonb(old.requestJson), responseJson: toJsonb(old.responseJson) }]);
  });

  it('spills what it holds at shutdown with the database away; the next writer replays each row with its own items', async () => {
    const { id: keyId } = await h.createKey({ name: 'items-shutdown' });
    const closing = newWriter();
    const rows = mixedRows(keyId, 23, 2);
    for (const r of rows) closing.save(r);
    h.dbProxy!.down();
    await closing.onApplicationShutdown();
    expect(closing.stats.spilled).toBe(23);
    expect(readdirSync(spillDir).some((f) => f.startsWith('stored-responses-'))).toBe(true);
    h.dbProxy!.up();
    await replaySpilled(keyId, 23);
    await expectStored(rows);
  });
});
