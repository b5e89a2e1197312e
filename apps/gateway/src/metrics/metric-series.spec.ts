import { Counter, Histogram, Registry } from 'prom-client';
import { CounterFamily, type CounterSeries, HistogramFamily, type HistogramSeries } from './metric-series';

const BUCKETS = [0.005, 0.01, 0.025, 0.1, 1, 2.5, 60];

/** A small deterministic generator, so that a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

function thrown(update: () => void): Error | null {
  try {
    update();
    return null;
  } catch (err) {
    return err as Error;
  }
}

/** Runs an update on both sides; they must fail alike (then it throws that error) or both succeed. */
function both(expected: () => void, actual: () => void): void {
  const e = thrown(expected);
  const a = thrown(actual);
  expect([a?.constructor, a?.message]).toEqual([e?.constructor, e?.message]);
  if (e !== null) throw e;
}

/** The same updates through prom-client's own metrics and through the families, in two registries. */
function pair() {
  const expected = new Registry();
  const actual = new Registry();
  const counter = new Counter({ name: 'c_total', help: 'a counter', labelNames: ['provider', 'model'], registers: [expected] });
  const histogram = new Histogram({ name: 'h_seconds', help: 'a histogram', labelNames: ['provider'], buckets: BUCKETS, registers: [expected] });
  const plain = new Histogram({ name: 'p_seconds', help: 'without labels', buckets: BUCKETS, registers: [expected] });
  const counters = new CounterFamily(actual, 'c_total', 'a counter');
  const histograms = new HistogramFamily(actual, 'h_seconds', 'a histogram', BUCKETS, true);
  const plains = new HistogramFamily(actual, 'p_seconds', 'without labels', BUCKETS, false);
  const counterSeries = new Map<string, CounterSeries>();
  const histogramSeries = new Map<string, HistogramSeries>();
  return {
    expected,
    actual,
    inc(provider: string, model: string, by?: number) {
      const key = `${provider}/${model}`;
      if (!counterSeries.has(key)) counterSeries.set(key, counters.series({ provider, model }));
      both(() => counter.inc({ provider, model }, by), () => counterSeries.get(key)!.inc(by));
    },
    observe(provider: string, value: number) {
      if (!histogramSeries.has(provider)) histogramSeries.set(provider, histograms.series({ provider }));
      both(() => histogram.observe({ provider }, value), () => histogramSeries.get(provider)!.observe(value));
    },
    observePlain(value: number) {
      both(() => plain.observe(value), () => plains.unlabelled!.observe(value));
    },
  };
}

describe('metric families', () => {
  it('print as prom-client prints them before any update', async () => {
    const { expected, actual } = pair();
    expect(await actual.metrics()).toBe(await expected.metrics());
  });

  it('print as prom-client prints them after the same updates: order of first use, cumulative buckets, sums', async () => {
    const m = pair();
    const next = random(7);
    const providers = ['openai', 'anthropic', 'we"ird\\name\n'];
    for (let i = 0; i < 2000; i++) {
      const provider = providers[Math.floor(next() * providers.length)];
      const r = next();
      if (r < 0.3) m.inc(provider, `model-${Math.floor(next() * 4)}`);
      else if (r < 0.5) m.inc(provider, 'priced', next() * 0.01);
      else if (r < 0.6) m.inc(provider, 'tokens', Math.floor(next() * 1_000_000));
      // Values on the bounds, between them, past the last one, and zero.
      else if (r < 0.7) m.observe(provider, BUCKETS[Math.floor(next() * BUCKETS.length)]);
      else if (r < 0.8) m.observe(provider, next() * 100);
      else if (r < 0.9) m.observePlain(r < 0.85 ? 0 : next() * 0.2);
      else m.observePlain(next() ** 4 * 0.05);
    }
    const text = await m.actual.metrics();
    expect(text).toContain('h_seconds_bucket{le="+Inf",provider="openai"}');
    expect(text).toBe(await m.expected.metrics());
    expect(await m.actual.getMetricsAsJSON()).toEqual(await m.expected.getMetricsAsJSON());
  });

  it('reset as prom-client resets: every series dropped, counted again from zero on its next update', async () => {
    const m = pair();
    m.inc('a', 'x', 2);
    m.inc('b', 'y');
    m.observe('a', 0.3);
    m.observePlain(0.001);
    m.expected.resetMetrics();
    m.actual.resetMetrics();
    expect(await m.actual.metrics()).toBe(await m.expected.metrics());
    m.inc('b', 'y', 3);
    m.observe('a', 0.02);
    m.observePlain(0.5);
    expect(await m.actual.metrics()).toBe(await m.expected.metrics());
  });

  it('refuse what prom-client refuses, listing nothing for it', async () => {
    const m = pair();
    m.inc('b', 'z');
    expect(() => m.inc('a', 'x', -1)).toThrow('It is not possible to decrease a counter');
    expect(() => m.inc('a', 'x', Infinity)).toThrow(new TypeError('Value is not a valid number: Infinity'));
    expect(() => m.observe('a', Number.NaN)).toThrow(new TypeError('Value is not a valid number: NaN'));
    expect(() => m.observePlain(-Infinity)).toThrow(new TypeError('Value is not a valid number: -Infinity'));
    // prom-client lets NaN through a counter.
    m.inc('b', 'z', Number.NaN);
    expect(await m.actual.metrics()).toBe(await m.expected.metrics());
  });
});
