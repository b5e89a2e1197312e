import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { runMigrations } from '@app/database';
import { generateVirtualKeySecret } from '@app/common/virtual-keys/virtual-key-secret';
import { fakeProse } from '../apps/fake-upstream/src/prose';
import { type BenchOptions, readBenchOptions } from './bench-options';
import { BenchChild } from './child-process';
import { localPostgresCpu } from './postgres-cpu';
import { formatSelfTime, topSelfTime } from './cpu-profile';
import type { GatewayProcessOptions } from './gateway.process';
import { type Target, measureTtfb, percentile, runLoad } from './load';
import { type BenchResults, type ScenarioResult, type TargetResult, checkTargets, formatReport, pathRows } from './report';

const RESULTS_DIR = path.resolve(__dirname, '..', '..', 'bench', 'results');
const UPSTREAM_KEY = 'sk-upstream-openai';
const MODEL = 'gpt-4o-mini';
const STREAM_CHUNKS = 8;
const GATEWAY_SETTLE_MS = 300;
/** The gateway's heap flags, as `npm start`, the Dockerfile and compose start it, and the image's malloc arenas (README, Performance). */
const GATEWAY_NODE_FLAGS = ['--initial-old-space-size=64', '--heap-growing-percent=50'];
const GATEWAY_PROCESS_ENV = { MALLOC_ARENA_MAX: '2' };

/** Bodies other than the tiny default turn, each sent to the same processes. */
type Variant = 'indented' | 'agent';

interface Scenario {
  id: string;
  stream: boolean;
  connections: number;
  targets: string[];
  /**
   * `indented`: the upstream answers with its JSON indented, as OpenAI's own API does (the fake
   * upstream's `[[pretty]]`). `agent`: an agent-sized turn (agentBody).
   */
  variant?: Variant;
}

/**
 * Both paths of one gateway process, interleaved with the floor in every scenario:
 * `gw-default` leaves `store` out (on, the API's default: every turn is stored), `gw-store-off`
 * sends `store: false`. `gw-nolog` is a second gateway process that drops its request-log rows,
 * to price logging (`store: false` too).
 */
const SCENARIOS: Scenario[] = [
  { id: 'json c1', stream: false, connections: 1, targets: ['direct', 'bare', 'gw-default', 'gw-store-off'] },
  { id: 'json c32', stream: false, connections: 32, targets: ['direct', 'bare', 'gw-default', 'gw-store-off', 'gw-nolog'] },
  // The same with the upstream's answer indented as OpenAI's API sends it (the others are compact): reported, not a target.
  { id: 'json c32 indented', stream: false, connections: 32, targets: ['bare', 'gw-default', 'gw-store-off'], variant: 'indented' },
  { id: 'sse c1', stream: true, connections: 1, targets: ['direct', 'bare', 'gw-default', 'gw-store-off'] },
  { id: 'sse c32', stream: true, connections: 32, targets: ['direct', 'bare', 'gw-default', 'gw-store-off', 'gw-nolog'] },
  // Chat Completions in front of the same upstream's Chat Completions: the format's decode and encode on top of the proxy path.
  { id: 'chat json c32', stream: false, connections: 32, targets: ['direct-chat', 'gw-chat'] },
  { id: 'chat sse c32', stream: true, connections: 32, targets: ['direct-chat', 'gw-chat'] },
  // A turn the size of a coding agent's, whose stored row Postgres compresses (TOAST): reported, not a
  // target. Last in each round, so that its larger writes settle before the next round's runs.
  { id: 'json c32 agent', stream: false, connections: 32, targets: ['bare', 'gw-default', 'gw-store-off'], variant: 'agent' },
];

/** `store` left out unless false: what the SDKs send when the caller does not set it. */
function requestBody(model: string, stream: boolean, store: boolean, indented = false): string {
  const input = stream ? `Say hello to the benchmark [[chunks:${STREAM_CHUNKS}]]` : `Say hello to the benchmark${indented ? ' [[pretty]]' : ''}`;
  const body: Record<string, unknown> = stream ? { model, input, stream: true } : { model, input };
  if (!store) body.store = false;
  return JSON.stringify(body);
}

