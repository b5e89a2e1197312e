import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { REQUEST_TYPES, type RequestType } from '@app/database';
import { IsDateTimeWithZone } from '../logs/date-time-query';

export const USAGE_GROUPS = ['hour', 'day', 'model', 'provider', 'virtual_key', 'request_type'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export class UsageQueryDto {
  @ApiProperty({ description: 'What a bucket is: a UTC hour or day, a `provider/model`, a provider, a virtual key or a request type (the endpoint: responses, chat_completions, messages, embeddings).', enum: USAGE_GROUPS })
  @IsIn(USAGE_GROUPS, { message: `$property must be one of ${USAGE_GROUPS.join(', ')}` })
  group_by: UsageGroup;

  @ApiPropertyOptional({ description: 'Start, inclusive. Default: 24 hours before `to`.', format: 'date-time', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsDateTimeWithZone()
  from?: string;

  @ApiPropertyOptional({ description: 'End, exclusive. Default: now.', format: 'date-time', example: '2026-01-02T00:00:00Z' })
  @IsOptional()
  @IsDateTimeWithZone()
  to?: string;

  @ApiPropertyOptional({ description: 'Only this virtual key.', format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: '$property must be a UUID' })
  virtual_key_id?: string;

  @ApiPropertyOptional({ description: 'Only requests that came through this endpoint.', enum: REQUEST_TYPES })
  @IsOptional()
  @IsIn(REQUEST_TYPES, { message: `$property must be one of ${REQUEST_TYPES.join(', ')}` })
  request_type?: RequestType;
}

export class UsageTotalsDto {
  @ApiProperty({ type: 'integer', description: 'Distinct requests: a request whose primary failed and whose fallback answered counts once.' })
  requests: number;

  @ApiProperty({ type: 'integer', description: 'Requests none of whose attempts succeeded.' })
  errors: number;

  @ApiProperty({ type: 'integer', description: 'Summed over every attempt.' })
  input_tokens: number;

  @ApiProperty({ type: 'integer', description: 'Summed over every attempt.' })
  output_tokens: number;

  @ApiProperty({ type: Number, nullable: true, description: 'USD summed over every priced attempt; null when none was priced.', example: 1.2345 })
  cost_usd: number | null;
}

export class UsageBucketDto extends UsageTotalsDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'hour/day: ISO start of the UTC hour or day; model: `provider/model` as called; provider: its name; virtual_key: the key id (null: requests without a key); request_type: the endpoint. ' +
      'For model and provider, `requests` and `errors` count the attempts of a request made in that bucket, so a request that fell back across providers appears in both.',
    example: '2026-01-01T13:00:00.000Z',
  })
  bucket: string | null;
}

export class UsageDto {
  @ApiProperty({ type: () => [UsageBucketDto], description: 'hour/day: oldest first; others: most requests first. Buckets without traffic are absent.' })
  data: UsageBucketDto[];

  @ApiProperty({ type: () => UsageTotalsDto, description: 'The whole range, each request counted once.' })
  totals: UsageTotalsDto;

  @ApiProperty({ format: 'date-time', description: 'The range used (inclusive).' })
  from: string;

  @ApiProperty({ format: 'date-time', description: 'The range used (exclusive).' })
  to: string;
}
