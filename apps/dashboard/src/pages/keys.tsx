import { useState } from 'preact/hooks';
import type { BudgetPeriod, CreatedVirtualKey, FallbackPolicy, VirtualKey } from '../api-types.js';
import { BUDGET_PERIOD_LABELS, formatDateTime, formatInt, formatRelative, formatUsd, fromLocalInput, toLocalInput } from '../format.js';
import { useApi } from '../session.js';
import { Async, Confirm, CopyButton, Empty, Field, inputProps, keyStatus, Modal, PageHeader, SpendBar, StatusBadge, useResource, useToast } from '../ui.js';
import { useFormSubmit } from '../form-submit.js';
import { type KeyForm, validateKeyForm } from '../validation.js';

const KEY_FIELDS = [
  'name', 'allowed_models', 'budget.max_usd', 'rate_limit.requests_per_minute', 'rate_limit.tokens_per_minute', 'rate_limit.max_concurrent_requests',
  'fallback_policy_id', 'expires_at', 'is_active',
];

const FIELD_OF: Partial<Record<keyof KeyForm, string>> = {
  name: 'name',
  allowedModels: 'allowed_models',
  budgetUsd: 'budget.max_usd',
  rpm: 'rate_limit.requests_per_minute',
  tpm: 'rate_limit.tokens_per_minute',
  concurrency: 'rate_limit.max_concurrent_requests',
  fallbackPolicyId: 'fallback_policy_id',
  expiresAt: 'expires_at',
};

function emptyForm(): KeyForm {
  return { name: '', allowedModels: '', budgetUsd: '', budgetPeriod: '1M', rpm: '', tpm: '', concurrency: '', fallbackPolicyId: '', expiresAt: '', isActive: true };
}

function formFromKey(key: VirtualKey): KeyForm {
  return {
    name: key.name,
    allowedModels: key.allowed_models.join('\n'),
    budgetUsd: key.budget ? String(key.budget.max_usd) : '',
    budgetPeriod: key.budget?.period ?? '1M',
    rpm: key.rate_limit?.requests_per_minute ? String(key.rate_limit.requests_per_minute) : '',
    tpm: key.rate_limit?.tokens_per_minute ? String(key.rate_limit.tokens_per_minute) : '',
    concurrency: key.rate_limit?.max_concurrent_requests ? String(key.rate_limit.max_concurrent_requests) : '',
    fallbackPolicyId: key.fallback_policy_id ?? '',
    expiresAt: toLocalInput(key.expires_at),
    isActive: key.is_active,
  };
}

