import { useMemo, useState } from 'preact/hooks';
import type { Usage, UsageBucket, VirtualKey } from '../api-types.js';
import { TimeChart } from '../chart.js';
import { formatCompact, formatInt, formatMs, formatPercent, formatUsd } from '../format.js';
import { useApi } from '../session.js';
import { percentile, type Ranked, topBy } from '../stats.js';
import { bucketStarts, RANGE_PRESETS, type RangeId, rangePreset, resolveRange, type TimeRange } from '../time-range.js';
import { Async, Empty, ErrorState, Loading, PageHeader, type Resource, useResource } from '../ui.js';

/** Latency percentiles come from the newest requests of the range (one page of logs). */
const LATENCY_SAMPLE = 500;

function Stat({ label, value, detail, testId }: { label: string; value: string; detail?: string; testId: string }) {
  return (
    <div class="stat" data-testid={testId}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {detail ? <div class="stat-detail muted">{detail}</div> : null}
    </div>
  );
}

function RankedList({ rows, format, empty, testId }: { rows: Ranked[]; format: (v: number) => string; empty: string; testId: string }) {
  if (rows.length === 0) return <Empty title={empty} />;
  return (
    <ol class="ranked" data-testid={testId}>
      {rows.map((r) => (
        <li key={r.label}>
          <div class="ranked-row">
            <span class="ranked-label" title={r.label}>
              {r.label}
            </span>
            <span class="ranked-value">{format(r.value)}</span>
          </div>
          <div class="bar bar-ok">
            <div class="bar-fill" style={{ width: `${Math.max(2, r.share * 100)}%` }} />
          </div>
        </li>
      ))}
    </ol>
  );
}

function Timeline({ usage, range, group }: { usage: Usage; range: TimeRange; group: 'hour' | 'day' }) {
  const chart = useMemo(() => {
    const x = bucketStarts(range, group);
    const byStart = new Map(usage.data.map((b) => [new Date(b.bucket ?? 0).getTime(), b]));
    const pick = (f: (b: Usage['data'][number]) => number | null) => x.map((t) => (byStart.has(t) ? (f(byStart.get(t)!) ?? 0) : 0));
    return {
      x,
      spend: [{ label: 'Spend (USD)', values: pick((b) => b.cost_usd), color: '#4f46e5', kind: 'bars' as const }],
      requests: [
        { label: 'Requests', values: pick((b) => b.requests), color: '#0ea5e9', kind: 'line' as const },
        { label: 'Errors', values: pick((b) => b.errors), color: '#ef4444', kind: 'line' as const },
      ],
    };
  }, [usage, range, group]);
  return (
    <div class="grid-2">
      <section class="card">
        <h2>Spend per {group}</h2>
        <TimeChart x={chart.x} series={chart.spend} formatValue={(v) => (v === 0 ? '$0' : formatUsd(v))} label={`Spend per ${group}`} bucket={group} />
      </section>
      <section class="card" data-testid="requests-chart" data-total={usage.data.reduce((n, b) => n + b.requests, 0)}>
        <h2>Requests per {group}</h2>
        <TimeChart x={chart.x} series={chart.requests} formatValue={formatCompact} label={`Requests per ${group}`} bucket={group} />
      </section>
    </div>
  );
}

