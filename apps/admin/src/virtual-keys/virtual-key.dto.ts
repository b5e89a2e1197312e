import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateBy, ValidateIf, ValidateNested, type ValidationArguments } from 'class-validator';
import type { BudgetPeriod } from '@app/database';

export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['1h', '1d', '1w', '1M', 'total'];

/** `provider/model` or `provider/*`; provider names follow the config's rule, model ids may hold `/`, `.` and `:`. */
export const ALLOWED_MODEL_PATTERN = /^[a-z0-9][a-z0-9_-]*\/(?:\*|[^\s*]+)$/;

/** The same without the wildcard: one model that can actually be called (a fallback candidate). */
export const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9_-]*\/[^\s*]+$/;

// The columns' limits (numeric(20,10), integer): values past them would fail in Postgres as a 500
// or, below 1e-10, be rounded to a budget of 0.
const MIN_BUDGET_USD = 0.000001;
const MAX_BUDGET_USD = 1_000_000_000;
const MAX_INT4 = 2_147_483_647;

// A time zone is required: without one the instant would depend on the server's zone.
const ISO_DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

// Labels, not documents: the gateway keeps every key's metadata in memory.
const MAX_METADATA_JSON = 16_384;
const METADATA = { message: `$property must be an object of at most ${MAX_METADATA_JSON} characters as JSON` } as const;

/** Serialised size at most `max` characters (the nesting is bounded before validation runs). */
const MaxJsonLength = (max: number): PropertyDecorator =>
  ValidateBy({ name: 'maxJsonLength', validator: { validate: (v: unknown) => JSON.stringify(v ?? null).length <= max } }, METADATA);

/** Optional, but null is refused: for fields whose column cannot be cleared. */
const OptionalNotNull = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);

/*
 * All constraints of a field share one message that states the whole rule. class-validator runs
 * every failing constraint (in bottom-up decorator order), and the exception factory drops
 * repeated messages, so a client sees one accurate sentence per field whatever the order.
 */
const NAME = { message: '$property must be a non-empty string of at most 200 characters' } as const;
const BUDGET_USD = { message: `$property must be a positive number, from ${MIN_BUDGET_USD} to ${MAX_BUDGET_USD}` } as const;
const PER_MINUTE = { message: `$property must be a positive integer, at most ${MAX_INT4}` } as const;
const CONCURRENT = { message: `$property must be a positive integer, at most ${MAX_INT4}` } as const;
const OBJECT = { message: '$property must be an object' } as const;
const DATE_TIME = { message: '$property must be an ISO 8601 date-time with a time zone, e.g. 2030-01-01T00:00:00Z' } as const;

function allowedModelsMessage(args: ValidationArguments): string {
  const value: unknown = args.value;
  const expected = `${args.property} must be an array of at most 1000 "provider/model" or "provider/*" strings`;
  if (!Array.isArray(value) || value.length > 1000) return expected;
  const bad = value.filter((v) => typeof v !== 'string' || !ALLOWED_MODEL_PATTERN.test(v));
  return `${expected} (invalid: ${bad.map((v) => JSON.stringify(v)).join(', ')})`;
}
const ALLOWED_MODELS = { message: allowedModelsMessage } as const;

export class BudgetDto {
  @ApiProperty({ description: 'Spend limit in USD for each period.', example: 25, minimum: MIN_BUDGET_USD, maximum: MAX_BUDGET_USD })
  @IsNumber({ allowNaN: false, allowInfinity: false }, BUDGET_USD)
  @Min(MIN_BUDGET_USD, BUDGET_USD)
  @Max(MAX_BUDGET_USD, BUDGET_USD)
  max_usd: number;

  @ApiProperty({ description: 'Budget window; `total` never resets.', enum: BUDGET_PERIODS, example: '1M' })
  @IsIn(BUDGET_PERIODS, { message: `$property must be one of ${BUDGET_PERIODS.join(', ')}` })
  period: BudgetPeriod;
}

