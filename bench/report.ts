import type { SelfTime } from './cpu-profile';

export interface TargetResult {
  scenario: string;
  target: string;
  /** 2xx responses over all rounds. */
  ok: number;
  failed: number;
  seconds: number;
  rps: number;
  /** Req/s of each round's run, in round order: ratios are taken per round, then the median. */
  roundRps: number[];
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  /** CPU time of the target's own process over its runs (the upstream's for `direct`). */
  cpuUs: number;
  cpuUsPerRequest: number;
  /** CPU per request of each round's run, in round order (for the spread of the ratios). */
  roundCpuUsPerRequest: number[];
  /** CPU of the database during these runs: the embedded one, or a server on this machine (null: not measurable). */
  dbCpuUs: number;
  dbCpuUsPerRequest: number | null;
  /**
   * CPU of everything these runs used on the machine: the target, the upstream, the load
   * generator and the database. With the cores saturated, req/s goes as its inverse, and it is
   * steadier from run to run than req/s itself.
   */
  machineCpuUs: number;
  machineCpuUsPerRequest: number;
}

export interface ScenarioResult {
  id: string;
  stream: boolean;
  connections: number;
  targets: TargetResult[];
}

export interface Check {
  name: string;
  value: string;
  limit: string;
  pass: boolean;
}

export interface BenchResults {
  at: string;
  node: string;
  cpus: number;
  options: Record<string, unknown>;
  scenarios: ScenarioResult[];
  ttfb: Record<string, { p50: number; p90: number; samples: number }>;
  /** Peak RSS when the process was ready, over the whole run, and RSS at the end. */
  memory: Record<string, { startupPeakRssMb: number; peakRssMb: number; rssMb: number }>;
  /**
   * `--soak N`: N more requests (JSON, 32 connections, `store` on); after each tenth the gateway's
   * RSS and its heap after a full GC; growth is the heap's, first tenth to last.
   */
  soak?: { requests: number; rssMb: number[]; heapMb: number[]; peakRssMb: number; growthMb: number };
  requestLog: { gatewayRequests: number; rowsWritten: number };
  checks: Check[];
  /** Issue 15's targets, both paths side by side. */
  paths?: PathRow[];
  profile?: { totalMs: number; top: SelfTime[] };
  wallSeconds: number;
}

function find(r: BenchResults, scenario: string, target: string): TargetResult {
  const t = r.scenarios.find((s) => s.id === scenario)?.targets.find((x) => x.target === target);
  if (!t) throw new Error(`no result for ${scenario} / ${target}`);
  return t;
}

/**
 * a's req/s over b's, per round (both ran back to back in it), median over rounds: a burst of
 * other work on the machine during one run moves one round's ratio, not the result.
 */
export function rpsRatio(a: TargetResult, b: TargetResult): number {
  const ratios = roundRatios(a.roundRps, b.roundRps);
  const mid = ratios.length >> 1;
  return ratios.length % 2 === 1 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
}

/** a's value over b's in each round (both ran back to back in it), smallest first. */
function roundRatios(a: number[], b: number[]): number[] {
  return a.map((v, i) => v / b[i]).sort((x, y) => x - y);
}

/** The smallest and largest of the per-round ratios, as `(lo-hi)`: how far one round can stray from the result. */
function spread(a: number[], b: number[], fmt: (v: number) => string): string {
  const ratios = roundRatios(a, b);
  return ratios.length < 2 ? '' : ` (${fmt(ratios[0])}-${fmt(ratios[ratios.length - 1])})`;
}

const ms = (v: number) => v.toFixed(3);
const pct = (v: number) => `${(100 * v).toFixed(0)}%`;

/** ratio of CPU per request of a over b, in the same scenario. */
const cpuRatio = (a: TargetResult, b: TargetResult): number => a.cpuUsPerRequest / b.cpuUsPerRequest;

/** The two paths of the gateway: `store` left out (on, the API default) and `store: false`. */
export const PATHS = [
  { target: 'gw-default', label: 'store on (default)' },
  { target: 'gw-store-off', label: 'store: false' },
] as const;

/** One measure of both paths side by side, each against its target (none: reported only). */
export interface PathRow {
  measure: string;
  values: [string, string];
  limits: [string, string];
  pass: [boolean | null, boolean | null];
}

/**
 * Issue 15's targets for both paths, each against the bare proxy measured in the same
 * interleaved run: added p50 (1 connection), req/s and CPU per request (32 connections),
 * peak RSS (the one gateway process serves both paths; with the soak, `store` on), and
 * Postgres CPU per request beside the gateway's.
 */
