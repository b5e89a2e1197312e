import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { runMigrations, startEmbeddedPostgres } from '@app/database';
import { startAdmin } from '../apps/admin/src/admin.bootstrap';
import { benchEnv } from './bench-env.config';

/**
 * `npm run bench:logs`: seeds a scratch database with ROWS request-log rows (30 days, 200
 * keys, 6 providers, about 5% errors, none for bedrock), then times filtered first pages and a second page of
 * GET /api/logs through the real admin app. Target: under 50 ms at 1,000,000 rows.
 */
const ROWS = benchEnv.rows;
const RUNS = 25;
const ADMIN_TOKEN = 'bench-admin-token';
const RESULTS = path.resolve(__dirname, '..', '..', 'bench', 'results');

async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!benchEnv.databaseUrl) {
    const embedded = await startEmbeddedPostgres();
    return { url: embedded.url, drop: () => embedded.stop() };
  }
  const name = `bench_logs_${process.pid}`;
  const admin = new Client({ connectionString: benchEnv.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(benchEnv.databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: benchEnv.databaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function seed(url: string): Promise<{ keyId: string }> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const t0 = performance.now();
  await pg.query(`
    INSERT INTO request_logs (id, request_id, created_at, virtual_key_id, provider, model, model_requested, fallback_index,
      status, http_status, error_code, stream, input_tokens, output_tokens, total_tokens, cost_usd, latency_ms)
    SELECT gen_random_uuid(), 'req-' || g, now() - (g % 2592000) * interval '1 second',
      ('00000000-0000-4000-8000-' || lpad((g % 200)::text, 12, '0'))::uuid,
      (ARRAY['openai','anthropic','gemini','bedrock','mistral','groq'])[1 + g % 6],
      (ARRAY['gpt-4o-mini','claude-sonnet-4-5','gemini-2.5-flash','nova-pro','mistral-small','llama-3.1-8b'])[1 + g % 6],
      'openai/gpt-4o-mini', 0,
      CASE WHEN g % 19 = 0 AND g % 6 <> 3 THEN 'error' ELSE 'success' END,
      CASE WHEN g % 19 = 0 AND g % 6 <> 3 THEN 502 ELSE 200 END,
      CASE WHEN g % 19 = 0 AND g % 6 <> 3 THEN 'http_502' END,
      g % 3 = 0, 100 + g % 900, 10 + g % 400, 110 + g % 900 + g % 400, (g % 1000) * 0.000001, 50 + g % 2000
    FROM generate_series(1, $1) AS g`, [ROWS]);
  await pg.query('ANALYZE request_logs');
  await pg.end();
  console.log(`seeded ${ROWS.toLocaleString()} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { keyId: '00000000-0000-4000-8000-000000000042' };
}

async function time(url: string): Promise<{ p50: number; p95: number; rows: number; next: string | null }> {
  const samples: number[] = [];
  let last: { data: unknown[]; next_cursor: string | null } = { data: [], next_cursor: null };
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    last = (await res.json()) as typeof last;
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(last)}`);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(RUNS / 2)], p95: samples[Math.floor(RUNS * 0.95)], rows: last.data.length, next: last.next_cursor };
}

async function main(): Promise<void> {
  const db = await scratchDatabase();
  try {
    await runMigrations(db.url);
    const { keyId } = await seed(db.url);
    const admin = await startAdmin(loadConfig({ DATABASE_URL: db.url, ADMIN_TOKEN, ADMIN_PORT: '0', HOST: '127.0.0.1' }));
    const since = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const queries: [string, string][] = [
      ['newest page', ''],
      ['by key', `virtual_key_id=${keyId}`],
      ['by provider', 'provider=bedrock'],
      ['by model', 'model=gemini/gemini-2.5-flash'],
      ['errors', 'status=error'],
      ['provider + errors', 'provider=anthropic&status=error'],
      ['provider, no errors', 'provider=bedrock&status=error'],
      ['key + errors', `virtual_key_id=${keyId}&status=error`],
      ['key + last 3 days', `virtual_key_id=${keyId}&from=${encodeURIComponent(since)}`],
      ['unknown model', 'model=openai/nothing'],
    ];
    const out: Record<string, unknown>[] = [];
    console.log(`\n/api/logs on ${ROWS.toLocaleString()} rows (${RUNS} runs each, limit 50)\n`);
    console.log('query                 p50 ms   p95 ms  rows  page 2 p50 ms');
    for (const [name, q] of queries) {
      const first = await time(`${admin.url}/api/logs?limit=50&${q}`);
      const second = first.next ? await time(`${admin.url}/api/logs?limit=50&${q}&cursor=${first.next}`) : null;
      out.push({ name, query: q, ...first, page2_p50: second?.p50 ?? null });
      console.log(`${name.padEnd(20)} ${first.p50.toFixed(1).padStart(7)} ${first.p95.toFixed(1).padStart(8)} ${String(first.rows).padStart(5)} ${second ? second.p50.toFixed(1).padStart(14) : '             -'}`);
    }
    const worst = Math.max(...out.map((o) => o.p50 as number));
    console.log(`\nslowest p50 ${worst.toFixed(1)} ms: ${worst < 50 ? 'PASS' : 'FAIL'} (target < 50 ms)`);
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(path.join(RESULTS, 'logs.json'), JSON.stringify({ rows: ROWS, runs: RUNS, database: benchEnv.databaseUrl ? 'postgres' : 'embedded', queries: out }, null, 2));
    await admin.close();
  } finally {
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
