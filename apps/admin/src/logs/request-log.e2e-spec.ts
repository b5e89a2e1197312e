import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type AdminReply as Reply, useAdminApp } from '../../../../test/support/admin-app';

// The embedded test database is shared by every test file: names and keys unique to this run.
const TAG = randomBytes(4).toString('hex');
const OPENAI = `openai-${TAG}`;
const ANTHROPIC = `anthropic-${TAG}`;
const KEY_A = randomUUID();
const KEY_B = randomUUID();

interface Row {
  id: string;
  request_id: string;
  created_at: string;
  virtual_key_id: string | null;
  provider: string;
  model: string;
  request_type?: 'responses' | 'chat_completions' | 'messages' | 'embeddings';
  model_requested?: string;
  fallback_index?: number;
  status?: 'success' | 'error';
  http_status?: number;
  error_code?: string | null;
  error_message?: string | null;
  stream?: boolean;
  input_tokens?: number;
  cached_tokens?: number;
  output_tokens?: number;
  reasoning_tokens?: number;
  total_tokens?: number;
  cost_usd?: string | null;
  latency_ms?: number;
  ttft_ms?: number | null;
}

const COLUMNS = [
  'id', 'request_id', 'created_at', 'virtual_key_id', 'request_type', 'provider', 'model', 'model_requested', 'fallback_index', 'status',
  'http_status', 'error_code', 'error_message', 'stream', 'input_tokens', 'cached_tokens', 'output_tokens',
  'reasoning_tokens', 'total_tokens', 'cost_usd', 'latency_ms', 'ttft_ms',
] as const;

function complete(row: Row): Required<Row> {
  return {
    request_type: 'responses',
    model_requested: `${row.provider}/${row.model}`,
    fallback_index: 0,
    status: 'success',
    http_status: row.status === 'error' ? 503 : 200,
    error_code: row.status === 'error' ? 'http_503' : null,
    error_message: row.status === 'error' ? 'upstream unavailable' : null,
    stream: false,
    input_tokens: 100,
    cached_tokens: 20,
    output_tokens: 50,
    reasoning_tokens: 0,
    total_tokens: 150,
    cost_usd: '0.0012500000',
    latency_ms: 400,
    ttft_ms: null,
    ...row,
  };
}

const T = {
  first: '2021-06-01T10:00:00.000001Z',
  fallback: '2021-06-01T10:05:00Z',
  failed: '2021-06-01T11:10:00Z',
  ties: '2021-06-01T12:00:00.5Z',
  microA: '2021-06-01T12:30:00.000001Z',
  microB: '2021-06-01T12:30:00.000002Z',
  otherKey: '2021-06-02T01:00:00Z',
};

const req = (name: string): string => `req-${TAG}-${name}`;

const FIRST: Row = { id: randomUUID(), request_id: req('first'), created_at: T.first, virtual_key_id: KEY_A, provider: OPENAI, model: 'gpt-4o-mini' };
// One request, two attempts sharing created_at, as the gateway writes them: the primary failed, the fallback answered.
const PRIMARY: Row = {
  id: randomUUID(), request_id: req('fallback'), created_at: T.fallback, virtual_key_id: KEY_A, provider: OPENAI, model: 'gpt-4o',
  status: 'error', input_tokens: 0, cached_tokens: 0, output_tokens: 0, total_tokens: 0, cost_usd: null,
};
const FALLBACK: Row = {
  id: randomUUID(), request_id: req('fallback'), created_at: T.fallback, virtual_key_id: KEY_A, provider: ANTHROPIC, model: 'claude-sonnet-4-5',
  model_requested: `${OPENAI}/gpt-4o`, fallback_index: 1, cost_usd: '0.0020000000', stream: true, ttft_ms: 120, request_type: 'chat_completions',
};
const FAILED: Row = {
  id: randomUUID(), request_id: req('failed'), created_at: T.failed, virtual_key_id: KEY_A, provider: OPENAI, model: 'gpt-4o',
  status: 'error', http_status: 429, error_code: 'rate_limit_exceeded', cost_usd: null, input_tokens: 0, output_tokens: 0, total_tokens: 0,
};
// Seven requests logged in the same microsecond: pages must break the tie by id.
const TIES: Row[] = Array.from({ length: 7 }, (_, i) => ({
  id: randomUUID(), request_id: req(`tie-${i}`), created_at: T.ties, virtual_key_id: KEY_A, provider: OPENAI, model: 'gpt-4o-mini',
}));
// A microsecond apart: equal as JavaScript Dates.
const MICRO_A: Row = { id: randomUUID(), request_id: req('micro-a'), created_at: T.microA, virtual_key_id: KEY_A, provider: ANTHROPIC, model: 'claude-haiku-4-5' };
const MICRO_B: Row = {
  id: randomUUID(), request_id: req('micro-b'), created_at: T.microB, virtual_key_id: KEY_A, provider: ANTHROPIC, model: 'claude-haiku-4-5', request_type: 'embeddings',
};
const OTHER_KEY: Row = { id: randomUUID(), request_id: req('other'), created_at: T.otherKey, virtual_key_id: KEY_B, provider: ANTHROPIC, model: 'claude-sonnet-4-5', cost_usd: null };

