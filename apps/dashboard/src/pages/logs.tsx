import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { LogFilters, LogStatus, ModelPrice, RequestLog, RequestLogDetail, RequestType } from '../api-types.js';
import { costBreakdown } from '../cost.js';
import { formatDateTimeSeconds, formatInt, formatMs, formatUsd, fromLocalInput, toLocalInput } from '../format.js';
import { useApi } from '../session.js';
import { Async, Empty, PageHeader, StatusBadge, useResource } from '../ui.js';

const PAGE_SIZE = 50;
const FILTER_NAMES = ['virtual_key_id', 'provider', 'model', 'request_type', 'status', 'from', 'to'] as const;

/** Each request type with the endpoint it names, as the filter and the rows show it. */
const REQUEST_TYPES: readonly [RequestType, string][] = [
  ['responses', '/v1/responses'],
  ['chat_completions', '/v1/chat/completions'],
  ['messages', '/v1/messages'],
  ['embeddings', '/v1/embeddings'],
];
const ENDPOINT = new Map(REQUEST_TYPES);
type FilterName = (typeof FILTER_NAMES)[number];

// The list's URL (with its filters) that the detail page's back link returns to.
let lastListHash = '#/logs';

function filtersFromQuery(query: URLSearchParams): LogFilters {
  const filters: LogFilters = {};
  for (const name of FILTER_NAMES) {
    const value = query.get(name);
    if (value) (filters as Record<FilterName, string>)[name] = value;
  }
  return filters;
}

function hashFor(filters: LogFilters): string {
  const params = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name];
    if (value) params.set(name, value);
  }
  const text = params.toString();
  return `#/logs${text ? `?${text}` : ''}`;
}