/** A Chat Completions body; the gateway's answers it through the upstream's Responses API. */
function chatTarget(id: string, url: string, secret: string, model: string): Target {
  const body = (stream: boolean) => {
    const content = stream ? `Say hello to the benchmark [[chunks:${STREAM_CHUNKS}]]` : 'Say hello to the benchmark';
    return JSON.stringify(stream ? { model, messages: [{ role: 'user', content }], stream: true } : { model, messages: [{ role: 'user', content }] });
  };
  const bodies = { json: body(false), sse: body(true) };
  return {
    id,
    url,
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: (stream) => (stream ? bodies.sse : bodies.json),
  };
}

function target(id: string, url: string, secret: string, model: string, store = false): Target {
  const bodies = { json: requestBody(model, false, store), sse: requestBody(model, true, store) };
  return {
    id,
    url,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: (stream) => (stream ? bodies.sse : bodies.json),
  };
}

/**
 * A turn the size of a coding agent's (Codex CLI, an SDK with tools): instructions of ~2 KB and a
 * history of ~21 KB (a 24 KB body; plain messages, where an agent's would also hold function
 * calls and their outputs), answered with ~6 KB of text. Prose, not a repeated word, so that the
 * stored row (~34 KB of JSON: request, input items, the response with its instructions echoed)
 * compresses as a real one does. The same for every target, so the upstream's answer (seeded by
 * the user texts) is the same too.
 */
const AGENT_INSTRUCTIONS = fakeProse(450, 'bench: agent instructions');
const AGENT_INPUT = Array.from({ length: 5 }, (_, turn) => [
  { role: 'user', content: fakeProse(120, `bench: agent user ${turn}`) },
  { role: 'assistant', content: fakeProse(730, `bench: agent assistant ${turn}`) },
]).flat().concat({ role: 'user', content: 'Sum up what changed and what is left to do. [[prose:1200]]' });

function agentBody(model: string, store: boolean): string {
  const body: Record<string, unknown> = { model, instructions: AGENT_INSTRUCTIONS, input: AGENT_INPUT };
  if (!store) body.store = false;
  return JSON.stringify(body);
}

/** The same target with another JSON body (a Variant); streams as before. */
function variantTarget(t: Target, json: string): Target {
  return { ...t, body: (stream) => (stream ? t.body(stream) : json) };
}

