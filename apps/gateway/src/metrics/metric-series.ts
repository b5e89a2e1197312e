import type { Metric, Registry } from 'prom-client';

// prom-client turns the label values into a key string and looks the series up on every inc or
// observe. Here a caller finds its series once (MetricsService keeps them per label tuple) and a
// request only adds to plain numbers; the registry reads the series when /metrics is scraped,
// listed as prom-client lists its own: in the order of their first update, a histogram's buckets
// cumulative. Values are checked as prom-client checks them, so a bad one fails as it did.

type Labels = Readonly<Record<string, string>>;

interface Value {
  value: number;
  labels: Readonly<Record<string, string | number>>;
  metricName?: string;
  /** prom-client's buckets carry one (null without exemplars); kept so getMetricsAsJSON() matches too. */
  exemplar?: null;
}

interface Exposed {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: Value[];
  aggregator: 'sum';
}

/** A metric as the registry reads it (prom-client's types only describe its own classes). */
abstract class Family<S extends Series> {
  abstract readonly type: Exposed['type'];
  readonly aggregator = 'sum';
  protected listed: S[] = [];

  constructor(
    registry: Registry,
    public name: string,
    readonly help: string,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  list(series: S): void {
    series.listed = true;
    this.listed.push(series);
  }

  abstract get(): Promise<Exposed>;

  reset(): void {
    for (const s of this.listed) s.clear();
    this.listed = [];
  }

  protected exposed(values: Value[]): Exposed {
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** One label tuple's series; its family lists it from its first update on. */
abstract class Series {
  listed = false;

  /** `labels` in the order they print in. */
  constructor(readonly labels: Labels) {}

  abstract clear(): void;
}

export class CounterSeries extends Series {
  value = 0;

  constructor(
    private readonly family: CounterFamily,
    labels: Labels,
  ) {
    super(labels);
  }

  inc(by = 1): void {
    if (by && !Number.isFinite(by)) throw new TypeError(`Value is not a valid number: ${by}`);
    if (by < 0) throw new Error('It is not possible to decrease a counter');
    this.value += by;
    if (!this.listed) this.family.list(this);
  }

  clear(): void {
    this.value = 0;
    this.listed = false;
  }
}

/** A labelled counter (prom-client's Counter with labelNames, exposed the same way). */
export class CounterFamily extends Family<CounterSeries> {
  readonly type = 'counter';

  series(labels: Labels): CounterSeries {
    return new CounterSeries(this, labels);
  }

  async get(): Promise<Exposed> {
    return this.exposed(this.listed.map((s) => ({ value: s.value, labels: s.labels })));
  }
}

export class HistogramSeries extends Series {
  /** Observations per bucket, each counted in the first bucket that holds it (not cumulative). */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    private readonly family: HistogramFamily,
    labels: Labels,
  ) {
    super(labels);
    this.counts = family.buckets.map(() => 0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const buckets = this.family.buckets;
    for (let i = 0; i < buckets.length; i++) {
      if (value <= buckets[i]) {
        this.counts[i]++;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
    if (!this.listed) this.family.list(this);
  }

  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.listed = false;
  }
}

/** A histogram (prom-client's Histogram, exposed the same way: `_bucket` by `le` with `+Inf`, `_sum`, `_count`). */
export class HistogramFamily extends Family<HistogramSeries> {
  readonly type = 'histogram';
  /** The series of a histogram without labels, listed (at zero) from the start as prom-client's is; else null. */
  readonly unlabelled: HistogramSeries | null;

  constructor(
    registry: Registry,
    name: string,
    help: string,
    readonly buckets: readonly number[],
    labelled: boolean,
  ) {
    super(registry, name, help);
    this.unlabelled = labelled ? null : this.series({});
    if (this.unlabelled !== null) this.list(this.unlabelled);
  }

  series(labels: Labels): HistogramSeries {
    return new HistogramSeries(this, labels);
  }

  async get(): Promise<Exposed> {
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.listed) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.counts[i];
        values.push({ value: cumulative, labels: { le: this.buckets[i], ...s.labels }, metricName: bucket, exemplar: null });
      }
      values.push({ value: s.count, labels: { le: '+Inf', ...s.labels }, metricName: bucket, exemplar: null });
      values.push({ value: s.sum, labels: s.labels, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: s.labels, metricName: `${this.name}_count` });
    }
    return this.exposed(values);
  }
}
