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
  const ratios = a.roundRps.map((rps, i) => rps / b.roundRps[i]).sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  return ratios.length % 2 === 1 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
}

const ms = (v: number) => v.toFixed(3);
const pct = (v: number) => `${(100 * v).toFixed(0)}%`;

/** Issue 8's targets, each against the bare proxy measured in the same interleaved run. */
export function checkTargets(r: BenchResults): Check[] {
  const checks: Check[] = [];
  const added = find(r, 'json c1', 'gateway').p50 - find(r, 'json c1', 'bare').p50;
  checks.push({ name: 'json c1: p50 added over bare proxy', value: `${ms(added)} ms`, limit: '<= 0.250 ms', pass: added <= 0.25 });
  for (const s of ['json c32', 'sse c32']) {
    const ratio = rpsRatio(find(r, s, 'gateway'), find(r, s, 'bare'));
    checks.push({ name: `${s}: req/s vs bare proxy`, value: pct(ratio), limit: '>= 60%', pass: ratio >= 0.6 });
  }
  for (const s of ['json c32', 'sse c32']) {
    const ratio = find(r, s, 'gateway').cpuUsPerRequest / find(r, s, 'bare').cpuUsPerRequest;
    checks.push({ name: `${s}: CPU/request vs bare proxy`, value: `${ratio.toFixed(2)}x`, limit: '<= 2.00x', pass: ratio <= 2 });
  }
  const ttfb = r.ttfb.gateway.p50 - r.ttfb.bare.p50;
  checks.push({ name: 'sse: TTFB p50 added over bare proxy', value: `${ms(ttfb)} ms`, limit: '<= 0.500 ms', pass: ttfb <= 0.5 });
  const rss = r.memory.gateway.peakRssMb;
  checks.push({ name: 'gateway peak RSS', value: `${rss.toFixed(0)} MB`, limit: '<= 200 MB', pass: rss <= 200 });
  if (r.soak) {
    // RSS moves by tens of MB with uncollected garbage; the heap after a full GC is what is kept.
    checks.push({ name: `heap growth over ${r.soak.requests} requests`, value: `${r.soak.growthMb.toFixed(1)} MB`, limit: '<= 5 MB', pass: r.soak.growthMb <= 5 });
    checks.push({ name: 'gateway peak RSS after the soak (store on)', value: `${r.soak.peakRssMb.toFixed(0)} MB`, limit: '<= 200 MB', pass: r.soak.peakRssMb <= 200 });
  }
  for (const s of ['json c32', 'sse c32']) {
    const cost = 1 - rpsRatio(find(r, s, 'gateway'), find(r, s, 'gateway-nolog'));
    checks.push({ name: `${s}: throughput cost of request logging`, value: pct(cost), limit: '< 10%', pass: cost < 0.1 });
    // The same cost from the machine's CPU per request: what req/s would show on saturated cores, without the run-to-run noise.
    const cpuCost = 1 - find(r, s, 'gateway-nolog').machineCpuUsPerRequest / find(r, s, 'gateway').machineCpuUsPerRequest;
    checks.push({ name: `${s}: machine CPU cost of request logging`, value: pct(cpuCost), limit: '< 10%', pass: cpuCost < 0.1 });
  }
  return checks;
}

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
      const overBare = bare && t.target.startsWith('gateway') ? `+${ms(t.p50 - bare.p50)}` : '';
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
  ].join('\n');
}
