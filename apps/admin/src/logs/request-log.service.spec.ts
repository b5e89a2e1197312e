import { decodeLogCursor, encodeLogCursor } from './log-cursor';
import type { LogPosition } from './log-cursor';
import type { RequestLogFilter, RequestLogRepository, StoredDeadLetter, StoredRequestLog } from './request-log.repository';
import { RequestLogService, toLogFilter, toRequestLogDto } from './request-log.service';
import { errorOf } from '../../../../test/support/error-of';
import { requestLogRow } from '../../../../test/support/request-log-rows';

const KEY = '0b7f3c1e-8a51-4c38-9d0e-5f9a2e7b6c41';

function row(n: number, overrides: Partial<StoredRequestLog> = {}): StoredRequestLog {
  return {
    ...requestLogRow({
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      requestId: `req-${n}`,
      createdAt: new Date('2026-03-01T12:00:00.123Z'),
      virtualKeyId: KEY,
      inputTokens: 10,
      cachedTokens: 2,
      outputTokens: 5,
      totalTokens: 15,
      costUsd: '0.0000123400',
      latencyMs: 321,
    }),
    createdAtExact: '2026-03-01T12:00:00.123456Z',
    ...overrides,
  };
}

function mockRepository(): jest.Mocked<RequestLogRepository> {
  return {
    list: jest.fn(async (_filter: RequestLogFilter, _after: LogPosition | null, _limit: number): Promise<StoredRequestLog[]> => []),
    findAttempts: jest.fn(async (_id: string): Promise<StoredRequestLog[]> => []),
    listDeadLetters: jest.fn(async (_after: LogPosition | null, _limit: number): Promise<StoredDeadLetter[]> => []),
  };
}

describe('RequestLogService', () => {
  let repo: jest.Mocked<RequestLogRepository>;
  let service: RequestLogService;

  beforeEach(() => {
    repo = mockRepository();
    service = new RequestLogService(repo);
  });

  describe('list', () => {
    it('asks for one row more than the page and offers a cursor at the last row shown, to the microsecond', async () => {
      repo.list.mockResolvedValue([row(3), row(2), row(1)]);
      const page = await service.list({ limit: 2 });
      expect(repo.list).toHaveBeenCalledWith(expect.any(Object), null, 3);
      expect(page.data.map((r) => r.id)).toEqual([row(3).id, row(2).id]);
      expect(decodeLogCursor(page.next_cursor as string)).toEqual({ createdAt: '2026-03-01T12:00:00.123456Z', id: row(2).id });
    });

    it('no cursor on the last page; 50 rows by default', async () => {
      repo.list.mockResolvedValue([row(1)]);
      const page = await service.list({});
      expect(repo.list).toHaveBeenCalledWith(expect.any(Object), null, 51);
      expect(page.next_cursor).toBeNull();
    });

    it('passes a decoded cursor on', async () => {
      const position = { createdAt: '2026-03-01T12:00:00.000001Z', id: KEY };
      await service.list({ cursor: encodeLogCursor(position) });
      expect(repo.list).toHaveBeenCalledWith(expect.any(Object), position, 51);
    });

    it('400 naming cursor for a cursor it did not issue, before touching the database', async () => {
      const err = await errorOf(service.list({ cursor: 'bm9wZQ' }));
      expect(err).toMatchObject({ status: 400, code: 'invalid_request', param: 'cursor' });
      expect(repo.list).not.toHaveBeenCalled();
    });

    it('400 naming from when the range is backwards', async () => {
      const err = await errorOf(service.list({ from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }));
      expect(err).toMatchObject({ status: 400, param: 'from' });
    });

    it('answers contradicting provider and model filters with an empty page, without a query', async () => {
      expect(await service.list({ provider: 'anthropic', model: 'openai/gpt-4o' })).toEqual({ data: [], next_cursor: null });
      expect(repo.list).not.toHaveBeenCalled();
    });
  });

  describe('get', () => {
    it('returns the row with every attempt of its request', async () => {
      const failed = row(1, { requestId: 'req-x', status: 'error', httpStatus: 503, costUsd: null });
      const answered = row(2, { requestId: 'req-x', fallbackIndex: 1, provider: 'anthropic' });
      repo.findAttempts.mockResolvedValue([failed, answered]);
      const detail = await service.get(answered.id.toUpperCase());
      expect(detail.id).toBe(answered.id);
      expect(detail.attempts.map((a) => [a.fallback_index, a.status])).toEqual([
        [0, 'error'],
        [1, 'success'],
      ]);
    });

    it('404 not_found for an unknown id', async () => {
      expect(await errorOf(service.get(KEY))).toMatchObject({ status: 404, code: 'not_found' });
    });
  });
});

describe('toLogFilter', () => {
  it('splits provider/model at the first slash, as the gateway does', () => {
    expect(toLogFilter({ model: 'openai/gpt-4o' })).toMatchObject({ provider: 'openai', model: 'gpt-4o' });
    expect(toLogFilter({ model: 'openrouter/meta-llama/llama-3.1-70b' })).toMatchObject({ provider: 'openrouter', model: 'meta-llama/llama-3.1-70b' });
  });

  it('keeps a bare model for any provider, and an agreeing provider', () => {
    expect(toLogFilter({ model: 'gpt-4o' })).toMatchObject({ provider: undefined, model: 'gpt-4o' });
    expect(toLogFilter({ provider: 'azure', model: 'azure/gpt-4o' })).toMatchObject({ provider: 'azure', model: 'gpt-4o' });
  });

  it('null when provider and the model prefix disagree', () => {
    expect(toLogFilter({ provider: 'azure', model: 'openai/gpt-4o' })).toBeNull();
  });
});

describe('toRequestLogDto', () => {
  it('shows the contract fields, cost as a number and null when unpriced', () => {
    const dto = toRequestLogDto(row(1));
    expect(Object.keys(dto).sort()).toEqual(
      [
        'id', 'request_id', 'client_request_id', 'created_at', 'virtual_key_id', 'request_type', 'provider', 'model', 'model_requested', 'fallback_index', 'status',
        'http_status', 'error_code', 'error_message', 'stream', 'input_tokens', 'cached_tokens', 'output_tokens',
        'reasoning_tokens', 'total_tokens', 'cost_usd', 'latency_ms', 'ttft_ms',
      ].sort(),
    );
    expect(dto.cost_usd).toBe(0.00001234);
    expect(dto.created_at).toBe('2026-03-01T12:00:00.123Z');
    expect(toRequestLogDto(row(1, { costUsd: null })).cost_usd).toBeNull();
  });
});
