import { fieldForParam, type KeyForm, splitList, validateKeyForm, validatePolicyForm, validatePriceForm } from './validation';

const form = (fields: Partial<KeyForm> = {}): KeyForm => ({
  name: 'search-prod',
  allowedModels: '',
  budgetUsd: '',
  budgetPeriod: '1M',
  rpm: '',
  tpm: '',
  fallbackPolicyId: '',
  expiresAt: '',
  isActive: true,
  ...fields,
});

describe('dashboard form validation', () => {
  it('splits lists on commas and new lines', () => {
    expect(splitList(' openai/gpt-4o-mini,\nanthropic/* ,, ')).toEqual(['openai/gpt-4o-mini', 'anthropic/*']);
  });

  it('builds a create body with only the fields given', () => {
    expect(validateKeyForm(form({ budgetUsd: '25', rpm: '60', allowedModels: 'openai/*' }), 'create')).toEqual({
      body: { name: 'search-prod', allowed_models: ['openai/*'], budget: { max_usd: 25, period: '1M' }, rate_limit: { requests_per_minute: 60 }, is_active: true },
      errors: {},
    });
  });

  it('clears emptied settings with null on edit', () => {
    expect(validateKeyForm(form(), 'edit').body).toEqual({
      name: 'search-prod',
      allowed_models: [],
      budget: null,
      rate_limit: null,
      fallback_policy_id: null,
      expires_at: null,
      is_active: true,
    });
  });

  it('names every bad field with the API field path, and sends nothing', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const result = validateKeyForm(
      form({ name: ' ', allowedModels: 'gpt-4o, openai/*', budgetUsd: '0', rpm: '1.5', tpm: '-1', expiresAt: '2029-01-01T00:00:00Z' }),
      'create',
      now,
    );
    expect(result.body).toBeUndefined();
    expect(Object.keys(result.errors).sort()).toEqual(['allowed_models', 'budget.max_usd', 'expires_at', 'name', 'rate_limit.requests_per_minute', 'rate_limit.tokens_per_minute']);
    expect(result.errors.allowed_models).toContain('gpt-4o');
  });

  it('validates a fallback chain', () => {
    expect(validatePolicyForm({ name: 'p', model: 'openai/*', fallbacks: ['backup/m', ' '], onStatus: '429, 503' })).toEqual({
      body: { name: 'p', model: 'openai/*', fallbacks: ['backup/m'], on_status: [429, 503] },
      errors: {},
    });
    const bad = validatePolicyForm({ name: '', model: 'gpt-4o', fallbacks: ['backup/*', 'x/y'], onStatus: '200' });
    expect(Object.keys(bad.errors).sort()).toEqual(['fallbacks', 'model', 'name', 'on_status']);
    expect(validatePolicyForm({ name: 'p', model: 'a/b', fallbacks: ['c/d', 'c/d'], onStatus: '' }).errors.fallbacks).toMatch(/twice/);
  });

  it('maps server params onto form fields', () => {
    const fields = ['name', 'allowed_models', 'budget.max_usd', 'rate_limit.requests_per_minute'];
    expect(fieldForParam('allowed_models[2]', fields)).toBe('allowed_models');
    expect(fieldForParam('budget.max_usd', fields)).toBe('budget.max_usd');
    expect(fieldForParam('budget', fields)).toBe('budget.max_usd');
    expect(fieldForParam('metadata', fields)).toBeNull();
    expect(fieldForParam(null, fields)).toBeNull();
  });

  describe('validatePriceForm', () => {
    const form = { model: 'local/house', input: '0.25', output: '1.25', cachedInput: '', cacheWrite: '', reasoning: '', requestCost: '' };

    it('keeps the amounts as typed and splits provider from a model that holds slashes', () => {
      expect(validatePriceForm({ ...form, cachedInput: '0.025', requestCost: '0.001' })).toEqual({
        body: { provider: 'local', model: 'house', price: { input_per_mtok: '0.25', output_per_mtok: '1.25', cached_input_per_mtok: '0.025', request_cost: '0.001' } },
        errors: {},
      });
      expect(validatePriceForm({ ...form, model: 'openrouter/acme/m-1' }).body).toMatchObject({ provider: 'openrouter', model: 'acme/m-1' });
    });

    it('names each bad field', () => {
      expect(validatePriceForm({ ...form, model: 'no-slash', input: '', output: '-1', reasoning: '0.0000000000001', requestCost: '5000' }).errors).toEqual({
        model: 'Use "provider/model"',
        input_per_mtok: 'Required',
        output_per_mtok: expect.stringContaining('A decimal amount'),
        reasoning_per_mtok: expect.stringContaining('at most 12 decimal places'),
        request_cost: expect.stringContaining('1,000'),
      });
    });
  });
});
