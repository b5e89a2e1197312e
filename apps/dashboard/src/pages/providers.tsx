import type { Provider } from '../api-types.js';
import { useApi } from '../session.js';
import { Async, Empty, PageHeader, useResource } from '../ui.js';
import { PricingSection } from './pricing.js';

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

export function ProvidersPage() {
  const api = useApi();
  const providers = useResource(() => api.providers(), []);
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
      <PricingSection configured={providers.data?.data.map((p) => p.name) ?? []} />
    </div>
  );
}
