import { GatewayError } from '@app/common';
import type { UsageGroup } from './usage.dto';
import type { UsageAggregate, UsageFilter, UsageRepository } from './usage.repository';
import { orderBuckets, resolveUsageRange, UsageService } from './usage.service';

const NOW = new Date('2026-03-10T12:34:56.789Z');

function aggregate(bucket: string | null, requests: number, overrides: Partial<UsageAggregate> = {}): UsageAggregate {
  return { bucket, isTotal: false, requests: String(requests), errors: '0', inputTokens: '10', outputTokens: '5', costUsd: '0.5000000000', ...overrides };
}

describe('resolveUsageRange', () => {
  it('defaults to the 24 hours before now', () => {
    expect(resolveUsageRange({}, NOW)).toEqual({ from: '2026-03-09T12:34:56.789Z', to: '2026-03-10T12:34:56.789Z' });
  });

  it('keeps given ends as written; to alone means the 24 hours before it', () => {
    expect(resolveUsageRange({ from: '2026-03-01T00:00:00.000001Z' }, NOW)).toEqual({ from: '2026-03-01T00:00:00.000001Z', to: NOW.toISOString() });
    expect(resolveUsageRange({ to: '2026-03-02T00:00:00+01:00' }, NOW)).toEqual({ from: '2026-02-28T23:00:00.000Z', to: '2026-03-02T00:00:00+01:00' });
  });

  it('a from in the future alone is an empty range, not a backwards one', () => {
    expect(resolveUsageRange({ from: '2027-01-01T00:00:00Z' }, NOW)).toEqual({ from: '2027-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' });
  });

  it('400 naming from when from is after to', () => {
    let err: unknown;
    try {
      resolveUsageRange({ from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }, NOW);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, param: 'from' });
  });
});

describe('orderBuckets', () => {
  const dto = (bucket: string | null, requests: number) => ({ bucket, requests, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: null });

  it('time buckets oldest first', () => {
    const sorted = orderBuckets('hour', [dto('2026-03-01T02:00:00.000Z', 1), dto('2026-03-01T01:00:00.000Z', 9)]);
    expect(sorted.map((b) => b.bucket)).toEqual(['2026-03-01T01:00:00.000Z', '2026-03-01T02:00:00.000Z']);
  });

  it('other buckets by requests, then name, keyless last', () => {
    const sorted = orderBuckets('virtual_key', [dto(null, 5), dto('b', 5), dto('a', 5), dto('c', 7)]);
    expect(sorted.map((b) => b.bucket)).toEqual(['c', 'a', 'b', null]);
  });
});

describe('UsageService', () => {
  it('maps text sums to numbers, separates the totals row and keeps a null cost null', async () => {
    const repo: jest.Mocked<UsageRepository> = {
      aggregate: jest.fn(async (_group: UsageGroup, _filter: UsageFilter): Promise<UsageAggregate[]> => [
        aggregate('openai', 2, { errors: '1', costUsd: null }),
        aggregate(null, 3, { isTotal: true, errors: '1', inputTokens: '30', outputTokens: '15', costUsd: '1.2500000000' }),
        aggregate('anthropic', 1),
      ]),
    };
    const usage = await new UsageService(repo).get({ group_by: 'provider', virtual_key_id: 'k' }, NOW);
    expect(repo.aggregate).toHaveBeenCalledWith('provider', { from: '2026-03-09T12:34:56.789Z', to: NOW.toISOString(), virtualKeyId: 'k' });
    expect(usage.data).toEqual([
      { bucket: 'openai', requests: 2, errors: 1, input_tokens: 10, output_tokens: 5, cost_usd: null },
      { bucket: 'anthropic', requests: 1, errors: 0, input_tokens: 10, output_tokens: 5, cost_usd: 0.5 },
    ]);
    expect(usage.totals).toEqual({ requests: 3, errors: 1, input_tokens: 30, output_tokens: 15, cost_usd: 1.25 });
  });

  it('zero totals when nothing happened in the range', async () => {
    const repo: jest.Mocked<UsageRepository> = { aggregate: jest.fn(async (_group: UsageGroup, _filter: UsageFilter): Promise<UsageAggregate[]> => []) };
    const usage = await new UsageService(repo).get({ group_by: 'day' }, NOW);
    expect(usage).toMatchObject({ data: [], totals: { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: null } });
  });
});
