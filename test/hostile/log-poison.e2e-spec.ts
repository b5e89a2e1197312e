import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { RequestLogWriter } from '../../apps/gateway/src/request-log/request-log.writer';
import { eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { requestLogRow } from '../support/request-log-rows';

/**
 * A request-log writer that no row can stop: a row the database refuses is repaired or set
 * aside, and the rows behind it are written as usual; spilled rows are replayed in bounded
 * steps, and a replay cannot loop on a bad line.
 */

const FLUSH_MS = 50;

const row = requestLogRow;

describe('hostile rows cannot stop the request log', () => {
  let h: GatewayHarness;
  let pg: Client;

  beforeAll(async () => {
    // The model-name limit raised, as an operator may: 4 KB names reach the upstream and the log.
    h = await startGatewayHarness({ admin: true, server: { max_model_name_length: 8192, log_flush_interval_ms: FLUSH_MS } });
    pg = new Client({ connectionString: h.db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    await h?.close();
  });

  const rowsOf = async (keyId: string) => (await pg.query(`SELECT * FROM request_logs WHERE virtual_key_id = $1`, [keyId])).rows;

  it('after 4 KB model names from one key, every request of another key is logged within the flush interval', async () => {
    const hostile = await h.createKey({ name: 'hostile' });
    const victim = await h.createKey({ name: 'victim' });
    // Incompressible, so that Postgres cannot squeeze it under the B-tree's 2,704-byte limit.
    const names = Array.from({ length: 5 }, () => `openai/${randomBytes(3072).toString('base64url')}`);
    const send = (key: string, model: string) =>
      fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ model, input: 'hi', store: false }) }).then((r) => r.status);
    const hostileStatuses = await Promise.all(names.map((m) => send(hostile.key, m)));
    expect(hostileStatuses.every((s) => s === 200 || s === 404)).toBe(true);
    for (let round = 0; round < 4; round++) {
      const statuses = await Promise.all(Array.from({ length: 5 }, () => send(victim.key, 'openai/gpt-4o-mini')));
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      // Each round is in the database at the next flushes: nothing holds the writer. (The bound
      // leaves room for a loaded machine; a poisoned writer would never get there.)
      await eventually(async () => (await rowsOf(victim.id)).length === 5 * (round + 1), FLUSH_MS * 40);
    }

    // The hostile rows are there too, for the admin to see, with the name cut short and marked.
    const page = (await (await h.admin('GET', `/api/logs?virtual_key_id=${hostile.id}`)).json()) as { data: { model: string; model_requested: string }[] };
    expect(page.data).toHaveLength(5);
    for (const r of page.data) {
      expect(r.model.length).toBeLessThanOrEqual(512);
      expect(r.model.endsWith('…')).toBe(true);
      expect(names.some((n) => n.startsWith(r.model_requested.slice(0, -1)))).toBe(true);
    }
    expect(h.gateway.app.get(RequestLogWriter).stats.repaired).toBeGreaterThanOrEqual(5);
  });

  it('a row the database refuses even repaired is kept as a dead letter, shown to the admin, and the rows around it are written', async () => {
    const writer = h.gateway.app.get(RequestLogWriter);
    const before = writer.stats.deadLettered;
    // Nothing the gateway itself produces is refused any more; a row with a broken uuid stands in for "anything else".
    const bad = row({ virtualKeyId: 'not-a-uuid', requestId: `dead-${Date.now()}` });
    const good = Array.from({ length: 20 }, (_, i) => row({ requestId: `around-${Date.now()}-${i}` }));
    for (const r of [...good.slice(0, 10), bad, ...good.slice(10)]) writer.enqueue(r);
    await writer.flush();
    const written = await pg.query(`SELECT count(*)::int AS n FROM request_logs WHERE id = ANY($1)`, [good.map((r) => r.id)]);
    expect(written.rows[0].n).toBe(20);
    expect(writer.stats.deadLettered).toBe(before + 1);

    const res = await h.admin('GET', '/api/logs/dead-letters');
    expect(res.status).toBe(200);
    const page = (await res.json()) as { data: { id: string; error: string; row: { requestId: string } }[] };
    const letter = page.data.find((d) => d.id === bad.id);
    expect(letter?.row.requestId).toBe(bad.requestId);
    // Every field of the row, as it was enqueued.
    expect(letter?.row).toEqual(JSON.parse(JSON.stringify(bad)));
    expect(letter?.error).toMatch(/uuid/i);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_log_rows_dead_lettered \d+/);
  });
});