function FilterBar({ filters, onApply }: { filters: LogFilters; onApply: (f: LogFilters) => void }) {
  const api = useApi();
  const keys = useResource(() => api.listKeys(true), []);
  const providers = useResource(() => api.providers(), []);
  const [draft, setDraft] = useState({ ...filters, from: toLocalInput(filters.from), to: toLocalInput(filters.to) });
  useEffect(() => setDraft({ ...filters, from: toLocalInput(filters.from), to: toLocalInput(filters.to) }), [hashFor(filters)]);
  const set = (name: FilterName, value: string) => setDraft((d) => ({ ...d, [name]: value || undefined }));
  const submit = (e: Event) => {
    e.preventDefault();
    onApply({ ...draft, model: draft.model?.trim() || undefined, from: fromLocalInput(draft.from ?? '') ?? undefined, to: fromLocalInput(draft.to ?? '') ?? undefined });
  };
  return (
    <form class="filters card" onSubmit={submit} aria-label="Log filters" data-testid="log-filters">
      <label>
        <span>Key</span>
        <select name="virtual_key_id" value={draft.virtual_key_id ?? ''} onChange={(e) => set('virtual_key_id', e.currentTarget.value)}>
          <option value="">All keys</option>
          {(keys.data?.data ?? []).map((k) => (
            <option key={k.id} value={k.id}>
              {k.name}
              {k.revoked_at ? ' (revoked)' : ''}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Provider</span>
        <select name="provider" value={draft.provider ?? ''} onChange={(e) => set('provider', e.currentTarget.value)}>
          <option value="">All providers</option>
          {(providers.data?.data ?? []).map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
            </option>
          ))}
          {draft.provider && !(providers.data?.data ?? []).some((p) => p.name === draft.provider) ? <option value={draft.provider}>{draft.provider}</option> : null}
        </select>
      </label>
      <label>
        <span>Model</span>
        <input name="model" value={draft.model ?? ''} placeholder="openai/gpt-4o-mini" onInput={(e) => set('model', e.currentTarget.value)} />
      </label>
      <label>
        <span>Endpoint</span>
        <select name="request_type" value={draft.request_type ?? ''} onChange={(e) => set('request_type', e.currentTarget.value)}>
          <option value="">All endpoints</option>
          {REQUEST_TYPES.map(([type, endpoint]) => (
            <option key={type} value={type}>
              {endpoint}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Status</span>
        <select name="status" value={draft.status ?? ''} onChange={(e) => set('status', e.currentTarget.value as LogStatus)}>
          <option value="">Any</option>
          <option value="success">Success</option>
          <option value="error">Error</option>
        </select>
      </label>
      <label>
        <span>From</span>
        <input type="datetime-local" name="from" value={draft.from ?? ''} onInput={(e) => set('from', e.currentTarget.value)} />
      </label>
      <label>
        <span>To</span>
        <input type="datetime-local" name="to" value={draft.to ?? ''} onInput={(e) => set('to', e.currentTarget.value)} />
      </label>
      <div class="filter-actions">
        <button type="submit" class="btn btn-primary">
          Apply
        </button>
        <button type="button" class="btn" onClick={() => onApply({})}>
          Clear
        </button>
      </div>
    </form>
  );
}

function ModelCell({ log }: { log: RequestLog }) {
  return (
    <>
      <span class="strong">
        {log.provider}/{log.model}
      </span>{' '}
      {log.fallback_index > 0 ? (
        <span class="chip chip-warn" title={`Requested ${log.model_requested}`}>
          fallback #{log.fallback_index}
        </span>
      ) : null}
      {log.stream ? <span class="chip">stream</span> : null}
    </>
  );
}

export function LogsPage({ query }: { query: URLSearchParams }) {
  const api = useApi();
  const filters = filtersFromQuery(query);
  const filterKey = hashFor(filters);
  lastListHash = filterKey;
  // Cursors of the pages before the current one; the first page has none.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  useEffect(() => setCursors([undefined]), [filterKey]);
  const cursor = cursors[cursors.length - 1];
  const logs = useResource(() => api.listLogs({ ...filters, limit: PAGE_SIZE, cursor }), [filterKey, cursor]);
  const keys = useResource(() => api.listKeys(true), []);
  const keyNames = new Map((keys.data?.data ?? []).map((k) => [k.id, k.name]));
  const filtered = Object.keys(filters).length > 0;

  return (
    <div class="page" data-page="logs">
      <PageHeader title="Logs" subtitle="Every attempt the gateway made, newest first: one row per provider call, so a fallback shows as two.">
        <button type="button" class="btn" onClick={logs.reload}>
          Refresh
        </button>
      </PageHeader>
      <FilterBar filters={filters} onApply={(f) => (location.hash = hashFor(f))} />
      <Async
        resource={logs}
        errorTitle="Could not load the logs"
        isEmpty={(d) => d.data.length === 0 && cursors.length === 1}
        empty={
          <Empty title={filtered ? 'No requests match these filters' : 'No requests logged yet'}>
            {filtered ? <p>Widen the time range or clear a filter.</p> : <p>Requests made through the gateway with a virtual key appear here within a second.</p>}
          </Empty>
        }
      >
        {(page) => (
          <>
            <div class="card card-flush">
              <table class="table responsive table-clickable" data-testid="logs-table">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Key</th>
                    <th>Endpoint</th>
                    <th>Model</th>
                    <th>Status</th>
                    <th class="num">Tokens in / out</th>
                    <th class="num">Cost</th>
                    <th class="num">Latency</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((log) => (
                    <tr key={log.id} data-log-id={log.id} data-request-id={log.request_id} onClick={() => (location.hash = `#/logs/${encodeURIComponent(log.id)}`)}>
                      <td data-label="Time">
                        <a href={`#/logs/${encodeURIComponent(log.id)}`} onClick={(e) => e.stopPropagation()}>
                          {formatDateTimeSeconds(log.created_at)}
                        </a>
                      </td>
                      <td data-label="Key">{log.virtual_key_id ? (keyNames.get(log.virtual_key_id) ?? `${log.virtual_key_id.slice(0, 8)}…`) : <span class="muted">none</span>}</td>
                      <td data-label="Endpoint" data-request-type={log.request_type}>
                        <code class="small">{ENDPOINT.get(log.request_type) ?? log.request_type}</code>
                      </td>
                      <td data-label="Model">
                        <ModelCell log={log} />
                      </td>
                      <td data-label="Status">
                        <StatusBadge status={log.status} /> <span class="muted small">{log.http_status}</span>
                        {log.error_code ? <div class="muted small">{log.error_code}</div> : null}
                      </td>
                      <td data-label="Tokens" class="num">
                        {formatInt(log.input_tokens)} / {formatInt(log.output_tokens)}
                      </td>
                      <td data-label="Cost" class="num">
                        {formatUsd(log.cost_usd)}
                      </td>
                      <td data-label="Latency" class="num">
                        {formatMs(log.latency_ms)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav class="pager" aria-label="Pages">
              <button type="button" class="btn" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
                ← Newer
              </button>
              <span class="muted">Page {cursors.length}</span>
              <button type="button" class="btn" disabled={!page.next_cursor} onClick={() => setCursors((c) => [...c, page.next_cursor ?? undefined])}>
                Older →
              </button>
            </nav>
          </>
        )}
      </Async>
    </div>
  );
}

function Row({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

export function LogDetailPage({ id }: { id: string }) {
  const api = useApi();
  const log = useResource(() => api.getLog(id), [id]);
  // The price the log's model resolves to today (dated snapshots, resellers), as the gateway finds it.
  const shown = log.data;
  const pricing = useResource(() => (shown ? api.resolvePrice(shown.provider, shown.model) : Promise.resolve(null)), [shown?.provider, shown?.model]);
  const keys = useResource(() => api.listKeys(true), []);
  return (
    <div class="page" data-page="log">
      <PageHeader title="Request" subtitle={log.data ? <code>{log.data.request_id}</code> : undefined}>
        <a class="btn" href={lastListHash}>
          ← Back to logs
        </a>
      </PageHeader>
      <Async resource={log} errorTitle="Could not load this request">
        {(d) => <LogDetail log={d} price={pricing.data ?? undefined} pricingFailed={pricing.status === 'error'} keyName={d.virtual_key_id ? keys.data?.data.find((k) => k.id === d.virtual_key_id)?.name : undefined} />}
      </Async>
    </div>
  );
}

function LogDetail({ log, price, pricingFailed, keyName }: { log: RequestLogDetail; price: ModelPrice | undefined; pricingFailed: boolean; keyName?: string }) {
  const lines = costBreakdown(log, price);
  const attempts = log.attempts ?? [];
  return (
    <div class="detail" data-testid="log-detail">
      <div class="grid-2">
        <section class="card">
          <h2>Summary</h2>
          <dl class="kv">
            <Row label="Status">
              <StatusBadge status={log.status} /> HTTP {log.http_status}
              {log.error_code ? <code class="small"> {log.error_code}</code> : null}
            </Row>
            {log.error_message ? <Row label="Error">{log.error_message}</Row> : null}
            <Row label="Time">{formatDateTimeSeconds(log.created_at)}</Row>
            <Row label="Key">{keyName ?? log.virtual_key_id ?? '—'}</Row>
            <Row label="Model">
              {log.provider}/{log.model}
            </Row>
            <Row label="Endpoint">
              <code>{ENDPOINT.get(log.request_type) ?? log.request_type}</code>
            </Row>
            <Row label="Requested">{log.model_requested}</Row>
            <Row label="Attempt">{log.fallback_index === 0 ? 'primary' : `fallback #${log.fallback_index}`}</Row>
            <Row label="Streamed">{log.stream ? 'yes' : 'no'}</Row>
          </dl>
        </section>
        <section class="card">
          <h2>Latency and tokens</h2>
          <dl class="kv">
            <Row label="Latency">{formatMs(log.latency_ms)}</Row>
            <Row label="Time to first token">{formatMs(log.ttft_ms)}</Row>
            <Row label="Input tokens">
              {formatInt(log.input_tokens)}
              {log.cached_tokens > 0 ? <span class="muted"> ({formatInt(log.cached_tokens)} cached)</span> : null}
            </Row>
            <Row label="Output tokens">
              {formatInt(log.output_tokens)}
              {log.reasoning_tokens > 0 ? <span class="muted"> ({formatInt(log.reasoning_tokens)} reasoning)</span> : null}
            </Row>
            <Row label="Total tokens">{formatInt(log.total_tokens)}</Row>
          </dl>
        </section>
      </div>
      <section class="card">
        <h2>Cost</h2>
        <p class="cost-total">
          <span class="stat-value" data-testid="log-cost">
            {formatUsd(log.cost_usd)}
          </span>{' '}
          {log.cost_usd === null ? <span class="muted">not priced: no price was known for this model when it ran</span> : <span class="muted">billed for this attempt</span>}
        </p>
        {lines ? (
          <div class="scroll-x">
            <table class="table compact" data-testid="cost-breakdown">
              <thead>
                <tr>
                  <th>Part</th>
                  <th class="num">Tokens</th>
                  <th class="num">Rate / 1M</th>
                  <th class="num">Cost</th>
                </tr>
              </thead>
              <tbody>
                {lines.map((l) => (
                  <tr key={l.label}>
                    <td>{l.label}</td>
                    <td class="num">{l.tokens === null ? '—' : formatInt(l.tokens)}</td>
                    <td class="num">{l.ratePerMtok === null ? '—' : `$${l.ratePerMtok}`}</td>
                    <td class="num">{formatUsd(l.usd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted small">{pricingFailed ? 'The price list could not be loaded, so the breakdown is unavailable.' : 'No current price for this model, so no breakdown.'}</p>
        )}
        {lines ? <p class="muted small">Breakdown at today's list price; the billed amount above is what was recorded at request time.</p> : null}
      </section>
      <section class="card">
        <h2>Attempts</h2>
        {attempts.length <= 1 ? (
          <p class="muted">Answered by the first provider called; no fallback was needed.</p>
        ) : (
          <table class="table responsive" data-testid="attempts-table">
            <thead>
              <tr>
                <th>#</th>
                <th>Model</th>
                <th>Status</th>
                <th class="num">Latency</th>
                <th class="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a) => (
                <tr key={a.id} class={a.id === log.id ? 'current' : undefined}>
                  <td data-label="#">{a.fallback_index === 0 ? 'primary' : `fallback #${a.fallback_index}`}</td>
                  <td data-label="Model">
                    <a href={`#/logs/${encodeURIComponent(a.id)}`}>
                      {a.provider}/{a.model}
                    </a>
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={a.status} /> <span class="muted small">{a.http_status}</span> {a.error_code ? <code class="small">{a.error_code}</code> : null}
                  </td>
                  <td data-label="Latency" class="num">
                    {formatMs(a.latency_ms)}
                  </td>
                  <td data-label="Cost" class="num">
                    {formatUsd(a.cost_usd)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

