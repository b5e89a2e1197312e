import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool } from 'undici';

/** One thing to load: a URL with the headers and body that target expects. */
export interface Target {
  id: string;
  url: string;
  /** The endpoint (default /v1/responses). */
  path?: string;
  headers: Record<string, string>;
  body(stream: boolean): string;
}

export interface LoadRun {
  /** 2xx responses. */
  ok: number;
  failed: number;
  seconds: number;
  /** Latency of every 2xx response, ms, full precision (autocannon's own histogram keeps whole ms). */
  latencies: number[];
}

export async function runLoad(target: Target, stream: boolean, connections: number, seconds: number): Promise<LoadRun> {
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const instance = autocannon({
    url: `${target.url}${target.path ?? '/v1/responses'}`,
    method: 'POST',
    headers: target.headers,
    body: target.body(stream),
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    // autocannon stops only on a sample tick: the default 1 s tick would round every run up to whole seconds.
    sampleInt: 100,
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
    else failed++;
  });
  const result = await instance;
  const elapsed = (performance.now() - started) / 1000;
  return { ok: latencies.length, failed: failed + result.errors + result.timeouts, seconds: elapsed, latencies };
}

/**
 * Time to first byte of a stream, measured apart from the load runs: from sending the request
 * to the first body chunk, one request at a time per target, targets interleaved.
 */
export async function measureTtfb(targets: Target[], samples: number): Promise<Record<string, number[]>> {
  const pools = targets.map((t) => new Pool(t.url, { connections: 1, pipelining: 1 }));
  const out: Record<string, number[]> = {};
  for (const t of targets) out[t.id] = [];
  try {
    for (let i = 0; i < samples; i++) {
      for (let j = 0; j < targets.length; j++) {
        // Rotate the order so that no target always follows the same one.
        const k = (i + j) % targets.length;
        const t = targets[k];
        const t0 = performance.now();
        const res = await pools[k].request({ path: t.path ?? '/v1/responses', method: 'POST', headers: t.headers, body: t.body(true) });
        const chunks = res.body[Symbol.asyncIterator]();
        const first = await chunks.next();
        const ttfb = performance.now() - t0;
        while (!(await chunks.next()).done);
        if (res.statusCode !== 200 || first.done) throw new Error(`${t.id}: stream answered ${res.statusCode}`);
        out[t.id].push(ttfb);
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  return out;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
