import { Client } from 'pg';
import { RequestLogWriter } from '../../apps/gateway/src/request-log/request-log.writer';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { expectedCost, expectedRows, LOAD_PRICE, type LoadResult, planRequests, runLoad } from '../support/load';

const PRICING = { 'openai/gpt-4o-mini': LOAD_PRICE };

interface Row {
  request_id: string;
  status: string;
  fallback_index: number;
  cost_usd: string | null;
  input_tokens: number;
  output_tokens: number;
}

async function rowsOf(dbUrl: string, keyId: string): Promise<Row[]> {
  const pg = new Client({ connectionString: dbUrl });
  await pg.connect();
  try {
    // The load sends its own ids as x-request-id: the log keeps them as client_request_id.
    return (await pg.query(`SELECT client_request_id AS request_id, status, fallback_index, cost_usd, input_tokens, output_tokens FROM request_logs WHERE virtual_key_id = $1`, [keyId])).rows;
  } finally {
    await pg.end();
  }
}

/** Every answered request left exactly its rows, and each success row costs exactly what the price sheet says. */
function checkLedger(results: LoadResult[], rows: Row[]): void {
  const byRequest = new Map<string, Row[]>();
  for (const row of rows) byRequest.set(row.request_id, [...(byRequest.get(row.request_id) ?? []), row]);
  for (const r of results) {
    const mine = byRequest.get(r.id) ?? [];
    expect({ id: r.id, rows: mine.length }).toEqual({ id: r.id, rows: expectedRows(r) });
    const success = mine.filter((m) => m.status === 'success');
    if (r.kind === 'caller-error') {
      expect(success).toHaveLength(0);
      // Refused upstream before any token: it cost nothing (null is for tokens with no price).
      expect(mine[0].cost_usd).toBe('0.0000000000');
    } else {
      expect(success).toHaveLength(1);
      expect({ id: r.id, cost: success[0].cost_usd, input: success[0].input_tokens, output: success[0].output_tokens }).toEqual({
        id: r.id, cost: expectedCost(r.input, r.output), input: r.input, output: r.output,
      });
    }
  }
  expect(rows).toHaveLength(results.reduce((n, r) => n + expectedRows(r), 0));
}

describe('lossless cost logs under load', () => {
  let h: GatewayHarness;

  beforeAll(async () => {
    h = await startGatewayHarness({ pricing: PRICING, dbProxy: true, server: { log_flush_interval_ms: 100 } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('1,000 mixed requests at concurrency 50 leave exactly the expected rows, priced to 1e-10 USD', async () => {
    const { id, key } = await h.createKey({ name: 'load' });
    const plan = planRequests(1000);
    const results = await runLoad(`${h.url}/v1`, key, plan, 50);
    for (const r of results) expect({ id: r.id, status: r.status }).toEqual({ id: r.id, status: r.kind === 'caller-error' ? 400 : 200 });
    await h.gateway.app.get(RequestLogWriter).flush();
    checkLedger(results, await rowsOf(h.db.url, id));
  }, 120_000);

  it('loses nothing when the database goes away mid-load, and says it is not ready meanwhile', async () => {
    const { id, key } = await h.createKey({ name: 'db-outage' });
    const plan = planRequests(600);
    let cut = false;
    let notReady = 0;
    const results = await runLoad(`${h.url}/v1`, key, plan, 50, (done) => {
      if (done === 150 && !cut) {
        cut = true;
        h.dbProxy!.down();
        void fetch(`${h.url}/ready`).then((r) => (notReady = r.status));
        setTimeout(() => h.dbProxy!.up(), 3_000);
      }
    });
    expect(cut).toBe(true);
    expect(notReady).toBe(503);
    // The gateway kept serving from memory while the database was away.
    expect(results.filter((r) => r.status === 0)).toHaveLength(0);
    const writer = h.gateway.app.get(RequestLogWriter);
    const until = Date.now() + 15_000;
    while ((writer.buffered > 0 || (await rowsOf(h.db.url, id)).length < results.reduce((n, r) => n + expectedRows(r), 0)) && Date.now() < until) {
      await writer.flush();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(writer.stats.failedFlushes).toBeGreaterThan(0);
    // A 3 s outage fits in the buffer: the rows were retried from memory, none needed the spill
    // file (its path has its own tests: log-spill.e2e-spec.ts), and none is still waiting.
    expect({ spilled: writer.stats.spilled, buffered: writer.buffered }).toEqual({ spilled: 0, buffered: 0 });
    checkLedger(results, await rowsOf(h.db.url, id));
  }, 120_000);
});
