import { ApiError, createApiClient, queryString } from './api-client';

function fakeFetch(status: number, body: unknown, calls: { url: string; init?: RequestInit }[] = []): typeof fetch {
  return (async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

describe('dashboard API client', () => {
  it('sends the token as a bearer header and drops empty query values', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const api = createApiClient({ token: () => 'tok', onUnauthorized: () => undefined, fetch: fakeFetch(200, { data: [], next_cursor: null }, calls) });
    await api.listLogs({ provider: 'openai', model: '', status: undefined, limit: 50 });
    expect(calls[0].url).toBe('/api/logs?provider=openai&limit=50');
    expect((calls[0].init?.headers as Record<string, string>).authorization).toBe('Bearer tok');
  });

  it('turns the error body into an ApiError with the field it names', async () => {
    const api = createApiClient({
      token: () => 'tok',
      onUnauthorized: () => undefined,
      fetch: fakeFetch(400, { error: { message: 'budget.max_usd must be positive', type: 'invalid_request_error', param: 'budget.max_usd', code: 'invalid_request' } }),
    });
    const err = await api.createKey({ name: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, message: 'budget.max_usd must be positive', param: 'budget.max_usd', code: 'invalid_request' });
  });

  it('signs out on 401', async () => {
    const onUnauthorized = jest.fn();
    const api = createApiClient({ token: () => 'old', onUnauthorized, fetch: fakeFetch(401, { error: { message: 'Invalid admin token', code: 'unauthorized' } }) });
    await expect(api.listKeys()).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('reports a network failure as status 0', async () => {
    const api = createApiClient({ token: () => null, onUnauthorized: () => undefined, fetch: (async () => Promise.reject(new TypeError('fetch failed'))) as typeof fetch });
    await expect(api.usage({ group_by: 'day' })).rejects.toMatchObject({ status: 0, message: expect.stringContaining('Cannot reach') });
  });

  it('encodes query strings', () => {
    expect(queryString({ a: 'x y', b: 0, c: null, d: '' })).toBe('?a=x+y&b=0');
    expect(queryString({})).toBe('');
  });

  it('addresses a model price by provider and model, slashes in the model kept, and reads 404 as no price', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const api = createApiClient({ token: () => 'tok', onUnauthorized: () => undefined, fetch: fakeFetch(404, { error: { message: 'No price', type: 'invalid_request_error', param: null, code: 'not_found' } }, calls) });
    expect(await api.resolvePrice('openrouter', 'acme/model 1')).toBeNull();
    expect(calls[0].url).toBe('/api/pricing/openrouter/acme/model%201');
    await expect(api.deletePrice('local', 'm')).rejects.toMatchObject({ status: 404 });
    expect(calls[1]).toMatchObject({ url: '/api/pricing/local/m', init: { method: 'DELETE' } });
  });
});

