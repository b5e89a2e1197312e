// Platform-neutral (no DOM): the browser passes its fetch and token; Jest passes fakes.
import type { ApiErrorBody, CreatedVirtualKey, FallbackPolicy, FallbackPolicyInput, LogFilters, ModelPrice, ModelPriceInput, PricingList, Provider, Page, RequestLog, RequestLogDetail, UnpricedModel, Usage, UsageQuery, VirtualKey, VirtualKeyInput } from './api-types';

/** An error reply of the admin API, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Dotted path of the field at fault (`budget.max_usd`), when the server names one. */
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClientOptions {
  token: () => string | null;
  /** Called on any 401: the token is wrong or was changed on the server. */
  onUnauthorized: () => void;
  fetch?: typeof fetch;
  baseUrl?: string;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function errorFrom(res: Response): Promise<ApiError> {
  let body: ApiErrorBody | null = null;
  try {
    body = (await res.json()) as ApiErrorBody;
  } catch {
    // Not JSON (a proxy's error page): the status line is all there is.
  }
  const error = body?.error;
  const fallback = res.status === 404 ? 'Not found (this server may not offer this feature yet)' : `HTTP ${res.status} ${res.statusText}`.trim();
  return new ApiError(res.status, error?.message || fallback, error?.param ?? null, error?.code ?? null);
}

/** A model name may hold slashes (openrouter style): each segment is encoded, the slashes kept. */
export function pricePath(provider: string, model: string): string {
  return `/api/pricing/${encodeURIComponent(provider)}/${model.split('/').map(encodeURIComponent).join('/')}`;
}

export function createApiClient(options: ApiClientOptions) {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const base = options.baseUrl ?? '';

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new ApiError(0, `Cannot reach the admin server (${err instanceof Error ? err.message : String(err)})`);
    }
    if (res.status === 401) {
      options.onUnauthorized();
      throw await errorFrom(res);
    }
    if (!res.ok) throw await errorFrom(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  return {
    request,
    listKeys: (includeRevoked = false) => request<{ data: VirtualKey[] }>('GET', `/api/virtual-keys${queryString({ include_revoked: includeRevoked || undefined })}`),
    getKey: (id: string) => request<VirtualKey>('GET', `/api/virtual-keys/${encodeURIComponent(id)}`),
    createKey: (input: VirtualKeyInput) => request<CreatedVirtualKey>('POST', '/api/virtual-keys', input),
    updateKey: (id: string, input: VirtualKeyInput) => request<VirtualKey>('PATCH', `/api/virtual-keys/${encodeURIComponent(id)}`, input),
    revokeKey: (id: string) => request<VirtualKey>('DELETE', `/api/virtual-keys/${encodeURIComponent(id)}`),
    rotateKey: (id: string) => request<CreatedVirtualKey>('POST', `/api/virtual-keys/${encodeURIComponent(id)}/rotate`),
    listPolicies: () => request<{ data: FallbackPolicy[] }>('GET', '/api/fallback-policies'),
    createPolicy: (input: FallbackPolicyInput) => request<FallbackPolicy>('POST', '/api/fallback-policies', input),
    updatePolicy: (id: string, input: Partial<FallbackPolicyInput>) =>
      request<FallbackPolicy>('PATCH', `/api/fallback-policies/${encodeURIComponent(id)}`, input),
    deletePolicy: (id: string) => request<unknown>('DELETE', `/api/fallback-policies/${encodeURIComponent(id)}`),
    listLogs: (filters: LogFilters) => request<Page<RequestLog>>('GET', `/api/logs${queryString({ ...filters })}`),
    getLog: (id: string) => request<RequestLogDetail>('GET', `/api/logs/${encodeURIComponent(id)}`),
    usage: (query: UsageQuery) => request<Usage>('GET', `/api/usage${queryString({ ...query })}`),
    providers: () => request<{ data: Provider[] }>('GET', '/api/providers'),
    pricing: () => request<PricingList>('GET', '/api/pricing'),
    /** The price a request to provider/model pays now; null when it has none. */
    resolvePrice: (provider: string, model: string) =>
      request<ModelPrice>('GET', pricePath(provider, model)).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }),
    setPrice: (provider: string, model: string, input: ModelPriceInput) => request<ModelPrice>('PUT', pricePath(provider, model), input),
    deletePrice: (provider: string, model: string) => request<void>('DELETE', pricePath(provider, model)),
    unpriced: () => request<{ data: UnpricedModel[] }>('GET', '/api/pricing/unpriced'),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