describe('spilled rows are replayed in bounded steps, idempotently, whatever the spill holds', () => {
  let h: GatewayHarness;
  let pg: Client;
  let spillDir: string;

  beforeAll(async () => {
    h = await startGatewayHarness({ dbProxy: true, server: { log_flush_interval_ms: FLUSH_MS, log_batch_size: 50, log_max_buffered_rows: 100 } });
    pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    spillDir = path.join(h.gateway.app.get<AppConfig>(APP_CONFIG).dataDir, 'spill');
  });
  afterAll(async () => {
    h?.dbProxy?.up();
    await pg?.end();
    await h?.close();
  });

  it('replays what overflowed while the database was away, sets torn lines and refused rows aside, and never duplicates', async () => {
    const writer = h.gateway.app.get(RequestLogWriter);
    const { key, id: keyId } = await h.createKey({ name: 'spill' });
    h.dbProxy!.down();
    // 150 answered requests while the database is away: the buffer holds 100, the rest spill.
    for (let i = 0; i < 150; i++) {
      const res = await fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: `{"model":"openai/gpt-4o-mini","input":"spill ${i}","store":false}` });
      expect(res.status).toBe(200);
    }
    await eventually(() => writer.stats.spilled > 0);
    // A spill file as a crash could leave it: a torn last line, a row the database refuses, 1,000 good rows,
    // and rows with a field missing or not of its type (set aside, not encoded: their replay must not stop there).
    const good = Array.from({ length: 1_000 }, (_, i) => row({ requestId: `replayed-${i}` }));
    const refused = row({ virtualKeyId: 'not-a-uuid' });
    const { model: _model, ...noModel } = row({ requestId: 'mistyped-model' });
    const mistyped = [noModel, { ...row({ requestId: 'mistyped-provider' }), provider: [] }, { ...row({ requestId: 'mistyped-tokens' }), inputTokens: 'x' }, { ...row({ requestId: 'mistyped-stream' }), stream: 'yes' }];
    const lines = [...good.slice(0, 250), ...mistyped, ...good.slice(250, 500), refused, ...good.slice(500)].map((r) => JSON.stringify(r));
    mkdirSync(spillDir, { recursive: true });
    const extra = path.join(spillDir, 'request-logs-crashed-0.jsonl');
    writeFileSync(extra, `${lines.join('\n')}\n{"id":"torn`);

    h.dbProxy!.up();
    const count = async () => (await pg.query(`SELECT count(*)::int AS n FROM request_logs WHERE virtual_key_id = $1 OR id = ANY($2)`, [keyId, good.map((r) => r.id)])).rows[0].n as number;
    await eventually(async () => (await count()) === 1_150, 20_000);
    await eventually(() => readdirSync(spillDir).length === 0, 5_000);
    expect((await pg.query(`SELECT 1 FROM request_log_dead_letters WHERE id = $1`, [refused.id])).rowCount).toBe(1);
    const deadLetterDir = path.join(path.dirname(spillDir), 'dead-letter');
    const deadLetters = readdirSync(deadLetterDir).map((f) => readFileSync(path.join(deadLetterDir, f), 'utf8')).join('');
    expect(deadLetters).toContain('{\\"id\\":\\"torn');
    for (const m of mistyped) expect(deadLetters).toContain(m.requestId);

    // The same file again (a replay that a crash interrupted), replayed with the next spill: nothing is written twice.
    writeFileSync(extra, `${lines.join('\n')}\n`);
    h.dbProxy!.down();
    const spilledBefore = writer.stats.spilled;
    for (let i = 0; i < 110; i++) {
      await fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: `{"model":"openai/gpt-4o-mini","input":"again ${i}","store":false}` });
    }
    await eventually(() => writer.stats.spilled > spilledBefore);
    h.dbProxy!.up();
    await eventually(async () => (await count()) === 1_260, 20_000);
    await eventually(() => readdirSync(spillDir).length === 0, 5_000);
    await writer.flush();
    expect(await count()).toBe(1_260);
  });
});