const KEY_A_ROWS = [FIRST, PRIMARY, FALLBACK, FAILED, ...TIES, MICRO_A, MICRO_B];

/** (created_at DESC, id DESC), with created_at compared to the microsecond. */
function newestFirst(rows: Row[]): Row[] {
  const micros = (iso: string): bigint => {
    const m = /^(.*?)(?:\.(\d+))?Z$/.exec(iso) as RegExpExecArray;
    return BigInt(Date.parse(`${m[1]}Z`)) * 1000n + BigInt((m[2] ?? '').padEnd(6, '0').slice(0, 6));
  };
  return [...rows].sort((a, b) => {
    const d = micros(b.created_at) - micros(a.created_at);
    if (d !== 0n) return d > 0n ? 1 : -1;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}

async function insertRequestLogs(pg: Client, rows: Row[]): Promise<void> {
  for (const row of rows.map(complete)) {
    const values = COLUMNS.map((c) => row[c]);
    await pg.query(`INSERT INTO request_logs (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, values);
  }
}

describe('admin request logs (e2e)', () => {
  const app = useAdminApp({ seed: (pg) => insertRequestLogs(pg, [...KEY_A_ROWS, OTHER_KEY]) });
  const call = (path: string, token?: string | null): Promise<Reply> => app.get(path, token);

  const ids = (res: Reply): string[] => (res.body.data as { id: string }[]).map((r) => r.id);
  const q = (params: Record<string, string | number>): string => new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();

  /** Follows next_cursor to the end; fails on a loop. */
  async function allPages(params: Record<string, string | number>): Promise<{ ids: string[]; pages: number }> {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call(`/api/logs?${q(cursor ? { ...params, cursor } : params)}`);
      expect(res.status).toBe(200);
      seen.push(...ids(res));
      cursor = res.body.next_cursor;
      pages += 1;
      expect(pages).toBeLessThan(50);
    } while (cursor);
    return { ids: seen, pages };
  }

  it('401 without the admin token', async () => {
    expect((await call('/api/logs', null)).status).toBe(401);
    expect((await call(`/api/logs/${FIRST.id}`, 'wrong')).status).toBe(401);
  });

  describe('GET /api/logs', () => {
    it('lists a key\'s attempts newest first, with exactly the contract fields', async () => {
      const res = await call(`/api/logs?virtual_key_id=${KEY_A}`);
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual(newestFirst(KEY_A_ROWS).map((r) => r.id));
      expect(res.body.next_cursor).toBeNull();

      const fallback = res.body.data.find((r: { id: string }) => r.id === FALLBACK.id);
      expect(fallback).toEqual({
        id: FALLBACK.id,
        request_id: FALLBACK.request_id,
        client_request_id: null,
        created_at: '2021-06-01T10:05:00.000Z',
        virtual_key_id: KEY_A,
        request_type: 'chat_completions',
        provider: ANTHROPIC,
        model: 'claude-sonnet-4-5',
        model_requested: `${OPENAI}/gpt-4o`,
        fallback_index: 1,
        status: 'success',
        http_status: 200,
        error_code: null,
        error_message: null,
        stream: true,
        input_tokens: 100,
        cached_tokens: 20,
        output_tokens: 50,
        reasoning_tokens: 0,
        total_tokens: 150,
        cost_usd: 0.002,
        latency_ms: 400,
        ttft_ms: 120,
      });
      const failed = res.body.data.find((r: { id: string }) => r.id === FAILED.id);
      expect(failed).toMatchObject({ status: 'error', http_status: 429, error_code: 'rate_limit_exceeded', cost_usd: null });
    });

    it('filters by provider, model (bare or provider/model), status and virtual key', async () => {
      const byProvider = await call(`/api/logs?provider=${ANTHROPIC}`);
      expect(ids(byProvider)).toEqual(newestFirst([FALLBACK, MICRO_A, MICRO_B, OTHER_KEY]).map((r) => r.id));

      const both = await call(`/api/logs?provider=${ANTHROPIC}&virtual_key_id=${KEY_B}`);
      expect(ids(both)).toEqual([OTHER_KEY.id]);

      const qualified = await call(`/api/logs?model=${OPENAI}/gpt-4o`);
      expect(ids(qualified)).toEqual([FAILED.id, PRIMARY.id]);

      const bare = await call(`/api/logs?model=claude-sonnet-4-5&virtual_key_id=${KEY_A}`);
      expect(ids(bare)).toEqual([FALLBACK.id]);

      const contradicting = await call(`/api/logs?provider=${ANTHROPIC}&model=${OPENAI}/gpt-4o`);
      expect(contradicting.body).toEqual({ data: [], next_cursor: null });

      const errors = await call(`/api/logs?virtual_key_id=${KEY_A}&status=error`);
      expect(ids(errors)).toEqual([FAILED.id, PRIMARY.id]);

      const successes = await call(`/api/logs?virtual_key_id=${KEY_A}&status=success&provider=${OPENAI}`);
      expect(ids(successes)).toEqual(newestFirst([FIRST, ...TIES]).map((r) => r.id));
    });

    it('filters by request_type, and refuses an unknown one naming it', async () => {
      const chat = await call(`/api/logs?virtual_key_id=${KEY_A}&request_type=chat_completions`);
      expect(ids(chat)).toEqual([FALLBACK.id]);
      expect(chat.body.data[0].request_type).toBe('chat_completions');
      const embeddings = await call(`/api/logs?provider=${ANTHROPIC}&request_type=embeddings`);
      expect(ids(embeddings)).toEqual([MICRO_B.id]);
      const responses = await call(`/api/logs?virtual_key_id=${KEY_A}&request_type=responses&provider=${ANTHROPIC}`);
      expect(ids(responses)).toEqual([MICRO_A.id]);
      const bad = await call('/api/logs?request_type=completions');
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('request_type');
    });

    it('from is inclusive and to exclusive, to the microsecond', async () => {
      const window = await call(`/api/logs?virtual_key_id=${KEY_A}&from=${encodeURIComponent(T.fallback)}&to=${encodeURIComponent(T.ties)}`);
      expect(ids(window)).toEqual(newestFirst([PRIMARY, FALLBACK, FAILED]).map((r) => r.id));

      const micro = await call(`/api/logs?virtual_key_id=${KEY_A}&from=${encodeURIComponent(T.microA)}&to=${encodeURIComponent(T.microB)}`);
      expect(ids(micro)).toEqual([MICRO_A.id]);

      const offset = await call(`/api/logs?virtual_key_id=${KEY_A}&from=${encodeURIComponent('2021-06-01T13:00:00+02:00')}&to=${encodeURIComponent('2021-06-01T13:00:00+01:00')}`);
      expect(ids(offset)).toEqual([FAILED.id]);
    });

    it('pages through identical created_at values without skipping or repeating a row, ties broken by id', async () => {
      const expected = newestFirst(KEY_A_ROWS).map((r) => r.id);
      for (const limit of [1, 2, 3, 5]) {
        const walked = await allPages({ virtual_key_id: KEY_A, limit });
        expect({ limit, ids: walked.ids }).toEqual({ limit, ids: expected });
        expect(walked.pages).toBe(Math.ceil(expected.length / limit));
      }
      const tiesOnly = await allPages({ virtual_key_id: KEY_A, from: T.ties, to: '2021-06-01T12:00:01Z', limit: 2 });
      expect(tiesOnly.ids).toEqual([...TIES].map((r) => r.id).sort().reverse());
    });

    it('keeps the microsecond in the cursor: rows a microsecond apart are both reached', async () => {
      const first = await call(`/api/logs?virtual_key_id=${KEY_A}&limit=1`);
      expect(ids(first)).toEqual([MICRO_B.id]);
      // Both rows show the same millisecond; only the cursor tells them apart.
      expect(first.body.data[0].created_at).toBe('2021-06-01T12:30:00.000Z');
      const second = await call(`/api/logs?virtual_key_id=${KEY_A}&limit=1&cursor=${first.body.next_cursor}`);
      expect(ids(second)).toEqual([MICRO_A.id]);
      expect(Buffer.from(first.body.next_cursor, 'base64url').toString()).toBe(`2021-06-01T12:30:00.000002Z|${MICRO_B.id}`);
    });

    it('a cursor keeps working with filters', async () => {
      const walked = await allPages({ provider: OPENAI, status: 'success', limit: 3 });
      expect(walked.ids).toEqual(newestFirst([FIRST, ...TIES]).map((r) => r.id));
    });

    it.each<[string, string, string]>([
      ['a cursor that is not base64url', 'cursor=%25%25%25', 'cursor'],
      ['a cursor of the wrong shape', `cursor=${Buffer.from('hello').toString('base64url')}`, 'cursor'],
      ['a cursor with an impossible date', `cursor=${Buffer.from(`2021-02-30T00:00:00.000000Z|${KEY_A}`).toString('base64url')}`, 'cursor'],
      ['an empty cursor', 'cursor=', 'cursor'],
      ['limit 0', 'limit=0', 'limit'],
      ['limit above 500', 'limit=501', 'limit'],
      ['limit not a number', 'limit=ten', 'limit'],
      ['a fractional limit', 'limit=1.5', 'limit'],
      ['an unknown status', 'status=failed', 'status'],
      ['from without a time zone', 'from=2021-06-01T10:00:00', 'from'],
      ['to not a date', 'to=yesterday', 'to'],
      ['an impossible date', 'from=2021-02-30T00:00:00Z', 'from'],
      ['from after to', 'from=2021-06-02T00:00:00Z&to=2021-06-01T00:00:00Z', 'from'],
      ['a virtual_key_id that is not a uuid', 'virtual_key_id=key-1', 'virtual_key_id'],
      ['a provider name with capitals', 'provider=OpenAI', 'provider'],
      ['an empty model', 'model=', 'model'],
      ['a repeated parameter', 'provider=a&provider=b', 'provider'],
      ['an unknown parameter', 'offset=10', 'offset'],
    ])('400 for %s, naming the field', async (_label, query, param) => {
      const res = await call(`/api/logs?${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { message: expect.stringContaining(param), type: 'invalid_request_error', param, code: 'invalid_request' } });
    });

    it('accepts limit 500', async () => {
      expect((await call(`/api/logs?virtual_key_id=${KEY_A}&limit=500`)).status).toBe(200);
    });
  });

  describe('GET /api/logs/:id', () => {
    it('returns the row with every attempt of its request, by fallback index', async () => {
      for (const id of [FALLBACK.id, PRIMARY.id, PRIMARY.id.toUpperCase()]) {
        const res = await call(`/api/logs/${id}`);
        expect(res.status).toBe(200);
        expect(res.body.id).toBe(id.toLowerCase());
        expect(res.body.attempts.map((a: { id: string }) => a.id)).toEqual([PRIMARY.id, FALLBACK.id]);
        expect(res.body.attempts[0]).toMatchObject({ fallback_index: 0, status: 'error', provider: OPENAI, error_message: 'upstream unavailable' });
        expect(res.body.attempts[1]).toMatchObject({ fallback_index: 1, status: 'success', provider: ANTHROPIC });
      }
      const single = await call(`/api/logs/${FIRST.id}`);
      expect(single.body).toMatchObject({ id: FIRST.id, cost_usd: 0.00125, attempts: [expect.objectContaining({ id: FIRST.id })] });
      // Logged in the same microsecond as six other requests: only its own attempt.
      const tied = await call(`/api/logs/${TIES[3].id}`);
      expect(tied.body.attempts.map((a: { id: string }) => a.id)).toEqual([TIES[3].id]);
    });

    it('404 not_found for an unknown id, 400 naming id for a malformed one', async () => {
      const missing = await call(`/api/logs/${randomUUID()}`);
      expect(missing.status).toBe(404);
      expect(missing.body.error).toMatchObject({ code: 'not_found', param: null });
      const bad = await call('/api/logs/not-a-uuid');
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'invalid_request', param: 'id' });
    });
  });

  it('documents every new admin route in the OpenAPI document, behind the admin token', async () => {
    const { body: doc } = await call('/docs-json', null);
    const routes: [string, string[]][] = [
      ['/api/logs', ['200', '400', '401']],
      ['/api/logs/{id}', ['200', '400', '401', '404']],
      ['/api/usage', ['200', '400', '401']],
      ['/api/providers', ['200', '401']],
      ['/api/pricing', ['200', '401']],
    ];
    for (const [path, statuses] of routes) {
      const op = doc.paths[path]?.get;
      expect({ path, found: Boolean(op) }).toEqual({ path, found: true });
      expect(op.security).toEqual([{ 'admin-token': [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(statuses));
    }
    const listParams = (doc.paths['/api/logs'].get.parameters as { name: string }[]).map((p) => p.name);
    expect(listParams).toEqual(expect.arrayContaining(['virtual_key_id', 'provider', 'model', 'status', 'from', 'to', 'limit', 'cursor']));
    expect(Object.keys(doc.components.schemas.RequestLogDto.properties)).toEqual(expect.arrayContaining(['request_id', 'cost_usd', 'ttft_ms']));
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty([ref.replace(/^"\$ref":"#\/components\/schemas\//, '').replace(/"$/, '')]);
  });
});