export function pathRows(r: BenchResults): PathRow[] {
  const rows: PathRow[] = [];
  const each = (
    measure: string, value: (t: string) => number, fmt: (v: number) => string, limits: [number | null, number | null], dir: 'max' | 'min', unit: (v: number) => string,
    roundSpread?: (t: string) => string,
  ) => {
    const values = PATHS.map((p) => value(p.target)) as [number, number];
    rows.push({
      measure,
      values: values.map((v, i) => fmt(v) + (roundSpread?.(PATHS[i].target) ?? '')) as [string, string],
      limits: limits.map((l) => (l === null ? '' : `${dir === 'max' ? '<=' : '>='} ${unit(l)}`)) as [string, string],
      pass: limits.map((l, i) => (l === null ? null : dir === 'max' ? values[i] <= l : values[i] >= l)) as [boolean | null, boolean | null],
    });
  };
  const msFmt = (v: number) => `${ms(v)} ms`;
  each('json c1: p50 added over bare', (t) => find(r, 'json c1', t).p50 - find(r, 'json c1', 'bare').p50, msFmt, [0.25, null], 'max', msFmt);
  each('sse c1: p50 added over bare', (t) => find(r, 'sse c1', t).p50 - find(r, 'sse c1', 'bare').p50, msFmt, [0.5, null], 'max', msFmt);
  for (const s of ['json c32', 'sse c32']) {
    each(`${s}: req/s vs bare`, (t) => rpsRatio(find(r, s, t), find(r, s, 'bare')), pct, [0.6, 0.7], 'min', pct, (t) => spread(find(r, s, t).roundRps, find(r, s, 'bare').roundRps, pct));
  }
  const x = (v: number) => `${v.toFixed(2)}x`;
  for (const s of ['json c32', 'sse c32']) {
    each(`${s}: CPU/request vs bare`, (t) => cpuRatio(find(r, s, t), find(r, s, 'bare')), x, [2, 1.5], 'max', x,
      (t) => spread(find(r, s, t).roundCpuUsPerRequest, find(r, s, 'bare').roundCpuUsPerRequest, x));
  }
  const us = (v: number) => `${v.toFixed(0)} us`;
  for (const s of ['json c32', 'sse c32']) {
    each(`${s}: gateway CPU/request`, (t) => find(r, s, t).cpuUsPerRequest, us, [null, null], 'max', us);
    if (find(r, s, 'gw-default').dbCpuUsPerRequest !== null) {
      each(`${s}: Postgres CPU/request`, (t) => find(r, s, t).dbCpuUsPerRequest ?? Number.NaN, us, [null, null], 'max', us);
    }
  }
  const mb = (v: number) => `${v.toFixed(0)} MB`;
  const rss = r.memory.gateway.peakRssMb;
  rows.push({ measure: 'gateway peak RSS (measured rounds)', values: [mb(rss), ''], limits: ['<= 200 MB', ''], pass: [rss <= 200, null] });
  if (r.soak) {
    const end = r.soak.rssMb[r.soak.rssMb.length - 1];
    rows.push({ measure: `peak RSS incl. the ${r.soak.requests}-request soak`, values: [mb(r.soak.peakRssMb), ''], limits: ['<= 200 MB', ''], pass: [r.soak.peakRssMb <= 200, null] });
    rows.push({ measure: 'RSS at the end of the soak', values: [mb(end), ''], limits: ['<= 200 MB', ''], pass: [end <= 200, null] });
  }
  return rows;
}

