// Client-side checks mirroring the admin API's rules, so forms fail before sending; the server
// stays the authority and its field errors are shown the same way.
import type { BudgetPeriod, FallbackPolicyInput, ModelPriceInput, VirtualKeyInput } from './api-types';

export type FieldErrors = Record<string, string>;

export const ALLOWED_MODEL_PATTERN = /^[a-z0-9][a-z0-9_-]*\/(?:\*|[^\s*]+)$/;
export const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9_-]*\/[^\s*]+$/;
const MAX_INT4 = 2_147_483_647;

/** Splits a textarea or comma-separated field into trimmed, non-empty items. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export interface KeyForm {
  name: string;
  allowedModels: string;
  budgetUsd: string;
  budgetPeriod: BudgetPeriod;
  rpm: string;
  tpm: string;
  fallbackPolicyId: string;
  /** `<input type="datetime-local">` value converted to ISO by the caller; '' for never. */
  expiresAt: string;
  isActive: boolean;
}

function positiveInt(text: string, field: string, errors: FieldErrors): number | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_INT4) {
    errors[field] = `Must be a whole number from 1 to ${MAX_INT4.toLocaleString('en-US')}`;
    return undefined;
  }
  return n;
}

/**
 * The body to send, or the errors per field. `mode: 'edit'` sends nulls to clear what the admin
 * emptied; create leaves them out.
 */
export function validateKeyForm(form: KeyForm, mode: 'create' | 'edit', now: number = Date.now()): { body?: VirtualKeyInput; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const body: VirtualKeyInput = {};
  const name = form.name.trim();
  if (!name) errors.name = 'A name is required';
  else if (name.length > 200) errors.name = 'At most 200 characters';
  else body.name = name;

  const models = splitList(form.allowedModels);
  const bad = models.filter((m) => !ALLOWED_MODEL_PATTERN.test(m));
  if (bad.length > 0) errors.allowed_models = `Use "provider/model" or "provider/*" (not: ${bad.join(', ')})`;
  else if (models.length > 0 || mode === 'edit') body.allowed_models = models;

  if (form.budgetUsd.trim() !== '') {
    const max = Number(form.budgetUsd);
    if (!Number.isFinite(max) || max < 0.000001 || max > 1_000_000_000) errors['budget.max_usd'] = 'A positive amount in USD, up to 1,000,000,000';
    else body.budget = { max_usd: max, period: form.budgetPeriod };
  } else if (mode === 'edit') body.budget = null;

  const rpm = positiveInt(form.rpm, 'rate_limit.requests_per_minute', errors);
  const tpm = positiveInt(form.tpm, 'rate_limit.tokens_per_minute', errors);
  if (rpm !== undefined || tpm !== undefined) {
    body.rate_limit = {};
    if (rpm !== undefined) body.rate_limit.requests_per_minute = rpm;
    if (tpm !== undefined) body.rate_limit.tokens_per_minute = tpm;
  } else if (mode === 'edit' && !errors['rate_limit.requests_per_minute'] && !errors['rate_limit.tokens_per_minute']) body.rate_limit = null;

  if (form.fallbackPolicyId) body.fallback_policy_id = form.fallbackPolicyId;
  else if (mode === 'edit') body.fallback_policy_id = null;

  if (form.expiresAt) {
    const t = new Date(form.expiresAt).getTime();
    if (Number.isNaN(t)) errors.expires_at = 'Not a valid date and time';
    else if (mode === 'create' && t <= now) errors.expires_at = 'Must be in the future';
    else body.expires_at = new Date(t).toISOString();
  } else if (mode === 'edit') body.expires_at = null;

  body.is_active = form.isActive;
  return Object.keys(errors).length > 0 ? { errors } : { body, errors };
}

export interface PolicyForm {
  name: string;
  model: string;
  fallbacks: string[];
  onStatus: string;
}