function KeyFormModal({
  existing,
  policies,
  onClose,
  onSaved,
}: {
  existing?: VirtualKey;
  policies: FallbackPolicy[] | null;
  onClose: () => void;
  onSaved: (key: VirtualKey | CreatedVirtualKey) => void;
}) {
  const api = useApi();
  const [form, setForm] = useState<KeyForm>(() => (existing ? formFromKey(existing) : emptyForm()));
  const { errors, formError, busy, submit, clearError } = useFormSubmit(
    KEY_FIELDS,
    () => validateKeyForm({ ...form, expiresAt: fromLocalInput(form.expiresAt) ?? '' }, existing ? 'edit' : 'create'),
    (body) => (existing ? api.updateKey(existing.id, body) : api.createKey(body)),
    onSaved,
  );
  const set = <K extends keyof KeyForm>(name: K, value: KeyForm[K]) => {
    setForm((f) => ({ ...f, [name]: value }));
    // An error goes away once its field is edited; the next submit checks again.
    const field = FIELD_OF[name];
    if (field) clearError(field);
  };

  return (
    <Modal title={existing ? `Edit ${existing.name}` : 'Create a virtual key'} onClose={onClose} wide>
      <form onSubmit={submit} noValidate class="form" data-testid="key-form">
        {formError ? (
          <p class="form-error" role="alert">
            {formError}
          </p>
        ) : null}
        <Field label="Name" name="name" error={errors.name}>
          <input {...inputProps('name', errors.name)} value={form.name} onInput={(e) => set('name', e.currentTarget.value)} placeholder="search-team-prod" maxLength={200} />
        </Field>
        <Field label="Allowed models" name="allowed_models" error={errors.allowed_models} hint="One per line or comma-separated: provider/model or provider/*. Empty: every model.">
          <textarea
            id="f-allowed_models"
            name="allowed_models"
            rows={3}
            value={form.allowedModels}
            onInput={(e) => set('allowedModels', e.currentTarget.value)}
            placeholder={'openai/gpt-4o-mini\nanthropic/*'}
            aria-invalid={errors.allowed_models ? true : undefined}
          />
        </Field>
        <div class="form-row">
          <Field label="Budget (USD)" name="budget.max_usd" error={errors['budget.max_usd']} hint="Empty: no budget">
            <input {...inputProps('budget.max_usd', errors['budget.max_usd'])} inputMode="decimal" value={form.budgetUsd} onInput={(e) => set('budgetUsd', e.currentTarget.value)} placeholder="25" />
          </Field>
          <Field label="Budget period" name="budget.period">
            <select id="f-budget.period" name="budget.period" value={form.budgetPeriod} onChange={(e) => set('budgetPeriod', e.currentTarget.value as BudgetPeriod)}>
              {Object.entries(BUDGET_PERIOD_LABELS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <div class="form-row">
          <Field label="Requests per minute" name="rate_limit.requests_per_minute" error={errors['rate_limit.requests_per_minute']} hint="Empty: unlimited">
            <input {...inputProps('rate_limit.requests_per_minute', errors['rate_limit.requests_per_minute'])} inputMode="numeric" value={form.rpm} onInput={(e) => set('rpm', e.currentTarget.value)} />
          </Field>
          <Field label="Tokens per minute" name="rate_limit.tokens_per_minute" error={errors['rate_limit.tokens_per_minute']} hint="Empty: unlimited">
            <input {...inputProps('rate_limit.tokens_per_minute', errors['rate_limit.tokens_per_minute'])} inputMode="numeric" value={form.tpm} onInput={(e) => set('tpm', e.currentTarget.value)} />
          </Field>
          <Field label="Requests in flight" name="rate_limit.max_concurrent_requests" error={errors['rate_limit.max_concurrent_requests']} hint="Empty: unlimited">
            <input
              {...inputProps('rate_limit.max_concurrent_requests', errors['rate_limit.max_concurrent_requests'])}
              inputMode="numeric"
              value={form.concurrency}
              onInput={(e) => set('concurrency', e.currentTarget.value)}
            />
          </Field>
        </div>
        <div class="form-row">
          <Field label="Fallback policy" name="fallback_policy_id" error={errors.fallback_policy_id} hint={policies === null ? 'Policies could not be loaded' : undefined}>
            <select id="f-fallback_policy_id" name="fallback_policy_id" value={form.fallbackPolicyId} onChange={(e) => set('fallbackPolicyId', e.currentTarget.value)}>
              <option value="">None (policy matching the model, if any)</option>
              {(policies ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.model})
                </option>
              ))}
            </select>
          </Field>
          <Field label="Expires" name="expires_at" error={errors.expires_at} hint="Your local time. Empty: never">
            <input {...inputProps('expires_at', errors.expires_at)} type="datetime-local" value={form.expiresAt} onInput={(e) => set('expiresAt', e.currentTarget.value)} />
          </Field>
        </div>
        <label class="check">
          <input type="checkbox" name="is_active" checked={form.isActive} onChange={(e) => set('isActive', e.currentTarget.checked)} />
          Active (an inactive key is refused with 403 until re-activated)
        </label>
        <div class="form-actions">
          <button type="button" class="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : existing ? 'Save changes' : 'Create key'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function SecretModal({ created, rotated, onClose }: { created: CreatedVirtualKey; rotated: boolean; onClose: () => void }) {
  return (
    <Modal title={rotated ? `New secret for ${created.name}` : `Key ${created.name} created`} onClose={onClose}>
      <div class="warning" role="alert">
        <strong>Copy this secret now. It will not be shown again.</strong> Only a hash is stored; if you lose it, rotate the key to get a new one.
        {rotated ? ' The previous secret has stopped working.' : ''}
      </div>
      <div class="secret">
        <code data-testid="secret" tabIndex={0}>
          {created.key}
        </code>
      </div>
      <div class="form-actions">
        <CopyButton text={created.key} label="Copy secret" />
        <button type="button" class="btn" onClick={onClose}>
          I have stored it
        </button>
      </div>
      <p class="muted small">
        Use it as <code>Authorization: Bearer {created.key_prefix}…</code> against the gateway's <code>/v1/responses</code>.
      </p>
    </Modal>
  );
}

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; key: VirtualKey }
  | { kind: 'secret'; created: CreatedVirtualKey; rotated: boolean }
  | { kind: 'rotate' | 'revoke' | 'toggle'; key: VirtualKey };

