import { useState } from 'preact/hooks';
import type { FallbackPolicy } from '../api-types.js';
import { formatDateTime } from '../format.js';
import { useApi } from '../session.js';
import { Async, Confirm, Empty, Field, inputProps, Modal, PageHeader, useResource, useToast } from '../ui.js';
import { useFormSubmit } from '../form-submit.js';
import { type PolicyForm, validatePolicyForm } from '../validation.js';

const POLICY_FIELDS = ['name', 'model', 'fallbacks', 'on_status'];

/** The chain as arrows: primary model, then each fallback in order. */
export function Chain({ model, fallbacks }: { model: string; fallbacks: string[] }) {
  return (
    <ol class="chain" aria-label="Fallback chain">
      <li class="chain-primary">
        <span class="chip chip-strong">{model}</span>
      </li>
      {fallbacks.map((f, i) => (
        <li key={`${f}-${i}`}>
          <span class="chain-arrow" aria-hidden="true">
            →
          </span>
          <span class="chip">{f}</span>
        </li>
      ))}
    </ol>
  );
}

function PolicyFormModal({ existing, onClose, onSaved }: { existing?: FallbackPolicy; onClose: () => void; onSaved: (p: FallbackPolicy) => void }) {
  const api = useApi();
  const [form, setForm] = useState<PolicyForm>(() => ({
    name: existing?.name ?? '',
    model: existing?.model ?? '',
    fallbacks: existing ? [...existing.fallbacks] : [''],
    onStatus: existing?.on_status?.join(', ') ?? '',
  }));
  const { errors, formError, busy, submit, clearError: clear } = useFormSubmit(
    POLICY_FIELDS,
    () => validatePolicyForm(form),
    (body) => (existing ? api.updatePolicy(existing.id, body) : api.createPolicy(body)),
    onSaved,
  );
  const edit = (field: 'name' | 'model' | 'onStatus', value: string) => {
    setForm((f) => ({ ...f, [field]: value }));
    clear(field === 'onStatus' ? 'on_status' : field);
  };
  const setFallback = (i: number, value: string) => {
    setForm((f) => ({ ...f, fallbacks: f.fallbacks.map((x, j) => (j === i ? value : x)) }));
    clear('fallbacks');
  };
  const move = (i: number, delta: number) =>
    setForm((f) => {
      const list = [...f.fallbacks];
      const j = i + delta;
      if (j < 0 || j >= list.length) return f;
      [list[i], list[j]] = [list[j], list[i]];
      return { ...f, fallbacks: list };
    });
  const remove = (i: number) => setForm((f) => ({ ...f, fallbacks: f.fallbacks.length === 1 ? [''] : f.fallbacks.filter((_, j) => j !== i) }));

  return (
    <Modal title={existing ? `Edit ${existing.name}` : 'Create a fallback policy'} onClose={onClose} wide>
      <form class="form" onSubmit={submit} noValidate data-testid="policy-form">
        {formError ? (
          <p class="form-error" role="alert">
            {formError}
          </p>
        ) : null}
        <div class="form-row">
          <Field label="Name" name="name" error={errors.name}>
            <input {...inputProps('name', errors.name)} value={form.name} onInput={(e) => edit('name', e.currentTarget.value)} placeholder="gpt-4o-mini backup" />
          </Field>
          <Field label="Applies to model" name="model" error={errors.model} hint='"provider/model", or "provider/*" for every model of a provider'>
            <input {...inputProps('model', errors.model)} value={form.model} onInput={(e) => edit('model', e.currentTarget.value)} placeholder="openai/gpt-4o-mini" />
          </Field>
        </div>
        <fieldset class={`field chain-editor${errors.fallbacks ? ' field-invalid' : ''}`} data-field="fallbacks">
          <legend>Fallbacks, tried in this order</legend>
          <ol>
            {form.fallbacks.map((f, i) => (
              <li key={i} class="chain-item">
                <span class="chain-index">{i + 1}</span>
                <input
                  name={`fallbacks[${i}]`}
                  aria-label={`Fallback ${i + 1}`}
                  value={f}
                  onInput={(e) => setFallback(i, e.currentTarget.value)}
                  placeholder="backup/gpt-4o-mini"
                  aria-invalid={errors.fallbacks ? true : undefined}
                />
                <button type="button" class="btn btn-icon" aria-label={`Move fallback ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                  ↑
                </button>
                <button type="button" class="btn btn-icon" aria-label={`Move fallback ${i + 1} down`} disabled={i === form.fallbacks.length - 1} onClick={() => move(i, 1)}>
                  ↓
                </button>
                <button type="button" class="btn btn-icon" aria-label={`Remove fallback ${i + 1}`} onClick={() => remove(i)}>
                  ×
                </button>
              </li>
            ))}
          </ol>
          <button type="button" class="btn btn-small" disabled={form.fallbacks.length >= 10} onClick={() => setForm({ ...form, fallbacks: [...form.fallbacks, ''] })}>
            Add fallback
          </button>
          {errors.fallbacks ? (
            <p class="field-error" role="alert">
              {errors.fallbacks}
            </p>
          ) : null}
        </fieldset>
        <Field label="Fall back on statuses" name="on_status" error={errors.on_status} hint="Comma-separated, e.g. 429, 500, 503. Empty: the default (429, 5xx, network errors, timeouts)">
          <input {...inputProps('on_status', errors.on_status)} value={form.onStatus} onInput={(e) => edit('onStatus', e.currentTarget.value)} placeholder="429, 500, 502, 503" />
        </Field>
        <div class="form-actions">
          <button type="button" class="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : existing ? 'Save changes' : 'Create policy'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

type Dialog = { kind: 'create' } | { kind: 'edit' | 'delete'; policy: FallbackPolicy };

export function PoliciesPage() {
  const api = useApi();
  const policies = useResource(() => api.listPolicies(), []);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [toast, showToast] = useToast();
  const close = () => setDialog(null);

  return (
    <div class="page" data-page="policies">
      <PageHeader
        title="Fallback policies"
        subtitle="Where a request goes when its model fails with a retryable error. A request's own fallbacks come first, then its key's policy, then the policy matching the model."
      >
        <button type="button" class="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
          Create policy
        </button>
      </PageHeader>
      <Async
        resource={policies}
        errorTitle="Could not load the fallback policies"
        isEmpty={(d) => d.data.length === 0}
        empty={
          <Empty title="No fallback policies yet">
            <p>Without one, a failing model fails the request unless the request names its own fallbacks.</p>
            <button type="button" class="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
              Create policy
            </button>
          </Empty>
        }
      >
        {(d) => (
          <div class="card card-flush">
            <table class="table responsive" data-testid="policies-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Chain</th>
                  <th>On statuses</th>
                  <th>Updated</th>
                  <th>
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.data.map((p) => (
                  <tr key={p.id} data-policy-name={p.name}>
                    <td data-label="Name" class="strong">
                      {p.name}
                    </td>
                    <td data-label="Chain">
                      <Chain model={p.model} fallbacks={p.fallbacks} />
                    </td>
                    <td data-label="On statuses">{p.on_status?.length ? p.on_status.join(', ') : <span class="muted">default</span>}</td>
                    <td data-label="Updated">{formatDateTime(p.updated_at)}</td>
                    <td class="cell-actions">
                      <div class="actions">
                        <button type="button" class="btn btn-small" onClick={() => setDialog({ kind: 'edit', policy: p })}>
                          Edit
                        </button>
                        <button type="button" class="btn btn-small btn-danger-outline" onClick={() => setDialog({ kind: 'delete', policy: p })}>
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
      {dialog?.kind === 'create' || dialog?.kind === 'edit' ? (
        <PolicyFormModal
          existing={dialog.kind === 'edit' ? dialog.policy : undefined}
          onClose={close}
          onSaved={(p) => {
            close();
            policies.reload();
            showToast(`Saved ${p.name}`);
          }}
        />
      ) : null}
      {dialog?.kind === 'delete' ? (
        <Confirm
          title={`Delete ${dialog.policy.name}?`}
          confirmLabel="Delete policy"
          danger
          onClose={close}
          onConfirm={async () => {
            await api.deletePolicy(dialog.policy.id);
            policies.reload();
            showToast(`${dialog.policy.name} deleted`);
          }}
        >
          Requests for <code>{dialog.policy.model}</code> will no longer fall back through this chain. Keys that use this policy are detached from it.
        </Confirm>
      ) : null}
      {toast}
    </div>
  );
}