export function validatePolicyForm(form: PolicyForm): { body?: FallbackPolicyInput; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const name = form.name.trim();
  if (!name) errors.name = 'A name is required';
  else if (name.length > 200) errors.name = 'At most 200 characters';
  const model = form.model.trim();
  if (!ALLOWED_MODEL_PATTERN.test(model)) errors.model = 'Use "provider/model" or "provider/*"';
  const fallbacks = form.fallbacks.map((f) => f.trim()).filter((f) => f.length > 0);
  if (fallbacks.length === 0) errors.fallbacks = 'Add at least one fallback model';
  else {
    const bad = fallbacks.filter((f) => !MODEL_ID_PATTERN.test(f));
    if (bad.length > 0) errors.fallbacks = `Each fallback is a "provider/model" without wildcards (not: ${bad.join(', ')})`;
    else if (new Set(fallbacks).size !== fallbacks.length) errors.fallbacks = 'A model appears twice in the chain';
  }
  let onStatus: number[] | null = null;
  const statuses = splitList(form.onStatus);
  if (statuses.length > 0) {
    const parsed = statuses.map(Number);
    if (parsed.some((s) => !Number.isInteger(s) || s < 400 || s > 599)) errors.on_status = 'HTTP statuses from 400 to 599, separated by commas';
    else onStatus = parsed;
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { body: { name, model, fallbacks, on_status: onStatus }, errors };
}

export interface PriceForm {
  /** `provider/model`. */
  model: string;
  input: string;
  output: string;
  cachedInput: string;
  cacheWrite: string;
  reasoning: string;
  requestCost: string;
}

// The admin API's bounds (apps/admin/src/pricing/pricing.dto.ts).
const MAX_PRICE_PER_MTOK = 100_000;
const MAX_REQUEST_COST = 1_000;
const PRICE_DECIMAL = /^\d+(?:\.\d{1,12})?$/;

export const PRICE_FIELDS = ['model', 'input_per_mtok', 'output_per_mtok', 'cached_input_per_mtok', 'cache_write_per_mtok', 'reasoning_per_mtok', 'request_cost'];

/** The price to PUT for `provider/model`, amounts kept as the decimal text typed; or the errors per field. */
export function validatePriceForm(form: PriceForm): { body?: { provider: string; model: string; price: ModelPriceInput }; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const id = form.model.trim();
  if (!MODEL_ID_PATTERN.test(id) || id.length > 321) errors.model = 'Use "provider/model"';
  const amount = (text: string, field: string, max: number, required: boolean): string | undefined => {
    const value = text.trim();
    if (value === '') {
      if (required) errors[field] = 'Required';
      return undefined;
    }
    if (!PRICE_DECIMAL.test(value) || Number(value) > max) {
      errors[field] = `A decimal amount from 0 to ${max.toLocaleString('en-US')}, at most 12 decimal places`;
      return undefined;
    }
    return value;
  };
  const price: ModelPriceInput = {
    input_per_mtok: amount(form.input, 'input_per_mtok', MAX_PRICE_PER_MTOK, true) ?? '',
    output_per_mtok: amount(form.output, 'output_per_mtok', MAX_PRICE_PER_MTOK, true) ?? '',
  };
  const optional: [keyof ModelPriceInput, string, number][] = [
    ['cached_input_per_mtok', form.cachedInput, MAX_PRICE_PER_MTOK],
    ['cache_write_per_mtok', form.cacheWrite, MAX_PRICE_PER_MTOK],
    ['reasoning_per_mtok', form.reasoning, MAX_PRICE_PER_MTOK],
    ['request_cost', form.requestCost, MAX_REQUEST_COST],
  ];
  for (const [field, text, max] of optional) {
    const value = amount(text, field, max, false);
    if (value !== undefined) price[field] = value;
  }
  if (Object.keys(errors).length > 0) return { errors };
  const slash = id.indexOf('/');
  return { body: { provider: id.slice(0, slash), model: id.slice(slash + 1), price }, errors };
}

/** Maps a server `param` (`budget.max_usd`, `allowed_models[2]`) to the form field that shows it. */
export function fieldForParam(param: string | null, fields: readonly string[]): string | null {
  if (!param) return null;
  const base = param.replace(/\[\d+\]$/, '');
  if (fields.includes(base)) return base;
  const top = base.split('.')[0];
  return fields.find((f) => f === top || f.startsWith(`${top}.`)) ?? null;
}
