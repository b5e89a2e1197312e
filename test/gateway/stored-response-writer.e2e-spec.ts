import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import OpenAI from 'openai';
import { Client } from 'pg';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { StoredResponseWriter } from '../../apps/gateway/src/state/stored-response.writer';
import { newResponseId, type StoredResponseRow } from '../../apps/gateway/src/state/stored-response';
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
    // Every turn is readable with its items, from the database.
    const items = await pg.query(`SELECT count(*)::int AS n FROM stored_items WHERE virtual_key_id = $1`, [keyId]);
    expect(items.rows[0].n).toBe(300);
    const last = await client.responses.retrieve(previous!);
    expect(last.id).toBe(previous);
  });

  function row(keyId: string, fields: Partial<StoredResponseRow> = {}): StoredResponseRow {
    const id = newResponseId();
    return {
      id, keyId, createdAt: new Date(), expiresAt: new Date(Date.now() + 86_400_000), status: 'completed', background: false, model: 'm', previousResponseId: null,
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
});
