import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { CLIENT_REQUEST_ID_PATTERN } from '@app/common';
import { REQUEST_TYPES, type RequestLogStatus, type RequestType } from '@app/database';
import { IsDateTimeWithZone, QueryInt } from './date-time-query';

export const REQUEST_LOG_STATUSES: readonly RequestLogStatus[] = ['success', 'error'];
export const DEFAULT_LOG_PAGE_SIZE = 50;
export const MAX_LOG_PAGE_SIZE = 500;

/** Provider names follow the configuration's rule. */
export const PROVIDER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

const UUID = { message: '$property must be a UUID' } as const;
const PROVIDER = { message: '$property must be a provider name (lowercase letters, digits, "-" or "_")' } as const;
const MODEL = { message: '$property must be a non-empty string of at most 300 characters: "provider/model" or a bare model name' } as const;
const LIMIT = { message: `$property must be an integer from 1 to ${MAX_LOG_PAGE_SIZE}` } as const;
const CURSOR = { message: '$property must be the next_cursor of a previous page' } as const;
const CLIENT_REQUEST_ID = { message: '$property must be 1 to 128 printable ASCII characters without spaces' } as const;

/** Keyset paging, shared by the lists of logs. */
export class LogPageQueryDto {
  @ApiPropertyOptional({ description: 'Page size.', type: 'integer', minimum: 1, maximum: MAX_LOG_PAGE_SIZE, default: DEFAULT_LOG_PAGE_SIZE })
  @IsOptional()
  @QueryInt()
  @IsInt(LIMIT)
  @Min(1, LIMIT)
  @Max(MAX_LOG_PAGE_SIZE, LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next_cursor` of the previous page; keep the other parameters unchanged.' })
  @IsOptional()
  @IsString(CURSOR)
  @MaxLength(200, CURSOR)
  cursor?: string;
}

export class ListRequestLogsQueryDto extends LogPageQueryDto {
  @ApiPropertyOptional({ description: 'Only this virtual key.', format: 'uuid' })
  @IsOptional()
  @IsUUID('all', UUID)
  virtual_key_id?: string;

  @ApiPropertyOptional({ description: "Only the request the client tagged with this `x-request-id` (kept as `client_request_id`).", example: 'my-trace-42' })
  @IsOptional()
  @IsString(CLIENT_REQUEST_ID)
  @Matches(CLIENT_REQUEST_ID_PATTERN, CLIENT_REQUEST_ID)
  client_request_id?: string;

  @ApiPropertyOptional({ description: 'Only attempts sent to this provider.', example: 'openai' })
  @IsOptional()
  @IsString(PROVIDER)
  @MaxLength(100, PROVIDER)
  @Matches(PROVIDER_NAME_PATTERN, PROVIDER)
  provider?: string;

  @ApiPropertyOptional({
    description: 'Only attempts at this model: `provider/model` (split at the first `/`, as the gateway does) or a bare model name for any provider.',
    example: 'openai/gpt-4o-mini',
  })
  @IsOptional()
  @IsString(MODEL)
  @IsNotEmpty(MODEL)
  @MaxLength(300, MODEL)
  model?: string;

  @ApiPropertyOptional({ description: 'Only requests that came through this endpoint (`/v1/responses`, `/v1/chat/completions`, `/v1/messages`, `/v1/embeddings`).', enum: REQUEST_TYPES })
  @IsOptional()
  @IsIn(REQUEST_TYPES, { message: `$property must be one of ${REQUEST_TYPES.join(', ')}` })
  request_type?: RequestType;

  @ApiPropertyOptional({ description: 'Only successful or only failed attempts.', enum: REQUEST_LOG_STATUSES })
  @IsOptional()
  @IsIn(REQUEST_LOG_STATUSES, { message: `$property must be one of ${REQUEST_LOG_STATUSES.join(', ')}` })
  status?: RequestLogStatus;

  @ApiPropertyOptional({ description: 'Earliest created_at, inclusive.', format: 'date-time', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsDateTimeWithZone()
  from?: string;

  @ApiPropertyOptional({ description: 'Latest created_at, exclusive.', format: 'date-time', example: '2026-01-02T00:00:00Z' })
  @IsOptional()
  @IsDateTimeWithZone()
  to?: string;

}

export class RequestLogIdParamDto {
  @ApiProperty({ description: 'Request log row id (one upstream attempt).', format: 'uuid' })
  @IsUUID('all', UUID)
  id: string;
}

/** One upstream attempt. A request that fell back has one row per attempt, sharing request_id. */
export class RequestLogDto {
  @ApiProperty({ format: 'uuid', description: 'Id of this attempt.' })
  id: string;

  @ApiProperty({ description: "The gateway's own request id (its `x-request-id` answer header); shared by all attempts of one request." })
  request_id: string;

  @ApiProperty({ type: String, nullable: true, description: "The client's own `x-request-id`, if it sent one (echoed as `x-client-request-id`).", example: null })
  client_request_id: string | null;

  @ApiProperty({ format: 'date-time', description: 'When the gateway received the request (all its attempts share it).' })
  created_at: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  virtual_key_id: string | null;

  @ApiProperty({ enum: REQUEST_TYPES, description: 'The endpoint the request came through.', example: 'responses' })
  request_type: RequestType;

  @ApiProperty({ example: 'openai' })
  provider: string;

  @ApiProperty({ description: 'The model part of the `provider/model` that this attempt called.', example: 'gpt-4o-mini' })
  model: string;

  @ApiProperty({ description: 'The `provider/model` the client asked for.', example: 'openai/gpt-4o-mini' })
  model_requested: string;

  @ApiProperty({ type: 'integer', description: '0 for the primary, 1 for the first fallback, ...' })
  fallback_index: number;

  @ApiProperty({ enum: REQUEST_LOG_STATUSES })
  status: RequestLogStatus;

  @ApiProperty({ type: 'integer', description: 'Upstream HTTP status (499: client went away; 502/504: network failure, timeout).' })
  http_status: number;

  @ApiProperty({ type: String, nullable: true, example: null })
  error_code: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  error_message: string | null;

  @ApiProperty()
  stream: boolean;

  @ApiProperty({ type: 'integer' })
  input_tokens: number;

  @ApiProperty({ type: 'integer', description: 'Part of input_tokens read from a prompt cache.' })
  cached_tokens: number;

  @ApiProperty({ type: 'integer' })
  output_tokens: number;

  @ApiProperty({ type: 'integer', description: 'Part of output_tokens spent on reasoning.' })
  reasoning_tokens: number;

  @ApiProperty({ type: 'integer' })
  total_tokens: number;

  @ApiProperty({ type: Number, nullable: true, description: 'USD; null when the model has no price (never a silent 0).', example: 0.000123 })
  cost_usd: number | null;

  @ApiProperty({ type: 'integer' })
  latency_ms: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Time to first token, streaming only.' })
  ttft_ms: number | null;
}

export class RequestLogDetailDto extends RequestLogDto {
  @ApiProperty({ type: () => [RequestLogDto], description: 'Every attempt of the same request, by fallback_index (this row included).' })
  attempts: RequestLogDto[];
}

export class RequestLogPageDto {
  @ApiProperty({ type: () => [RequestLogDto], description: 'Newest first.' })
  data: RequestLogDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  next_cursor: string | null;
}

export class ListDeadLettersQueryDto extends LogPageQueryDto {}

/** A request-log row the database refused even after repair, kept as it was. */
export class DeadLetterDto {
  @ApiProperty({ format: 'uuid', description: 'The id the row would have had.' })
  id: string;

  @ApiProperty({ format: 'date-time', description: 'When the gateway set it aside.' })
  created_at: string;

  @ApiProperty({ description: "The database's reason for refusing it." })
  error: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The row as the gateway produced it (camelCase fields).' })
  row: Record<string, unknown>;
}

export class DeadLetterPageDto {
  @ApiProperty({ type: () => [DeadLetterDto], description: 'Newest first.' })
  data: DeadLetterDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  next_cursor: string | null;
}