function rateLimitText(key: VirtualKey): string {
  const rpm = key.rate_limit?.requests_per_minute;
  const tpm = key.rate_limit?.tokens_per_minute;
  const inFlight = key.rate_limit?.max_concurrent_requests;
  if (!rpm && !tpm && !inFlight) return 'unlimited';
  return [rpm ? `${formatInt(rpm)} req/min` : null, tpm ? `${formatInt(tpm)} tok/min` : null, inFlight ? `${formatInt(inFlight)} at once` : null].filter(Boolean).join(' · ');
}

export function KeysPage() {
  const api = useApi();
  const [showRevoked, setShowRevoked] = useState(false);
  const keys = useResource(() => api.listKeys(showRevoked), [showRevoked]);
  const policies = useResource(() => api.listPolicies(), []);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [toast, showToast] = useToast();
  const close = () => setDialog(null);
  const policyNames = new Map((policies.data?.data ?? []).map((p) => [p.id, p.name]));

  return (
    <div class="page" data-page="keys">
      <PageHeader title="Virtual keys" subtitle="Secrets your apps use against the gateway, each with its own budget, limits and model allowlist.">
        <label class="check">
          <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.currentTarget.checked)} />
          Show revoked
        </label>
        <button type="button" class="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
          Create key
        </button>
      </PageHeader>

      <Async
        resource={keys}
        errorTitle="Could not load the virtual keys"
        isEmpty={(d) => d.data.length === 0}
        empty={
          <Empty title="No virtual keys yet">
            <p>Create one to let an application call the gateway.</p>
            <button type="button" class="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
              Create key
            </button>
          </Empty>
        }
      >
        {(d) => (
          <div class="card card-flush">
            <table class="table responsive" data-testid="keys-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Spend / budget</th>
                  <th>Rate limits</th>
                  <th>Models</th>
                  <th>Expires</th>
                  <th>
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.data.map((key) => {
                  const status = keyStatus(key);
                  return (
                    <tr key={key.id} data-key-id={key.id} data-key-name={key.name}>
                      <td data-label="Name" class="cell-name">
                        <div class="strong">{key.name}</div>
                        <code class="muted small">{key.key_prefix}…</code>
                        {key.fallback_policy_id ? <div class="muted small">fallbacks: {policyNames.get(key.fallback_policy_id) ?? 'policy'}</div> : null}
                      </td>
                      <td data-label="Status">
                        <StatusBadge status={status} />
                      </td>
                      <td data-label="Spend" class="cell-spend">
                        <SpendBar spend={key.spend} budget={key.budget} />
                        {key.total_spent_usd != null ? <div class="muted small">{formatUsd(key.total_spent_usd)} all time</div> : null}
                      </td>
                      <td data-label="Rate limits">{rateLimitText(key)}</td>
                      <td data-label="Models" class="cell-models">
                        {key.allowed_models.length === 0 ? <span class="muted">all</span> : key.allowed_models.map((m) => <span key={m} class="chip">{m}</span>)}
                      </td>
                      <td data-label="Expires">{key.expires_at ? <span title={formatDateTime(key.expires_at)}>{formatRelative(key.expires_at)}</span> : <span class="muted">never</span>}</td>
                      <td class="cell-actions">
                        {status === 'revoked' ? (
                          <span class="muted small">revoked {formatDateTime(key.revoked_at)}</span>
                        ) : (
                          <div class="actions actions-grid">
                            <button type="button" class="btn btn-small" onClick={() => setDialog({ kind: 'edit', key })}>
                              Edit
                            </button>
                            <button type="button" class="btn btn-small" onClick={() => setDialog({ kind: 'rotate', key })}>
                              Rotate
                            </button>
                            <button type="button" class="btn btn-small" onClick={() => setDialog({ kind: 'toggle', key })}>
                              {key.is_active ? 'Deactivate' : 'Activate'}
                            </button>
                            <button type="button" class="btn btn-small btn-danger-outline" onClick={() => setDialog({ kind: 'revoke', key })}>
                              Revoke
                            </button>
                          </div>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Async>

      {dialog?.kind === 'create' || dialog?.kind === 'edit' ? (
        <KeyFormModal
          existing={dialog.kind === 'edit' ? dialog.key : undefined}
          policies={policies.status === 'error' ? null : (policies.data?.data ?? [])}
          onClose={close}
          onSaved={(saved) => {
            keys.reload();
            if ('key' in saved) setDialog({ kind: 'secret', created: saved, rotated: false });
            else {
              close();
              showToast(`Saved ${saved.name}`);
            }
          }}
        />
      ) : null}
      {dialog?.kind === 'secret' ? <SecretModal created={dialog.created} rotated={dialog.rotated} onClose={close} /> : null}
      {dialog?.kind === 'rotate' ? (
        <Confirm
          title={`Rotate ${dialog.key.name}?`}
          confirmLabel="Rotate secret"
          onClose={close}
          onConfirm={async () => {
            const created = await api.rotateKey(dialog.key.id);
            keys.reload();
            setDialog({ kind: 'secret', created, rotated: true });
            return 'replaced';
          }}
        >
          A new secret is issued and the current one (<code>{dialog.key.key_prefix}…</code>) stops working at once. Applications using it must be updated.
        </Confirm>
      ) : null}
      {dialog?.kind === 'toggle' ? (
        <Confirm
          title={`${dialog.key.is_active ? 'Deactivate' : 'Activate'} ${dialog.key.name}?`}
          confirmLabel={dialog.key.is_active ? 'Deactivate' : 'Activate'}
          danger={dialog.key.is_active}
          onClose={close}
          onConfirm={async () => {
            await api.updateKey(dialog.key.id, { is_active: !dialog.key.is_active });
            keys.reload();
            showToast(`${dialog.key.name} ${dialog.key.is_active ? 'deactivated' : 'activated'}`);
          }}
        >
          {dialog.key.is_active
            ? 'Requests with this key will be refused (403) until you activate it again. Nothing else changes.'
            : 'Requests with this key will be accepted again.'}
        </Confirm>
      ) : null}
      {dialog?.kind === 'revoke' ? (
        <Confirm
          title={`Revoke ${dialog.key.name}?`}
          confirmLabel="Revoke key"
          danger
          onClose={close}
          onConfirm={async () => {
            await api.revokeKey(dialog.key.id);
            keys.reload();
            showToast(`${dialog.key.name} revoked`);
          }}
        >
          The gateway will refuse this key (401) from now on. <strong>This cannot be undone</strong>; its logs and spend history are kept.
        </Confirm>
      ) : null}
      {toast}
    </div>
  );
}
