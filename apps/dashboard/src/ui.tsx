import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api-client.js';
import type { Spend, VirtualKey } from './api-types.js';
import { BUDGET_PERIOD_LABELS, formatUsd } from './format.js';

export type Resource<T> =
  | { status: 'loading'; data?: T; error?: undefined; reload: () => void }
  | { status: 'ok'; data: T; error?: undefined; reload: () => void }
  | { status: 'error'; data?: T; error: Error; reload: () => void };

/** Loads on mount and whenever deps change; a late reply to an outdated request is dropped. */
export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [state, setState] = useState<{ status: 'loading' | 'ok' | 'error'; data?: T; error?: Error }>({ status: 'loading' });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let current = true;
    setState((s) => ({ status: 'loading', data: s.data }));
    load().then(
      (data) => current && setState({ status: 'ok', data }),
      (error: unknown) => current && setState((s) => ({ status: 'error', data: s.data, error: error instanceof Error ? error : new Error(String(error)) })),
    );
    return () => {
      current = false;
    };
    // `load` is a fresh closure on every render; the caller's deps say when it means something new.
  }, [...deps, tick]);
  return { ...state, reload } as Resource<T>;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorState({ error, onRetry, title = 'Could not load this' }: { error: Error; onRetry?: () => void; title?: string }) {
  const status = error instanceof ApiError ? error.status : null;
  return (
    <div class="state state-error" role="alert">
      <strong>{title}</strong>
      <p>
        {error.message}
        {status ? <span class="muted"> (HTTP {status})</span> : null}
      </p>
      {onRetry ? (
        <button type="button" class="btn" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state-empty">
      <strong>{title}</strong>
      {children ? <div>{children}</div> : null}
    </div>
  );
}

/** Renders loading / error / content for a resource; `isEmpty` switches to the empty state. */
export function Async<T>({
  resource,
  children,
  isEmpty,
  empty,
  errorTitle,
}: {
  resource: Resource<T>;
  children: (data: T) => ComponentChildren;
  isEmpty?: (data: T) => boolean;
  empty?: ComponentChildren;
  errorTitle?: string;
}) {
  if (resource.status === 'error') return <ErrorState error={resource.error} onRetry={resource.reload} title={errorTitle} />;
  if (resource.data === undefined) return <Loading />;
  if (isEmpty?.(resource.data)) return <>{empty}</>;
  return <>{children(resource.data)}</>;
}

export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const dialog = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const first = dialog.current?.querySelector<HTMLElement>('input, select, textarea, button:not(.modal-close)');
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      previous?.focus?.();
    };
  }, []);
  return (
    <div class="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div class={`modal${wide ? ' modal-wide' : ''}`} role="dialog" aria-modal="true" aria-label={title} ref={dialog}>
        <header class="modal-header">
          <h2>{title}</h2>
          <button type="button" class="modal-close" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <div class="modal-body">{children}</div>
      </div>
    </div>
  );
}

/** A yes/no question for destructive actions; the action's error shows inside the dialog. */
export function Confirm({
  title,
  children,
  confirmLabel,
  danger,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  /** Resolve to 'replaced' when the action opened another dialog in this one's place. */
  onConfirm: () => Promise<void | 'replaced'>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      if ((await onConfirm()) !== 'replaced') onClose();
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      setBusy(false);
    }
  };
  return (
    <Modal title={title} onClose={onClose}>
      <div class="confirm-text">{children}</div>
      {error ? <p class="form-error" role="alert">{error.message}</p> : null}
      <div class="form-actions">
        <button type="button" class="btn" onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button type="button" class={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} onClick={run} disabled={busy}>
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

export function Field({
  label,
  name,
  error,
  hint,
  children,
}: {
  label: string;
  name: string;
  error?: string;
  hint?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <div class={`field${error ? ' field-invalid' : ''}`} data-field={name}>
      <label for={`f-${name}`}>{label}</label>
      {children}
      {error ? (
        <p class="field-error" id={`f-${name}-error`} role="alert">
          {error}
        </p>
      ) : hint ? (
        <p class="field-hint">{hint}</p>
      ) : null}
    </div>
  );
}

/** Props that tie an input to its Field's label and error. */
export function inputProps(name: string, error?: string): { id: string; name: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string } {
  return { id: `f-${name}`, name, 'aria-invalid': error ? true : undefined, 'aria-describedby': error ? `f-${name}-error` : undefined };
}

export type KeyStatus = 'active' | 'inactive' | 'expired' | 'revoked';

export function keyStatus(key: VirtualKey, now: number = Date.now()): KeyStatus {
  if (key.revoked_at) return 'revoked';
  if (key.expires_at && new Date(key.expires_at).getTime() <= now) return 'expired';
  return key.is_active ? 'active' : 'inactive';
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** Spend against budget: a bar that turns amber at 80% and red when spent. */
export function SpendBar({ spend, budget }: { spend?: Spend | null; budget: VirtualKey['budget'] }) {
  const spent = spend?.spent_usd ?? null;
  if (!budget) {
    return (
      <div class="spend">
        <span class="spend-text">{spent === null ? '—' : formatUsd(spent)}</span>
        <span class="muted small">no budget</span>
      </div>
    );
  }
  const ratio = spent === null ? 0 : Math.min(1, spent / budget.max_usd);
  const level = ratio >= 1 ? 'over' : ratio >= 0.8 ? 'warn' : 'ok';
  return (
    <div class="spend" title={spend?.period_end ? `Period resets ${new Date(spend.period_end).toLocaleString()}` : undefined}>
      <span class="spend-text">
        {spent === null ? '—' : formatUsd(spent)} <span class="muted">/ {formatUsd(budget.max_usd)} {BUDGET_PERIOD_LABELS[budget.period] ?? budget.period}</span>
      </span>
      <div class={`bar bar-${level}`} role="meter" aria-valuemin={0} aria-valuemax={budget.max_usd} aria-valuenow={spent ?? 0} aria-label="Spend against budget">
        <div class="bar-fill" style={{ width: `${Math.round(ratio * 1000) / 10}%` }} />
      </div>
    </div>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
    setTimeout(() => setCopied('idle'), 2000);
  };
  return (
    <button type="button" class="btn btn-primary" onClick={copy}>
      {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Select and copy manually' : label}
    </button>
  );
}

/** A short-lived message at the bottom of the screen. */
export function useToast(): [ComponentChildren, (message: string) => void] {
  const [message, setMessage] = useState<string | null>(null);
  const timer = useRef<number | undefined>(undefined);
  const show = useCallback((text: string) => {
    setMessage(text);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setMessage(null), 3500);
  }, []);
  const node = message ? (
    <div class="toast" role="status">
      {message}
    </div>
  ) : null;
  return [node, show];
}

export function PageHeader({ title, children, subtitle }: { title: string; subtitle?: ComponentChildren; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle ? <p class="muted">{subtitle}</p> : null}
      </div>
      {children ? <div class="page-actions">{children}</div> : null}
    </header>
  );
}