/** Targets of the gateway as a whole: stream TTFB, heap growth, the cost of request logging (`store: false`). */
export function checkTargets(r: BenchResults): Check[] {
  const checks: Check[] = [];
  const ttfb = r.ttfb['gw-store-off'].p50 - r.ttfb.bare.p50;
  checks.push({ name: 'sse: TTFB p50 added over bare proxy (store: false)', value: `${ms(ttfb)} ms`, limit: '<= 0.500 ms', pass: ttfb <= 0.5 });
  const ttfbStore = r.ttfb['gw-default'].p50 - r.ttfb.bare.p50;
  checks.push({ name: 'sse: TTFB p50 added over bare proxy (store on)', value: `${ms(ttfbStore)} ms`, limit: '<= 0.500 ms', pass: ttfbStore <= 0.5 });
  if (r.soak) {
    // RSS moves by tens of MB with uncollected garbage; the heap after a full GC is what is kept.
    checks.push({ name: `heap growth over ${r.soak.requests} requests`, value: `${r.soak.growthMb.toFixed(1)} MB`, limit: '<= 5 MB', pass: r.soak.growthMb <= 5 });
  }
  for (const s of ['json c32', 'sse c32']) {
    const cost = 1 - rpsRatio(find(r, s, 'gw-store-off'), find(r, s, 'gw-nolog'));
    checks.push({ name: `${s}: throughput cost of request logging`, value: pct(cost), limit: '< 10%', pass: cost < 0.1 });
    // The same cost from the machine's CPU per request: what req/s would show on saturated cores, without the run-to-run noise.
    const cpuCost = 1 - find(r, s, 'gw-nolog').machineCpuUsPerRequest / find(r, s, 'gw-store-off').machineCpuUsPerRequest;
    checks.push({ name: `${s}: machine CPU cost of request logging`, value: pct(cpuCost), limit: '< 10%', pass: cpuCost < 0.1 });
  }
  return checks;
}

const verdict = (pass: boolean | null): string => (pass === null ? '' : pass ? 'met' : 'NOT MET');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatReport(r: BenchResults): string {
  const rows: string[][] = [];
  for (const s of r.scenarios) {
    const direct = s.targets.find((t) => t.target === 'direct');
    const bare = s.targets.find((t) => t.target === 'bare');
    for (const t of s.targets) {
      const overDirect = direct && t !== direct ? `+${ms(t.p50 - direct.p50)}` : '';
      const overBare = bare && t !== bare && t !== direct ? `+${ms(t.p50 - bare.p50)}` : '';
      const vsBare = bare && t !== bare ? pct(rpsRatio(t, bare)) : '';
      rows.push([
        s.id, t.target, t.rps.toFixed(0), vsBare, ms(t.p50), ms(t.p99), overDirect, overBare,
        t.cpuUsPerRequest.toFixed(0), t.dbCpuUsPerRequest === null ? '' : t.dbCpuUsPerRequest.toFixed(0), t.machineCpuUsPerRequest.toFixed(0), String(t.ok), String(t.failed),
      ]);
    }
  }
  const main = table(['scenario', 'target', 'req/s', 'vs bare', 'p50 ms', 'p99 ms', 'p50 +direct', 'p50 +bare', 'CPU us/req', 'db CPU us/req', 'machine CPU us/req', 'ok', 'failed'], rows);
  const ttfb = table(
    ['stream TTFB', 'target', 'p50 ms', 'p90 ms', 'samples'],
    Object.entries(r.ttfb).map(([id, v]) => ['sse c1', id, ms(v.p50), ms(v.p90), String(v.samples)]),
  );
  const mem = table(
    ['memory', 'process', 'peak RSS MB at ready', 'peak RSS MB', 'RSS MB at end'],
    Object.entries(r.memory).map(([id, v]) => [
      '', id === 'direct' ? 'upstream' : id, Number.isNaN(v.startupPeakRssMb) ? '' : v.startupPeakRssMb.toFixed(0), v.peakRssMb.toFixed(0), v.rssMb.toFixed(0),
    ]),
  );
  const checks = table(
    ['target', '', 'measured', 'limit', 'result'],
    r.checks.map((c) => [c.name, '', c.value, c.limit, c.pass ? 'PASS' : 'FAIL']),
  );
  const rows15 = pathRows(r);
  const paths = table(
    ['issue 15 targets', '', PATHS[0].label, 'target', 'result', PATHS[1].label, 'target ', 'result '],
    rows15.map((p) => [p.measure, '', p.values[0], p.limits[0], verdict(p.pass[0]), p.values[1], p.limits[1], verdict(p.pass[1])]),
  );
  return [
    `node ${r.node}, ${r.cpus} CPUs, ${r.options.rounds} interleaved rounds of ${r.options.seconds} s per target and scenario; ` +
      "'vs bare' = median over rounds of the per-round req/s ratio" +
      `${r.options.profile ? ' (gateway under --cpu-prof: numbers skewed)' : ''}`,
    '',
    main,
    '',
    ttfb,
    '',
    mem,
    '',
    `request log: ${r.requestLog.rowsWritten} rows written for ${r.requestLog.gatewayRequests} measured gateway requests (plus warm-up and TTFB requests)`,
    '',
    checks,
    '',
    paths,
  ].join('\n');
}