export class RateLimitDto {
  @ApiPropertyOptional({ description: 'Requests per minute.', type: 'integer', minimum: 1, maximum: MAX_INT4, example: 60 })
  @IsOptional()
  @IsInt(PER_MINUTE)
  @Min(1, PER_MINUTE)
  @Max(MAX_INT4, PER_MINUTE)
  requests_per_minute?: number;

  @ApiPropertyOptional({
    description: 'Tokens (input + output) per minute. Each request reserves its worst case (input size plus its output cap) while it runs.',
    type: 'integer',
    minimum: 1,
    maximum: MAX_INT4,
    example: 100000,
  })
  @IsOptional()
  @IsInt(PER_MINUTE)
  @Min(1, PER_MINUTE)
  @Max(MAX_INT4, PER_MINUTE)
  tokens_per_minute?: number;

  @ApiPropertyOptional({
    description: 'Requests of the key in flight at once; past it the gateway answers 429 `concurrency_limit_exceeded` with Retry-After.',
    type: 'integer',
    minimum: 1,
    maximum: MAX_INT4,
    example: 10,
  })
  @IsOptional()
  @IsInt(CONCURRENT)
  @Min(1, CONCURRENT)
  @Max(MAX_INT4, CONCURRENT)
  max_concurrent_requests?: number;
}

/** The fields that POST and PATCH share; the two differ only in whether `name` is required. */
export class VirtualKeySettingsDto {
  @ApiPropertyOptional({
    description: 'Models the key may call, as `provider/model` or `provider/*`. Empty: every model.',
    type: [String],
    example: ['openai/gpt-4o-mini', 'anthropic/*'],
  })
  @OptionalNotNull()
  @IsArray(ALLOWED_MODELS)
  @ArrayMaxSize(1000, ALLOWED_MODELS)
  @Matches(ALLOWED_MODEL_PATTERN, { each: true, ...ALLOWED_MODELS })
  allowed_models?: string[];

  @ApiPropertyOptional({ description: 'Spend limit; null removes it.', type: () => BudgetDto, nullable: true })
  @IsOptional()
  @IsObject(OBJECT)
  @ValidateNested(OBJECT)
  @Type(() => BudgetDto)
  budget?: BudgetDto | null;

  @ApiPropertyOptional({
    description: 'Per-minute limits and requests in flight; null removes them. On PATCH the object replaces the current limits as a whole.',
    type: () => RateLimitDto,
    nullable: true,
  })
  @IsOptional()
  @IsObject(OBJECT)
  @ValidateNested(OBJECT)
  @Type(() => RateLimitDto)
  rate_limit?: RateLimitDto | null;

  @ApiPropertyOptional({ description: 'Fallback policy used when a request names no fallbacks; it must exist (400 otherwise). null removes it. Deleting the policy sets this to null.', format: 'uuid', type: String, nullable: true })
  @IsOptional()
  @IsUUID('all', { message: '$property must be a UUID' })
  fallback_policy_id?: string | null;

