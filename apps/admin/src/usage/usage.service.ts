import { Inject, Injectable } from '@nestjs/common';
import { assertRangeOrder } from '../logs/date-time-query';
import type { UsageBucketDto, UsageDto, UsageGroup, UsageQueryDto, UsageTotalsDto } from './usage.dto';
import { type UsageAggregate, USAGE_REPOSITORY, type UsageFilter, type UsageRepository } from './usage.repository';

const DEFAULT_RANGE_MS = 24 * 60 * 60 * 1000;
const TIME_GROUPS: ReadonlySet<UsageGroup> = new Set(['hour', 'day']);

/**
 * Missing ends default to "the 24 hours before now" (`to` alone: the 24 hours before it); a given
 * end stays as written, to the microsecond. A `from` in the future alone makes an empty range.
 */
export function resolveUsageRange(query: Pick<UsageQueryDto, 'from' | 'to'>, now: Date): { from: string; to: string } {
  assertRangeOrder(query.from, query.to);
  const futureFrom = query.from !== undefined && Date.parse(query.from) > now.getTime();
  const to = query.to ?? (futureFrom ? (query.from as string) : now.toISOString());
  const from = query.from ?? new Date(Date.parse(to) - DEFAULT_RANGE_MS).toISOString();
  return { from, to };
}

function toTotals(row: UsageAggregate | undefined): UsageTotalsDto {
  return {
    requests: Number(row?.requests ?? 0),
    errors: Number(row?.errors ?? 0),
    input_tokens: Number(row?.inputTokens ?? 0),
    output_tokens: Number(row?.outputTokens ?? 0),
    cost_usd: row?.costUsd == null ? null : Number(row.costUsd),
  };
}

/** hour/day: oldest first. Others: most requests first, then by name, requests without a key last. */
export function orderBuckets(group: UsageGroup, buckets: UsageBucketDto[]): UsageBucketDto[] {
  const byName = (a: UsageBucketDto, b: UsageBucketDto): number => {
    if (a.bucket === b.bucket) return 0;
    if (a.bucket === null) return 1;
    if (b.bucket === null) return -1;
    return a.bucket < b.bucket ? -1 : 1;
  };
  if (TIME_GROUPS.has(group)) return [...buckets].sort(byName);
  return [...buckets].sort((a, b) => b.requests - a.requests || byName(a, b));
}

@Injectable()
export class UsageService {
  constructor(@Inject(USAGE_REPOSITORY) private readonly usage: UsageRepository) {}

  async get(query: UsageQueryDto, now = new Date()): Promise<UsageDto> {
    const range = resolveUsageRange(query, now);
    const filter: UsageFilter = { ...range, virtualKeyId: query.virtual_key_id, requestType: query.request_type };
    const rows = await this.usage.aggregate(query.group_by, filter);
    const buckets = rows.filter((r) => !r.isTotal).map((r): UsageBucketDto => ({ bucket: r.bucket, ...toTotals(r) }));
    return {
      data: orderBuckets(query.group_by, buckets),
      totals: toTotals(rows.find((r) => r.isTotal)),
      from: range.from,
      to: range.to,
    };
  }
}