/** A virtual key as the admin API stores it: only the SHA-256 of the secret. */
async function createVirtualKey(databaseUrl: string): Promise<string> {
  const { secret: key, hash } = generateVirtualKeySecret();
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    await pg.query(
      `INSERT INTO virtual_keys (name, key_hash, key_prefix, allowed_models, is_active, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      ['bench', hash, key.slice(0, 10), JSON.stringify([]), true, null],
    );
  } finally {
    await pg.end();
  }
  return key;
}

async function countLogRows(databaseUrl: string, since: Date): Promise<number> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    const r = await pg.query('SELECT count(*)::int AS n FROM request_logs WHERE created_at >= $1', [since]);
    return r.rows[0].n as number;
  } finally {
    await pg.end();
  }
}

function gatewayEnv(upstreamUrl: string, databaseUrl: string): Record<string, string> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bench-gw-')), 'gateway.json');
  // Production defaults otherwise: key refresh every second, request logs flushed every 200 ms.
  writeFileSync(file, JSON.stringify({ providers: { openai: { base_url: `${upstreamUrl}/v1`, keys: [{ value: UPSTREAM_KEY }] } } }));
  return { GATEWAY_CONFIG: file, DATABASE_URL: databaseUrl, GATEWAY_PORT: '0', HOST: '127.0.0.1' };
}

type Accumulated = TargetResult & { latencies: number[] };

function emptyResult(scenario: string, target: string): Accumulated {
  return {
    scenario, target, ok: 0, failed: 0, seconds: 0, rps: 0, p50: 0, p99: 0, cpuUs: 0, cpuUsPerRequest: 0, roundCpuUsPerRequest: [], dbCpuUs: 0, dbCpuUsPerRequest: null, machineCpuUs: 0, machineCpuUsPerRequest: 0, roundRps: [],
    latencies: [],
  };
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(options: BenchOptions): Promise<void> {
  const startedAt = performance.now();
  const children: BenchChild[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const spawn = async (...args: Parameters<typeof BenchChild.start>) => {
    const child = await BenchChild.start(...args);
    children.push(child);
    return child;
  };
  try {
    // The embedded database is measured too: on a small machine it competes with the gateway for CPU.
    const database = options.databaseUrl ? null : await spawn('postgres', 'database.process');
    // On a server, a scratch database of its own: the bench writes hundreds of thousands of rows.
    const scratch = options.databaseUrl ? await scratchDatabase(options.databaseUrl) : null;
    cleanups.push(async () => scratch?.drop());
    const databaseUrl = scratch?.url ?? database!.url;
    // The database's CPU during each run: the embedded one's process, or a server on this machine.
    const serverCpu = options.databaseUrl ? localPostgresCpu(options.databaseUrl) : null;
    const dbMeasured = database !== null || serverCpu !== null;
    const measureDbCpu = async (): Promise<() => Promise<number | null>> => {
      if (database) {
        const before = (await database.stats()).cpuUs;
        return async () => (await database.stats()).cpuUs - before;
      }
      const reading = serverCpu?.();
      return async () => reading?.() ?? null;
    };
    await runMigrations(databaseUrl);
    const virtualKey = await createVirtualKey(databaseUrl);
    const upstream = await spawn('upstream', 'upstream.process');
    const env = gatewayEnv(upstream.url, databaseUrl);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const profileFile = 'gateway.cpuprofile';
    const profileArgs = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${RESULTS_DIR}`, `--cpu-prof-name=${profileFile}`] : [];
    const [bare, gateway, gatewayNoLog] = await Promise.all([
      spawn('bare', 'bare-proxy.process', { upstreamUrl: upstream.url }),
      // --expose-gc only lets the soak ask for a full collection before reading the heap.
      spawn('gateway', 'gateway.process', { env, requestLog: true } satisfies GatewayProcessOptions, [...GATEWAY_NODE_FLAGS, '--expose-gc', ...profileArgs], GATEWAY_PROCESS_ENV),
      spawn('gateway-nolog', 'gateway.process', { env, requestLog: false } satisfies GatewayProcessOptions, GATEWAY_NODE_FLAGS, GATEWAY_PROCESS_ENV),
    ]);
    // Processes by name (for memory), and which process serves each target.
    const measuredProcesses: Record<string, BenchChild> = { upstream, bare, gateway, 'gateway-nolog': gatewayNoLog };
    const processes: Record<string, BenchChild> = { direct: upstream, bare, 'gw-default': gateway, 'gw-store-off': gateway, 'gw-nolog': gatewayNoLog, 'direct-chat': upstream, 'gw-chat': gateway };
    const gw = `openai/${MODEL}`;
    const targets: Record<string, Target> = {
      direct: target('direct', upstream.url, UPSTREAM_KEY, MODEL),
      bare: target('bare', bare.url, UPSTREAM_KEY, MODEL),
      'gw-default': target('gw-default', gateway.url, virtualKey, gw, true),
      'gw-store-off': target('gw-store-off', gateway.url, virtualKey, gw),
      'gw-nolog': target('gw-nolog', gatewayNoLog.url, virtualKey, gw),
      'direct-chat': chatTarget('direct-chat', upstream.url, UPSTREAM_KEY, MODEL),
      'gw-chat': chatTarget('gw-chat', gateway.url, virtualKey, gw),
    };
    if (options.baseline) {
      const entry = path.join(options.baseline, 'bench', 'gateway.process.js');
      const before = await spawn('gateway-before', entry, { env, requestLog: true } satisfies GatewayProcessOptions, GATEWAY_NODE_FLAGS, GATEWAY_PROCESS_ENV);
      measuredProcesses['gateway-before'] = before;
      processes['before-default'] = before;
      processes['before-store-off'] = before;
      targets['before-default'] = target('before-default', before.url, virtualKey, gw, true);
      targets['before-store-off'] = target('before-store-off', before.url, virtualKey, gw);
    }
    // Targets of the variant scenarios: the same processes, other bodies.
    const variants: Record<Variant, Record<string, Target>> = { indented: {}, agent: {} };
    for (const [id, t] of Object.entries(targets)) {
      if (id !== 'bare' && !id.endsWith('-default') && !id.endsWith('-store-off')) continue;
      const store = id.endsWith('-default');
      const model = id === 'bare' ? MODEL : gw;
      variants.indented[id] = variantTarget(t, requestBody(model, false, store, true));
      variants.agent[id] = variantTarget(t, agentBody(model, store));
    }
    const BEFORE: Record<string, string> = { 'gw-default': 'before-default', 'gw-store-off': 'before-store-off' };
    const scenarios = options.baseline
      ? SCENARIOS.map((s) => ({ ...s, targets: s.targets.flatMap((t) => (BEFORE[t] ? [t, BEFORE[t]] : [t])) }))
      : SCENARIOS;
    const startupPeakRss: Record<string, number> = {};
    for (const [id, proc] of Object.entries(measuredProcesses)) startupPeakRss[id] = (await proc.stats()).peakRssBytes;
    log(`started in ${Math.round(performance.now() - startedAt)} ms; warming up`);
    const loadStart = new Date();
    for (const t of Object.values(targets)) {
      await runLoad(t, false, 32, 1);
      await runLoad(t, true, 8, 0.5);
    }
    for (const v of Object.values(variants)) for (const t of Object.values(v)) await runLoad(t, false, 32, 0.5);

    const acc = new Map<string, Accumulated>();
    for (let round = 0; round < options.rounds; round++) {
      for (const s of scenarios) {
        for (let j = 0; j < s.targets.length; j++) {
          const id = s.targets[(round + j) % s.targets.length];
          const proc = processes[id];
          const before = await proc.stats();
          // The rest of the machine's CPU in this run: the upstream (unless it is the target), the load generator (this process), the database.
          const upstreamBefore = proc === upstream ? null : await upstream.stats();
          const selfBefore = process.cpuUsage();
          const dbCpu = await measureDbCpu();
          const run = await runLoad((s.variant ? variants[s.variant] : targets)[id], s.stream, s.connections, options.seconds);
          // Let the log writer's flush of this run land inside this run's CPU account.
          if (id.startsWith('gw-') || id.startsWith('before-')) await new Promise((r) => setTimeout(r, GATEWAY_SETTLE_MS));
          const after = await proc.stats();
          const dbUs = await dbCpu();
          const self = process.cpuUsage(selfBefore);
          const upstreamUs = upstreamBefore === null ? 0 : (await upstream.stats()).cpuUs - upstreamBefore.cpuUs;
          const key = `${s.id}|${id}`;
          const a = acc.get(key) ?? emptyResult(s.id, id);
          a.ok += run.ok;
          a.failed += run.failed;
          a.seconds += run.seconds;
          a.roundRps.push(run.ok / run.seconds);
          a.cpuUs += after.cpuUs - before.cpuUs;
          a.roundCpuUsPerRequest.push((after.cpuUs - before.cpuUs) / run.ok);
          if (dbUs !== null) a.dbCpuUs += dbUs;
          a.machineCpuUs += after.cpuUs - before.cpuUs + upstreamUs + self.user + self.system + (dbUs ?? 0);
          for (const l of run.latencies) a.latencies.push(l);
          acc.set(key, a);
        }
      }
      log(`round ${round + 1}/${options.rounds} done at ${Math.round((performance.now() - startedAt) / 1000)} s`);
    }

    const measured: ScenarioResult[] = scenarios.map((s) => ({
      id: s.id,
      stream: s.stream,
      connections: s.connections,
      targets: s.targets.map((id) => {
        const a = acc.get(`${s.id}|${id}`)!;
        const { latencies, ...rest } = a;
        return {
          ...rest,
          rps: a.ok / a.seconds,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          cpuUsPerRequest: a.ok > 0 ? a.cpuUs / a.ok : Number.NaN,
          machineCpuUsPerRequest: a.ok > 0 ? a.machineCpuUs / a.ok : Number.NaN,
          dbCpuUsPerRequest: dbMeasured && a.ok > 0 ? a.dbCpuUs / a.ok : null,
        };
      }),
    }));

    log('measuring stream time to first byte');
    const ttfbTargets = [targets.direct, targets.bare, targets['gw-default'], targets['gw-store-off']];
    if (targets['before-default']) ttfbTargets.push(targets['before-default']);
    const ttfbSamples = await measureTtfb(ttfbTargets, options.ttfbSamples);
    const ttfb: Record<string, { p50: number; p90: number; samples: number }> = {};
    for (const [id, values] of Object.entries(ttfbSamples)) ttfb[id] = { p50: percentile(values, 50), p90: percentile(values, 90), samples: values.length };

    // Memory of the measured runs, before the soak (which has its own figures).
    const memory: BenchResults['memory'] = {};
    for (const [id, proc] of Object.entries({ ...measuredProcesses, ...(database ? { postgres: database } : {}) })) {
      const st = await proc.stats();
      memory[id] = { startupPeakRssMb: (startupPeakRss[id] ?? Number.NaN) / 2 ** 20, peakRssMb: st.peakRssBytes / 2 ** 20, rssMb: st.rssBytes / 2 ** 20 };
    }
    // With `store` on, so that the cache of recent responses is held to its bounds too.
    const soak = options.soak > 0 ? await soakGateway(targets['gw-default'], gateway, options.soak) : undefined;

    await new Promise((r) => setTimeout(r, 500));
    const logRows = await countLogRows(databaseUrl, loadStart);
    // Both logging gateways (this one and the baseline) write to the same table.
    const loggedOk = measured.flatMap((s) => s.targets).filter((t) => processes[t.target] === gateway || t.target.startsWith('before-')).reduce((n, t) => n + t.ok, 0);

    const results: BenchResults = {
      at: new Date().toISOString(),
      node: process.version,
      cpus: (await import('node:os')).cpus().length,
      options: { rounds: options.rounds, seconds: options.seconds, ttfbSamples: options.ttfbSamples, profile: options.profile, database: options.databaseUrl ? 'DATABASE_URL' : 'embedded' },
      scenarios: measured,
      ttfb,
      memory,
      requestLog: { gatewayRequests: loggedOk, rowsWritten: logRows },
      soak,
      checks: [],
      wallSeconds: 0,
    };
    results.checks = checkTargets(results);
    results.paths = pathRows(results);

    for (const c of children.splice(0).reverse()) await c.stop();
    if (options.profile) {
      const summary = topSelfTime(path.join(RESULTS_DIR, profileFile), 30);
      results.profile = summary;
      log(`gateway CPU profile (${path.join(RESULTS_DIR, profileFile)}):\n${formatSelfTime(summary)}`);
    }
    results.wallSeconds = Math.round((performance.now() - startedAt) / 100) / 10;
    writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(formatReport(results));
    console.log(`\nJSON: ${path.join(RESULTS_DIR, 'latest.json')}  (${results.wallSeconds} s)`);
  } finally {
    for (const c of children.reverse()) await c.stop();
    for (const cleanup of cleanups) await cleanup();
  }
}

