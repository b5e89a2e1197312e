import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateIf, type ValidationArguments } from 'class-validator';
import { ALLOWED_MODEL_PATTERN, MODEL_ID_PATTERN } from '../virtual-keys/virtual-key.dto';

export const MAX_FALLBACKS = 10;
const MIN_STATUS = 400;
const MAX_STATUS = 599;
// Every status from 400 to 599 once.
const MAX_STATUSES = MAX_STATUS - MIN_STATUS + 1;

/** Optional, but null is refused: for fields whose column cannot be cleared. */
const OptionalNotNull = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** The rule, then the offending entries, so a long list need not be searched by hand. */
function listMessage(rule: string, isValid: (entry: unknown) => boolean, maxLength: number) {
  return (args: ValidationArguments): string => {
    const expected = `${args.property} must be ${rule}`;
    const value: unknown = args.value;
    if (!Array.isArray(value) || value.length === 0 || value.length > maxLength) return expected;
    const bad = value.filter((v) => !isValid(v));
    return bad.length === 0 ? expected : `${expected} (invalid: ${bad.map((v) => JSON.stringify(v)).join(', ')})`;
  };
}

const isModelId = (v: unknown): boolean => typeof v === 'string' && MODEL_ID_PATTERN.test(v);
const isStatus = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= MIN_STATUS && (v as number) <= MAX_STATUS;

// One message per field, whichever of its constraints fail (see virtual-key.dto.ts).
const NAME = { message: '$property must be a non-empty string of at most 200 characters' } as const;
const MODEL = { message: '$property must be a "provider/model" or "provider/*" string' } as const;
const FALLBACKS = {
  message: listMessage(`an array of 1 to ${MAX_FALLBACKS} "provider/model" strings, without wildcards`, isModelId, MAX_FALLBACKS),
} as const;
const ON_STATUS = {
  message: listMessage(`a non-empty array of integer HTTP statuses from ${MIN_STATUS} to ${MAX_STATUS}, or null for the default`, isStatus, MAX_STATUSES),
} as const;

const MODEL_DESCRIPTION =
  'The requested model this policy applies to: `provider/model`, or `provider/*` for every model of a provider. ' +
  'An exact match wins over a wildcard; among several policies for the same `model`, the newest (first in the list) is in force.';
const FALLBACKS_DESCRIPTION = `Models tried in order after the requested one fails, as \`provider/model\` (1 to ${MAX_FALLBACKS}, no wildcards).`;
const ON_STATUS_DESCRIPTION =
  `Upstream HTTP statuses (${MIN_STATUS}-${MAX_STATUS}) that move on to the next candidate. ` +
  'Null or absent: the default retryable statuses (429 and 5xx). Network errors and timeouts always move on.';

/** The fields that POST and PATCH share; `on_status` is the only one that accepts null. */
class FallbackPolicyStatusesDto {
  @ApiPropertyOptional({ description: ON_STATUS_DESCRIPTION, type: 'integer', isArray: true, nullable: true, example: [429, 500, 503] })
  @IsOptional()
  @IsArray(ON_STATUS)
  @ArrayMinSize(1, ON_STATUS)
  @ArrayMaxSize(MAX_STATUSES, ON_STATUS)
  @IsInt({ each: true, ...ON_STATUS })
  @Min(MIN_STATUS, { each: true, ...ON_STATUS })
  @Max(MAX_STATUS, { each: true, ...ON_STATUS })
  on_status?: number[] | null;
}

export class CreateFallbackPolicyDto extends FallbackPolicyStatusesDto {
  @ApiProperty({ description: 'Human-readable name.', maxLength: 200, example: 'gpt-4o to claude' })
  @IsString(NAME)
  @IsNotEmpty(NAME)
  @MaxLength(200, NAME)
  name: string;

  @ApiProperty({ description: MODEL_DESCRIPTION, example: 'openai/gpt-4o' })
  @IsString(MODEL)
  @Matches(ALLOWED_MODEL_PATTERN, MODEL)
  model: string;

  @ApiProperty({ description: FALLBACKS_DESCRIPTION, type: [String], minItems: 1, maxItems: MAX_FALLBACKS, example: ['anthropic/claude-sonnet-4-5', 'openai/gpt-4o-mini'] })
  @IsArray(FALLBACKS)
  @ArrayMinSize(1, FALLBACKS)
  @ArrayMaxSize(MAX_FALLBACKS, FALLBACKS)
  @Matches(MODEL_ID_PATTERN, { each: true, ...FALLBACKS })
  fallbacks: string[];
}

/** Any subset of the create fields; `on_status: null` restores the default statuses. */
export class UpdateFallbackPolicyDto extends FallbackPolicyStatusesDto {
  @ApiPropertyOptional({ description: 'Human-readable name.', maxLength: 200, example: 'gpt-4o to claude' })
  @OptionalNotNull()
  @IsString(NAME)
  @IsNotEmpty(NAME)
  @MaxLength(200, NAME)
  name?: string;

  @ApiPropertyOptional({ description: MODEL_DESCRIPTION, example: 'openai/gpt-4o' })
  @OptionalNotNull()
  @IsString(MODEL)
  @Matches(ALLOWED_MODEL_PATTERN, MODEL)
  model?: string;

  @ApiPropertyOptional({ description: `${FALLBACKS_DESCRIPTION} Replaces the whole list.`, type: [String], minItems: 1, maxItems: MAX_FALLBACKS, example: ['anthropic/claude-sonnet-4-5'] })
  @OptionalNotNull()
  @IsArray(FALLBACKS)
  @ArrayMinSize(1, FALLBACKS)
  @ArrayMaxSize(MAX_FALLBACKS, FALLBACKS)
  @Matches(MODEL_ID_PATTERN, { each: true, ...FALLBACKS })
  fallbacks?: string[];
}

export class FallbackPolicyIdParamDto {
  @ApiProperty({ description: 'Fallback policy id.', format: 'uuid' })
  @IsUUID('all', { message: '$property must be a UUID' })
  id: string;
}

export class ListFallbackPoliciesQueryDto {
  @ApiPropertyOptional({ description: 'Only the policies whose `model` is exactly this (`provider/model` or `provider/*`).', example: 'openai/gpt-4o' })
  @IsOptional()
  @IsString(MODEL)
  @Matches(ALLOWED_MODEL_PATTERN, MODEL)
  model?: string;
}

/** A fallback policy as the API shows it. */
export class FallbackPolicyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'gpt-4o to claude' })
  name: string;

  @ApiProperty({ description: MODEL_DESCRIPTION, example: 'openai/gpt-4o' })
  model: string;

  @ApiProperty({ description: FALLBACKS_DESCRIPTION, type: [String], example: ['anthropic/claude-sonnet-4-5'] })
  fallbacks: string[];

  @ApiProperty({ description: `${ON_STATUS_DESCRIPTION} Sorted, without repeats.`, type: 'integer', isArray: true, nullable: true, example: [429, 500, 503] })
  on_status: number[] | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time', description: 'Moves forward on every change, deletion included; the gateway polls it.' })
  updated_at: string;
}

export class FallbackPolicyListDto {
  @ApiProperty({ type: () => [FallbackPolicyDto], description: 'Newest first: for each `model`, the first policy listed is the one in force.' })
  data: FallbackPolicyDto[];
}

export class DeletedFallbackPolicyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: [true] })
  deleted: true;

  @ApiProperty({ description: 'Virtual keys that used this policy; their `fallback_policy_id` is now null.', type: [String], format: 'uuid' })
  detached_virtual_key_ids: string[];
}