  @ApiPropertyOptional({ description: 'When the key stops working; null: never.', format: 'date-time', type: String, nullable: true, example: '2030-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, DATE_TIME)
  @Matches(ISO_DATE_TIME_WITH_ZONE, DATE_TIME)
  expires_at?: string | null;

  @ApiPropertyOptional({ description: 'An inactive key is refused (403) until re-activated.', default: true })
  @OptionalNotNull()
  @IsBoolean({ message: '$property must be a boolean' })
  is_active?: boolean;

  @ApiPropertyOptional({
    description: `Free-form labels (team, owner, ...), at most ${MAX_METADATA_JSON} characters as JSON. \`allow_send_raw: true\` lets the key ask for raw upstream bodies.`,
    type: 'object',
    additionalProperties: true,
    example: { team: 'search' },
  })
  @OptionalNotNull()
  @IsObject(METADATA)
  @MaxJsonLength(MAX_METADATA_JSON)
  metadata?: Record<string, unknown>;
}

export class CreateVirtualKeyDto extends VirtualKeySettingsDto {
  @ApiProperty({ description: 'Human-readable name.', maxLength: 200, example: 'search-team-prod' })
  @IsString(NAME)
  @IsNotEmpty(NAME)
  @MaxLength(200, NAME)
  name: string;
}

/** Any subset of the create fields; `budget`, `rate_limit`, `fallback_policy_id` and `expires_at` accept null to clear. */
export class UpdateVirtualKeyDto extends VirtualKeySettingsDto {
  @ApiPropertyOptional({ description: 'Human-readable name.', maxLength: 200, example: 'search-team-prod' })
  @OptionalNotNull()
  @IsString(NAME)
  @IsNotEmpty(NAME)
  @MaxLength(200, NAME)
  name?: string;
}

export class VirtualKeyIdParamDto {
  @ApiProperty({ description: 'Virtual key id.', format: 'uuid' })
  @IsUUID('all', { message: '$property must be a UUID' })
  id: string;
}

export class ListVirtualKeysQueryDto {
  @ApiPropertyOptional({ description: 'Include revoked keys.', type: Boolean, default: false })
  @IsOptional()
  // Query strings carry text; only the two spellings of a boolean are accepted.
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: '$property must be true or false' })
  include_revoked?: boolean;
}

export class RateLimitRecordDto {
  @ApiProperty({ type: 'integer', nullable: true, example: 60 })
  requests_per_minute: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: null })
  tokens_per_minute: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: null, description: 'Requests in flight at once.' })
  max_concurrent_requests: number | null;
}

/** A virtual key as the API shows it. The secret's hash never leaves the database. */
export class VirtualKeyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'search-team-prod' })
  name: string;

  @ApiProperty({ description: 'First characters of the secret, to tell keys apart.', example: 'sk-bf-AbCd' })
  key_prefix: string;

  @ApiProperty({ type: [String], example: ['openai/gpt-4o-mini'] })
  allowed_models: string[];

  @ApiProperty({ type: () => BudgetDto, nullable: true })
  budget: BudgetDto | null;

  @ApiProperty({ type: () => RateLimitRecordDto, nullable: true })
  rate_limit: RateLimitRecordDto | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  fallback_policy_id: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at: string | null;

  @ApiProperty()
  is_active: boolean;

  @ApiProperty({ type: 'object', additionalProperties: true })
  metadata: Record<string, unknown>;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Set when the key was revoked (DELETE).' })
  revoked_at: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time', description: 'Moves forward on every change; the gateway polls it.' })
  updated_at: string;
}

export class CreatedVirtualKeyDto extends VirtualKeyDto {
  @ApiProperty({ description: 'The secret. Shown this once; only its SHA-256 is stored.', example: 'sk-bf-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE' })
  key: string;
}

/** Spend in the key's current budget period (calendar-aligned in UTC, as the gateway counts it). */
export class KeySpendDto {
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Start of the current period; null for a `total` budget, which never resets.' })
  period_start: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the period resets; null for a `total` budget.' })
  period_end: string | null;

  @ApiProperty({ description: 'USD spent in the current period. Requests of unpriced models count for nothing.', example: 3.25 })
  spent_usd: number;

  @ApiProperty({
    description: 'USD left in the current period, never below 0. The gateway admits a request only if its worst case fits what is left (see README, Governance).',
    example: 21.75,
  })
  remaining_usd: number;
}

/** What GET shows of a key: the record plus what it has spent. */
export class VirtualKeyWithSpendDto extends VirtualKeyDto {
  @ApiProperty({ type: () => KeySpendDto, nullable: true, description: 'Null when the key has no budget.' })
  spend: KeySpendDto | null;

  @ApiProperty({ description: 'USD spent over the key\'s whole life, with or without a budget.', example: 118.4 })
  total_spent_usd: number;
}

export class VirtualKeyListDto {
  @ApiProperty({ type: () => [VirtualKeyWithSpendDto] })
  data: VirtualKeyWithSpendDto[];
}