async function scratchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_${process.pid}`;
  const run = async (sql: string) => {
    const pg = new Client({ connectionString: serverUrl });
    await pg.connect();
    try {
      await pg.query(sql);
    } finally {
      await pg.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Memory growth: N more requests in tenths; after each, the gateway's RSS and its V8 heap after
 * a full collection (what it retains: a leak grows it with every tenth, garbage does not).
 * Growth is measured from the first tenth (warm pools, JIT, full caches) to the last.
 */
async function soakGateway(t: Target, proc: BenchChild, requests: number): Promise<NonNullable<BenchResults['soak']>> {
  const rssMb: number[] = [];
  const heapMb: number[] = [];
  let done = 0;
  for (let tenth = 1; tenth <= 10; tenth++) {
    while (done < (requests * tenth) / 10) done += (await runLoad(t, false, 32, 1)).ok;
    const rss = (await proc.stats()).rssBytes / 2 ** 20;
    const heap = (await proc.stats(true)).heapUsedBytes / 2 ** 20;
    rssMb.push(rss);
    heapMb.push(heap);
    log(`soak: ${done} requests, gateway RSS ${rss.toFixed(0)} MB, heap after GC ${heap.toFixed(1)} MB`);
  }
  const peakRssMb = (await proc.stats()).peakRssBytes / 2 ** 20;
  return { requests: done, rssMb, heapMb, peakRssMb, growthMb: heapMb[heapMb.length - 1] - heapMb[0] };
}

main(readBenchOptions()).catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