export function OverviewPage() {
  const api = useApi();
  const [rangeId, setRangeId] = useState<RangeId>('24h');
  const [groupChoice, setGroupChoice] = useState<'auto' | 'hour' | 'day'>('auto');
  const [refresh, setRefresh] = useState(0);
  const preset = rangePreset(rangeId);
  const group = groupChoice === 'auto' ? preset.defaultGroup : groupChoice;
  // Recomputed on a range change or a refresh, so "now" moves forward.
  const range = useMemo(() => resolveRange(preset), [rangeId, refresh]);
  const [keyId, setKeyId] = useState('');
  const scope = { from: range.from, to: range.to, virtual_key_id: keyId || undefined };

  const timeline = useResource(() => api.usage({ group_by: group, ...scope }), [group, range, keyId]);
  const models = useResource(() => api.usage({ group_by: 'model', ...scope }), [range, keyId]);
  const keysUsage = useResource(() => api.usage({ group_by: 'virtual_key', ...scope }), [range, keyId]);
  const keys = useResource(() => api.listKeys(true), [refresh]);
  const latency = useResource(() => api.listLogs({ ...scope, limit: LATENCY_SAMPLE }), [range, keyId]);

  const totals = timeline.data?.totals;
  const latencies = latency.data?.data.filter((l) => l.status === 'success').map((l) => l.latency_ms) ?? [];
  const keyNames = new Map((keys.data?.data ?? []).map((k: VirtualKey) => [k.id, k.name]));

  return (
    <div class="page" data-page="overview">
      <PageHeader title="Overview" subtitle="Who spent what, on which model, and what failed.">
        <select value={keyId} onChange={(e) => setKeyId(e.currentTarget.value)} aria-label="Virtual key">
          <option value="">All keys</option>
          {(keys.data?.data ?? []).map((k) => (
            <option key={k.id} value={k.id}>
              {k.name}
              {k.revoked_at ? ' (revoked)' : ''}
            </option>
          ))}
        </select>
        <label class="inline-field">
          <span class="sr-only">Time range</span>
          <select value={rangeId} onChange={(e) => setRangeId(e.currentTarget.value as RangeId)} aria-label="Time range">
            {RANGE_PRESETS.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <div class="segmented" role="group" aria-label="Bucket size">
          {(['auto', 'hour', 'day'] as const).map((g) => (
            <button key={g} type="button" class={groupChoice === g ? 'on' : undefined} aria-pressed={groupChoice === g} onClick={() => setGroupChoice(g)}>
              {g === 'auto' ? 'Auto' : g === 'hour' ? 'Hourly' : 'Daily'}
            </button>
          ))}
        </div>
        <button type="button" class="btn" onClick={() => setRefresh((n) => n + 1)}>
          Refresh
        </button>
      </PageHeader>

      <section class="stats" aria-label="Totals">
        {timeline.status === 'error' ? (
          <ErrorState error={timeline.error} onRetry={timeline.reload} title="Usage is unavailable" />
        ) : !totals && timeline.status === 'loading' ? (
          <Loading />
        ) : (
          <>
            <Stat
              testId="stat-spend"
              label="Spend"
              value={totals?.cost_usd == null ? '—' : formatUsd(totals.cost_usd)}
              detail={totals?.cost_usd == null && (totals?.requests ?? 0) > 0 ? 'no priced requests' : preset.label.toLowerCase()}
            />
            <Stat testId="stat-requests" label="Requests" value={formatInt(totals?.requests ?? 0)} detail={`${formatInt((totals?.input_tokens ?? 0) + (totals?.output_tokens ?? 0))} tokens`} />
            <Stat
              testId="stat-errors"
              label="Error rate"
              value={formatPercent(totals?.errors ?? 0, totals?.requests ?? 0)}
              detail={`${formatInt(totals?.errors ?? 0)} failed`}
            />
            <LatencyStat resource={latency} values={latencies} />
          </>
        )}
      </section>

      {/* A failure is already shown once, in place of the totals. */}
      {timeline.status === 'error' ? null : (
        <Async resource={timeline}>{(usage) => <Timeline usage={usage} range={range} group={group} />}</Async>
      )}

      <div class="grid-2">
        <section class="card">
          <Async resource={keysUsage} errorTitle="Spend per key is unavailable">
            {(u) => <TopList title="Top keys" testId="top-keys" buckets={u.data} label={(b) => (b.bucket ? (keyNames.get(b.bucket) ?? `${b.bucket.slice(0, 8)}…`) : 'No key')} />}
          </Async>
        </section>
        <section class="card">
          <Async resource={models} errorTitle="Spend per model is unavailable">
            {(u) => <TopList title="Top models" testId="top-models" buckets={u.data} label={(b) => b.bucket ?? 'unknown'} />}
          </Async>
        </section>
      </div>
    </div>
  );
}

/** Ranked by spend; when nothing in the range was priced, by requests, so the list still answers "who". */
function TopList({ title, testId, buckets, label }: { title: string; testId: string; buckets: UsageBucket[]; label: (b: UsageBucket) => string }) {
  const bySpend = topBy(buckets, (b) => b.cost_usd ?? 0, label);
  const rows = bySpend.length > 0 ? bySpend : topBy(buckets, (b) => b.requests, label);
  const unit = bySpend.length > 0 ? 'spend' : 'requests';
  return (
    <>
      <h2>
        {title} by {unit}
      </h2>
      {unit === 'requests' && rows.length > 0 ? <p class="muted small">No priced spend in this range.</p> : null}
      <RankedList testId={testId} empty="No requests in this range" format={unit === 'spend' ? formatUsd : formatInt} rows={rows} />
    </>
  );
}

function LatencyStat({ resource, values }: { resource: Resource<unknown>; values: number[] }) {
  if (resource.status === 'error') return <Stat testId="stat-latency" label="Latency p50 / p95" value="—" detail="logs unavailable" />;
  if (resource.status === 'loading' && values.length === 0) return <Stat testId="stat-latency" label="Latency p50 / p95" value="…" />;
  const p50 = percentile(values, 50);
  const p95 = percentile(values, 95);
  return (
    <Stat
      testId="stat-latency"
      label="Latency p50 / p95"
      value={p50 === null ? '—' : `${formatMs(p50)} / ${formatMs(p95)}`}
      detail={values.length === 0 ? 'no successful requests' : `newest ${formatInt(values.length)} successful requests`}
    />
  );
}
