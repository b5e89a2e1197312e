import { useState } from 'preact/hooks';
import type { ModelPrice, Provider } from '../api-types.js';
import { useApi } from '../session.js';
import { Async, Empty, PageHeader, useResource } from '../ui.js';

const usd = (value: string | undefined): string => (value === undefined ? '—' : `$${value}`);

function ProviderCard({ provider }: { provider: Provider }) {
  const aliases = Object.entries(provider.aliases ?? {});
  return (
    <section class="card provider" data-provider={provider.name}>
      <header class="provider-header">
        <h2>{provider.name}</h2>
        <span class="chip">{provider.kind}</span>
      </header>
      <dl class="kv">
        <dt>Base URL</dt>
        <dd>
          <code class="wrap">{provider.base_url}</code>
        </dd>
        <dt>Models</dt>
        <dd>{provider.models.length === 0 ? <span class="muted">any (none advertised)</span> : provider.models.map((m) => <span key={m} class="chip">{m}</span>)}</dd>
        {aliases.length > 0 ? (
          <>
            <dt>Aliases</dt>
            <dd>
              {aliases.map(([from, to]) => (
                <span key={from} class="chip">
                  {from} → {to}
                </span>
              ))}
            </dd>
          </>
        ) : null}
        <dt>Upstream keys</dt>
        <dd>
          {(provider.keys ?? []).length === 0 ? (
            <span class="muted">none</span>
          ) : (
            (provider.keys ?? []).map((k) => (
              <span key={k.id} class="chip" title={k.models.length ? `models: ${k.models.join(', ')}` : 'all models'}>
                {k.id} · weight {k.weight}
              </span>
            ))
          )}
        </dd>
      </dl>
    </section>
  );
}

function PriceTable({ prices }: { prices: ModelPrice[] }) {
  const [filter, setFilter] = useState('');
  const needle = filter.trim().toLowerCase();
  const shown = needle ? prices.filter((p) => p.id.toLowerCase().includes(needle)) : prices;
  return (
    <>
      <label class="inline-field search">
        <span class="sr-only">Filter models</span>
        <input type="search" placeholder="Filter models, e.g. gpt-4o" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} aria-label="Filter models" />
      </label>
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
                <th>Notes</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((p) => (
                <tr key={p.id}>
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
                  <td data-label="Notes" class="small">
                    {p.source === 'override' ? <span class="chip chip-warn">override</span> : null}
                    {p.reasoning_per_mtok ? <span class="chip">reasoning {usd(p.reasoning_per_mtok)}</span> : null}
                    {p.request_cost ? <span class="chip">+{usd(p.request_cost)} / request</span> : null}
                    {p.long_context ? (
                      <span class="chip" title={`Above ${p.long_context.threshold_tokens.toLocaleString('en-US')} input tokens`}>
                        long context {usd(p.long_context.input_per_mtok)} / {usd(p.long_context.output_per_mtok)}
                      </span>
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

export function ProvidersPage() {
  const api = useApi();
  const providers = useResource(() => api.providers(), []);
  const pricing = useResource(() => api.pricing(), []);
  return (
    <div class="page" data-page="providers">
      <PageHeader title="Providers & pricing" subtitle="What the gateway can call, and what each model costs (USD per 1M tokens). Secrets are never shown." />
      <h2 class="section-title">Configured providers</h2>
      <Async
        resource={providers}
        errorTitle="Could not load the providers"
        isEmpty={(d) => d.data.length === 0}
        empty={
          <Empty title="No providers configured">
            <p>
              Set <code>OPENAI_API_KEY</code> (and others) or <code>GATEWAY_CONFIG</code>, then restart.
            </p>
          </Empty>
        }
      >
        {(d) => (
          <div class="grid-cards">
            {d.data.map((p) => (
              <ProviderCard key={p.name} provider={p} />
            ))}
          </div>
        )}
      </Async>
      <h2 class="section-title">
        Prices {pricing.data?.checked_at ? <span class="muted small">list prices checked {pricing.data.checked_at}</span> : null}
      </h2>
      <Async resource={pricing} errorTitle="Could not load the price list" isEmpty={(d) => d.data.length === 0} empty={<Empty title="No prices known" />}>
        {(d) => <PriceTable prices={d.data} />}
      </Async>
    </div>
  );
}
