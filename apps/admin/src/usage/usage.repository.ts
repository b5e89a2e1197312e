import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { RequestType } from '@app/database';
import type { UsageGroup } from './usage.dto';

export interface UsageFilter {
  /** Inclusive; ISO 8601 text, passed to Postgres as it is. */
  from: string;
  /** Exclusive. */
  to: string;
  virtualKeyId?: string;
  requestType?: RequestType;
}

/** Sums as Postgres returns them: bigint and numeric arrive as text. */
export interface UsageAggregate {
  /** Null for the totals row, and for the virtual_key bucket of requests without a key. */
  bucket: string | null;
  isTotal: boolean;
  requests: string;
  errors: string;
  inputTokens: string | null;
  outputTokens: string | null;
  costUsd: string | null;
}

export const USAGE_REPOSITORY = Symbol('USAGE_REPOSITORY');

export interface UsageRepository {
  /** One row per bucket plus one totals row (isTotal), in no particular order. */
  aggregate(group: UsageGroup, filter: UsageFilter): Promise<UsageAggregate[]>;
}

const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * Per group: the grouping key over rows, and its rendering over the (few) result rows. Time keys
 * group as timestamps and are formatted only at the end: formatting every row first made the
 * query ~40 % slower (measured on 200k rows). From a closed list: never from the request.
 */
const BUCKET_SQL: Record<UsageGroup, { key: string; label: string }> = {
  hour: { key: `date_trunc('hour', created_at AT TIME ZONE 'UTC')`, label: `to_char(bucket_key, ${ISO_UTC})` },
  day: { key: `date_trunc('day', created_at AT TIME ZONE 'UTC')`, label: `to_char(bucket_key, ${ISO_UTC})` },
  model: { key: `provider || '/' || model`, label: 'bucket_key' },
  provider: { key: 'provider', label: 'bucket_key' },
  virtual_key: { key: 'virtual_key_id::text', label: 'bucket_key' },
  request_type: { key: 'request_type', label: 'bucket_key' },
};

@Injectable()
export class TypeOrmUsageRepository implements UsageRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Attempts are first folded into (bucket, request) and (request) pairs in one scan (grouping
   * sets), so a request counts once however many fallback attempts it made, and it is an error
   * when none of its attempts succeeded; the second level counts and sums those pairs.
   */
  async aggregate(group: UsageGroup, filter: UsageFilter): Promise<UsageAggregate[]> {
    const { key, label } = BUCKET_SQL[group];
    const params: unknown[] = [filter.from, filter.to];
    let keyCondition = '';
    if (filter.virtualKeyId !== undefined) {
      params.push(filter.virtualKeyId);
      keyCondition = `AND virtual_key_id = $${params.length}`;
    }
    if (filter.requestType !== undefined) {
      params.push(filter.requestType);
      keyCondition += ` AND request_type = $${params.length}`;
    }
    return this.db.query(
      `WITH per_request AS (
         SELECT GROUPING(${key}) = 1 AS is_total, ${key} AS bucket_key,
                bool_or(status = 'success') AS succeeded,
                sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost_usd) AS cost_usd
           FROM request_logs
          WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz ${keyCondition}
          GROUP BY GROUPING SETS ((${key}, request_id), (request_id))
       )
       SELECT ${label} AS bucket, is_total AS "isTotal", count(*) AS requests, count(*) FILTER (WHERE NOT succeeded) AS errors,
              sum(input_tokens) AS "inputTokens", sum(output_tokens) AS "outputTokens", sum(cost_usd) AS "costUsd"
         FROM per_request
        GROUP BY is_total, bucket_key`,
      params,
    ) as Promise<UsageAggregate[]>;
  }
}
