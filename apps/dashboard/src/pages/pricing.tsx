import { useState } from 'preact/hooks';
import type { ModelPrice, PriceSource, PricingList, UnpricedModel } from '../api-types.js';
import { formatDateTime, formatInt } from '../format.js';
import { useFormSubmit } from '../form-submit.js';
import { useApi } from '../session.js';
import { Async, Confirm, Empty, Field, inputProps, Modal, type Resource, useResource, useToast } from '../ui.js';
import { PRICE_FIELDS, type PriceForm, validatePriceForm } from '../validation.js';

const usd = (value: string | undefined): string => (value === undefined ? '—' : `$${value}`);

// The full catalog has over a thousand entries: the table shows a page of them, the filter narrows.
const MAX_ROWS = 200;

const SOURCE_LABELS: Record<PriceSource, string> = { override: 'config override', admin: 'admin', built_in: 'built-in', catalog: 'catalog' };

function PriceFormModal({ initial, fixedModel, onClose, onSaved }: { initial?: ModelPrice; fixedModel?: string; onClose: () => void; onSaved: (p: ModelPrice) => void }) {
  const api = useApi();
  const [form, setForm] = useState<PriceForm>(() => ({
    model: fixedModel ?? initial?.id ?? '',
    input: initial?.input_per_mtok ?? '',
    output: initial?.output_per_mtok ?? '',
    cachedInput: initial?.cached_input_per_mtok ?? '',
    cacheWrite: initial?.cache_write_per_mtok ?? '',
    reasoning: initial?.reasoning_per_mtok ?? '',
    requestCost: initial?.request_cost ?? '',
  }));
  const { errors, formError, busy, submit, clearError } = useFormSubmit(
    PRICE_FIELDS,
    () => validatePriceForm(form),
    (body) => api.setPrice(body.provider, body.model, body.price),
    onSaved,
  );
  const text = (label: string, key: keyof PriceForm, field: string, hint?: string, placeholder?: string) => (
    <Field label={label} name={field} error={errors[field]} hint={hint}>
      <input
        {...inputProps(field, errors[field])}
        inputMode={key === 'model' ? undefined : 'decimal'}
        value={form[key]}
        readOnly={key === 'model' && fixedModel !== undefined}
        placeholder={placeholder}
        onInput={(e) => {
          const value = e.currentTarget.value;
          setForm((f) => ({ ...f, [key]: value }));
          clearError(field);
        }}
      />
    </Field>
  );
  return (
    <Modal title={fixedModel ? `Price ${fixedModel}` : initial ? `Edit the price of ${initial.id}` : 'Price a model'} onClose={onClose} wide>
      <form class="form" onSubmit={submit} noValidate data-testid="price-form">
        {formError ? (
          <p class="form-error" role="alert">
            {formError}
          </p>
        ) : null}
        {text('Model', 'model', 'model', '"provider/model", as requests name it', 'local/llama-3.3-70b')}
        <p class="muted small">USD per 1M tokens, as exact decimals. In force at the gateway as soon as it is saved.</p>
        <div class="form-row">
          {text('Input', 'input', 'input_per_mtok', undefined, '0.15')}
          {text('Output', 'output', 'output_per_mtok', undefined, '0.60')}
        </div>
        <div class="form-row">
          {text('Cached input', 'cachedInput', 'cached_input_per_mtok', 'Cache reads; empty: the input price')}
          {text('Cache writes', 'cacheWrite', 'cache_write_per_mtok', 'Empty: the input price')}
        </div>
        <div class="form-row">
          {text('Reasoning', 'reasoning', 'reasoning_per_mtok', 'Only if priced apart from output')}
          {text('Per request (USD)', 'requestCost', 'request_cost', 'A fee on top of tokens')}
        </div>
        <div class="form-actions">
          <button type="button" class="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save price'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function SourceChip({ price }: { price: ModelPrice }) {
  const source = price.source ?? 'catalog';
  const title =
    source === 'catalog'
      ? `From the price catalog${price.catalog_version ? ` version ${price.catalog_version}` : ''}${price.time_varying ? '; changes with the date or time of day' : ''}`
      : source === 'built_in'
        ? price.reference
        : source === 'admin'
          ? `Set in the dashboard or admin API${price.updated_at ? ` on ${formatDateTime(price.updated_at)}` : ''}`
          : 'GATEWAY_CONFIG pricing: wins over every other source';
  return (
    <span class={`chip chip-source chip-source-${source}`} title={title}>
      {SOURCE_LABELS[source]}
      {source === 'catalog' && price.time_varying ? ' · varies' : ''}
    </span>
  );
}

function UnpricedModels({ unpriced, onPrice }: { unpriced: Resource<{ data: UnpricedModel[] }>; onPrice: (m: UnpricedModel) => void }) {
  return (
    <Async
      resource={unpriced}
      errorTitle="Could not load the unpriced models"
      isEmpty={(d) => d.data.length === 0}
      empty={<Empty title="Every model seen in the last 7 days has a price" />}
    >
      {(d) => (
        <div class="card card-flush">
          <table class="table responsive" data-testid="unpriced-models">
            <thead>
              <tr>
                <th>Model</th>
                <th class="num">Requests</th>
                <th>Last seen</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {d.data.map((m) => (
                <tr key={m.id} data-unpriced={m.id}>
                  <td data-label="Model" class="strong">
                    {m.id}
                  </td>
                  <td data-label="Requests" class="num">
                    {formatInt(m.requests)}
                  </td>
                  <td data-label="Last seen">{formatDateTime(m.last_seen_at)}</td>
                  <td class="actions">
                    <button type="button" class="btn btn-small btn-primary" onClick={() => onPrice(m)}>
                      Set price
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Async>
  );
}

/** Prices set here or in the configuration, and those of the configured providers, before the rest of the catalog. */
function relevantFirst(prices: ModelPrice[], configured: readonly string[]): ModelPrice[] {
  const relevant = (p: ModelPrice) => p.source === 'admin' || p.source === 'override' || configured.includes(p.provider);
  return [...prices.filter(relevant), ...prices.filter((p) => !relevant(p))];
}

function PriceTable({ prices, onEdit, onRemove }: { prices: ModelPrice[]; onEdit: (p: ModelPrice) => void; onRemove: (p: ModelPrice) => void }) {
  const [filter, setFilter] = useState('');
  const [source, setSource] = useState<'' | PriceSource>('');
  const needle = filter.trim().toLowerCase();
  const matching = prices.filter((p) => (!needle || p.id.toLowerCase().includes(needle)) && (!source || p.source === source));
  const shown = matching.slice(0, MAX_ROWS);
  return (
    <>
      <div class="filters-inline">
        <label class="inline-field search">
          <span class="sr-only">Filter models</span>
          <input type="search" placeholder="Filter models, e.g. gpt-4o" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} aria-label="Filter models" />
        </label>
        <label class="inline-field">
          <span class="sr-only">Source</span>
          <select aria-label="Source" value={source} onChange={(e) => setSource(e.currentTarget.value as '' | PriceSource)}>
            <option value="">All sources</option>
            {(Object.keys(SOURCE_LABELS) as PriceSource[]).map((s) => (
              <option key={s} value={s}>
                {SOURCE_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {matching.length > shown.length ? (
        <p class="muted small" data-testid="pricing-truncated">
          Showing {formatInt(shown.length)} of {formatInt(matching.length)} prices; filter to narrow.
        </p>
      ) : null}
      {shown.length === 0 ? (
        <Empty title="No model matches" />
      ) : (
        <div class="card card-flush">
          <table class="table responsive" data-testid="pricing-table">
            <thead>
              <tr>
                <th>Model</th>
                <th class="num">Input</th>
                <th class="num">Cached input</th>
                <th class="num">Output</th>
                <th>Source and notes</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((p) => (
                <tr key={p.id} data-price={p.id}>
                  <td data-label="Model" class="strong">
                    {p.id}
                  </td>
                  <td data-label="Input" class="num">
                    {usd(p.input_per_mtok)}
                  </td>
                  <td data-label="Cached input" class="num">
                    {usd(p.cached_input_per_mtok ?? p.input_per_mtok)}
                  </td>
                  <td data-label="Output" class="num">
                    {usd(p.output_per_mtok)}
                  </td>
                  <td data-label="Source" class="small">
                    <SourceChip price={p} />
                    {p.reasoning_per_mtok ? <span class="chip">reasoning {usd(p.reasoning_per_mtok)}</span> : null}
                    {p.request_cost && Number(p.request_cost) > 0 ? <span class="chip">+{usd(p.request_cost)} / request</span> : null}
                    {p.long_context ? (
                      <span class="chip" title={`Above ${p.long_context.threshold_tokens.toLocaleString('en-US')} input tokens`}>
                        long context {usd(p.long_context.input_per_mtok)} / {usd(p.long_context.output_per_mtok)}
                      </span>
                    ) : null}
                  </td>
                  <td class="actions">
                    {p.source === 'admin' ? (
                      <>
                        <button type="button" class="btn btn-small" onClick={() => onEdit(p)}>
                          Edit
                        </button>
                        <button type="button" class="btn btn-small btn-danger" onClick={() => onRemove(p)}>
                          Remove
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

type Dialog = { kind: 'price'; fixedModel?: string; initial?: ModelPrice } | { kind: 'remove'; price: ModelPrice } | null;

/**
 * Unpriced models seen in traffic, with a form to price them, and every price in force with its
 * source, those of the `configured` providers first.
 */
export function PricingSection({ configured }: { configured: readonly string[] }) {
  const api = useApi();
  const pricing = useResource<PricingList>(() => api.pricing(), []);
  const unpriced = useResource(() => api.unpriced(), []);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [toast, showToast] = useToast();
  const reload = () => {
    pricing.reload();
    unpriced.reload();
  };
  const catalog = pricing.data?.catalog;
  return (
    <>
      <h2 class="section-title">Unpriced models seen in traffic</h2>
      <p class="muted small">Requests to these models consumed tokens but could not be charged (cost unknown). Price them here; the next request is charged.</p>
      <UnpricedModels unpriced={unpriced} onPrice={(m) => setDialog({ kind: 'price', fixedModel: m.id })} />
      <div class="section-header">
        <h2 class="section-title">
          Prices{' '}
          {catalog ? (
            <span class="muted small" data-testid="catalog-info">
              catalog {catalog.package} {catalog.version}
              {catalog.published_at ? `, published ${catalog.published_at}` : ''}
            </span>
          ) : null}
        </h2>
        <button type="button" class="btn btn-small" onClick={() => setDialog({ kind: 'price' })}>
          Price a model
        </button>
      </div>
      <Async resource={pricing} errorTitle="Could not load the price list" isEmpty={(d) => d.data.length === 0} empty={<Empty title="No prices known" />}>
        {(d) => <PriceTable prices={relevantFirst(d.data, configured)} onEdit={(p) => setDialog({ kind: 'price', initial: p })} onRemove={(p) => setDialog({ kind: 'remove', price: p })} />}
      </Async>
      {dialog?.kind === 'price' ? (
        <PriceFormModal
          fixedModel={dialog.fixedModel ?? (dialog.initial ? dialog.initial.id : undefined)}
          initial={dialog.initial}
          onClose={() => setDialog(null)}
          onSaved={(p) => {
            setDialog(null);
            showToast(`${p.id} priced at $${p.input_per_mtok} / $${p.output_per_mtok} per 1M tokens`);
            reload();
          }}
        />
      ) : null}
      {dialog?.kind === 'remove' ? (
        <Confirm
          title={`Remove the price of ${dialog.price.id}?`}
          confirmLabel="Remove price"
          danger
          onConfirm={async () => {
            await api.deletePrice(dialog.price.provider, dialog.price.model);
            showToast(`${dialog.price.id}: admin price removed`);
            reload();
          }}
          onClose={() => setDialog(null)}
        >
          <p>The model goes back to its catalog or built-in price, if it has one; otherwise its requests are logged without a cost.</p>
        </Confirm>
      ) : null}
      {toast}
    </>
  );
}
