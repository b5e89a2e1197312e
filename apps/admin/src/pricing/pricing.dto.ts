import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, Matches, Max, Min, ValidateBy, ValidateNested, type ValidationOptions } from 'class-validator';
import { PRICE_SOURCES, type PriceSource } from '@app/pricing';

// Bounds keep every cost inside the log column (numeric(20,10)): the dearest list price is a few
// hundred USD per 1M tokens; a typo of a few orders of magnitude still fits.
export const MAX_PRICE_PER_MTOK = 100_000;
export const MAX_REQUEST_COST = 1_000;
const MAX_THRESHOLD_TOKENS = 100_000_000;
const PRICE_DECIMALS = 12;

export const PROVIDER_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const MAX_PROVIDER_LENGTH = 64;
export const MAX_MODEL_LENGTH = 256;
/** A model name as requests carry it: no whitespace, no wildcard. */
export const MODEL_PATTERN = /^[^\s*]+$/;

const DECIMAL = /^\d+(?:\.(\d+))?$/;

/** A non-negative amount as a JSON number or a decimal string, at most 12 decimal places and `max`. */
function IsPriceAmount(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPriceAmount',
      validator: {
        validate: (value: unknown): boolean => {
          let text: string;
          if (typeof value === 'number') {
            if (!Number.isFinite(value) || value < 0) return false;
            text = value.toString();
            // 1e-7 and the like: exact as long as the exponent keeps it within the places allowed.
            if (/e-/.test(text)) return Number(value.toFixed(PRICE_DECIMALS)) === value && value <= max;
          } else if (typeof value === 'string') {
            text = value.trim();
          } else {
            return false;
          }
          const m = DECIMAL.exec(text);
          return m !== null && (m[1] ?? '').length <= PRICE_DECIMALS && Number(text) <= max;
        },
        defaultMessage: () => `$property must be a non-negative number (or decimal string) of at most ${PRICE_DECIMALS} decimal places, at most ${max}`,
      },
    },
    options,
  );
}

const PER_MTOK = 'USD per 1M tokens, a number or a decimal string (kept exact).';
const OBJECT = { message: '$property must be an object' } as const;
const THRESHOLD = { message: `$property must be an integer from 1 to ${MAX_THRESHOLD_TOKENS}` } as const;

export class LongContextPriceInputDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_THRESHOLD_TOKENS, description: 'The tier prices a whole request whose input exceeds this many tokens.', example: 200000 })
  @IsInt(THRESHOLD)
  @Min(1, THRESHOLD)
  @Max(MAX_THRESHOLD_TOKENS, THRESHOLD)
  threshold_tokens: number;

  @ApiProperty({ oneOf: [{ type: 'number' }, { type: 'string' }], description: PER_MTOK, example: '6' })
  @IsPriceAmount(MAX_PRICE_PER_MTOK)
  input_per_mtok: number | string;

  @ApiProperty({ oneOf: [{ type: 'number' }, { type: 'string' }], description: PER_MTOK, example: '22.5' })
  @IsPriceAmount(MAX_PRICE_PER_MTOK)
  output_per_mtok: number | string;

  @ApiPropertyOptional({ oneOf: [{ type: 'number' }, { type: 'string' }], description: `${PER_MTOK} Absent: the base cache-read price.` })
  @IsOptional()
  @IsPriceAmount(MAX_PRICE_PER_MTOK)
  cached_input_per_mtok?: number | string;

  @ApiPropertyOptional({ oneOf: [{ type: 'number' }, { type: 'string' }], description: `${PER_MTOK} Absent: the base cache-write price.` })
  @IsOptional()
  @IsPriceAmount(MAX_PRICE_PER_MTOK)
  cache_write_per_mtok?: number | string;
}

/** Body of PUT /api/pricing/{provider}/{model}. */
export class SetModelPriceDto {
  @ApiProperty({ oneOf: [{ type: 'number' }, { type: 'string' }], description: `Input tokens neither read from nor written to a cache; ${PER_MTOK}`, example: '0.15' })
  @IsPriceAmount(MAX_PRICE_PER_MTOK)
  input_per_mtok: number | string;

  @ApiProperty({ oneOf: [{ type: 'number' }, { type: 'string' }], description: `Output tokens (reasoning included unless reasoning_per_mtok is set); ${PER_MTOK}`, example: '0.6' })
  @IsPriceAmount(MAX_PRICE_PER_MTOK)
  output_per_mtok: number | string;

  @ApiPropertyOptional({ oneOf: [{ type: 'number' }, { type: 'string' }], description: `Cache reads; absent: the input rate. ${PER_MTOK}`, example: '0.075' })
  @IsOptional()
  @IsPriceAmount(MAX_PRICE_PER_MTOK)
  cached_input_per_mtok?: number | string;

  @ApiPropertyOptional({ oneOf: [{ type: 'number' }, { type: 'string' }], description: `Cache writes; absent: the input rate. ${PER_MTOK}` })
  @IsOptional()
  @IsPriceAmount(MAX_PRICE_PER_MTOK)
  cache_write_per_mtok?: number | string;

  @ApiPropertyOptional({ oneOf: [{ type: 'number' }, { type: 'string' }], description: `Only where reasoning is priced apart from output. ${PER_MTOK}` })
  @IsOptional()
  @IsPriceAmount(MAX_PRICE_PER_MTOK)
  reasoning_per_mtok?: number | string;

  @ApiPropertyOptional({ oneOf: [{ type: 'number' }, { type: 'string' }], description: 'USD per request, on top of token costs.', example: '0.005' })
  @IsOptional()
  @IsPriceAmount(MAX_REQUEST_COST)
  request_cost?: number | string;

  @ApiPropertyOptional({ type: () => LongContextPriceInputDto, description: 'A dearer tier for requests with long input.' })
  @IsOptional()
  @IsObject(OBJECT)
  @ValidateNested(OBJECT)
  @Type(() => LongContextPriceInputDto)
  long_context?: LongContextPriceInputDto;
}

export class LongContextPriceDto {
  @ApiProperty({ type: 'integer', description: 'The tier applies to a whole request whose input exceeds this many tokens.', example: 200000 })
  threshold_tokens: number;

  @ApiProperty({ example: '6' })
  input_per_mtok: string;

  @ApiProperty({ example: '22.5' })
  output_per_mtok: string;

  @ApiPropertyOptional({ example: '0.6' })
  cached_input_per_mtok?: string;

  @ApiPropertyOptional({ example: '7.5' })
  cache_write_per_mtok?: string;
}

const SOURCE_DESCRIPTION =
  'Where the price comes from, in the order they win: `override` (GATEWAY_CONFIG `pricing`), `admin` (set through this API), ' +
  '`built_in` (an entry the catalog lacks, typed by hand; `reference` names its source), `catalog` (the installed price catalog, `catalog_version`).';

/** Amounts are exact decimal strings, USD per 1M tokens (request_cost: USD per request). */
export class ModelPriceDto {
  @ApiProperty({ description: '`provider/model` of the entry (a requested id resolves to it through dated-snapshot and reseller rules).', example: 'openai/gpt-4o-mini' })
  id: string;

  @ApiProperty({ example: 'openai' })
  provider: string;

  @ApiProperty({ example: 'gpt-4o-mini' })
  model: string;

  @ApiProperty({ enum: PRICE_SOURCES, description: SOURCE_DESCRIPTION })
  source: PriceSource;

  @ApiPropertyOptional({ description: 'Catalog prices: the catalog package version they come from.', example: '0.1.8' })
  catalog_version?: string;

  @ApiPropertyOptional({ description: 'Catalog prices that change with the date or the time of day (off-peak discounts); the one in force now is shown.' })
  time_varying?: boolean;

  @ApiPropertyOptional({ description: 'Built-in prices: where the figures come from.' })
  reference?: string;

  @ApiPropertyOptional({ description: 'Admin prices: when they were last set.', format: 'date-time' })
  updated_at?: string;

  @ApiProperty({ example: '0.15' })
  input_per_mtok: string;

  @ApiProperty({ example: '0.6' })
  output_per_mtok: string;

  @ApiPropertyOptional({ description: 'Cache reads; absent: the input rate.', example: '0.075' })
  cached_input_per_mtok?: string;

  @ApiPropertyOptional({ description: 'Cache writes; absent: the input rate.' })
  cache_write_per_mtok?: string;

  @ApiPropertyOptional({ description: 'Only where reasoning is priced apart from output.' })
  reasoning_per_mtok?: string;

  @ApiPropertyOptional({ description: 'USD per request, on top of token costs.' })
  request_cost?: string;

  @ApiPropertyOptional({ type: () => LongContextPriceDto })
  long_context?: LongContextPriceDto;
}

export class CatalogInfoDto {
  @ApiProperty({ example: '@pydantic/genai-prices' })
  package: string;

  @ApiProperty({ description: 'The installed version; prices never change without a new one (nothing is fetched at run time).', example: '0.1.8' })
  version: string;

  @ApiProperty({ description: 'When that version was published on npm.', format: 'date', nullable: true, type: String, example: '2026-09-23' })
  published_at: string | null;
}

export class PricingListDto {
  @ApiProperty({ type: () => [ModelPriceDto], description: 'By id.' })
  data: ModelPriceDto[];

  @ApiProperty({ type: () => CatalogInfoDto })
  catalog: CatalogInfoDto;

  @ApiProperty({ description: 'When the built-in entries were last checked against their sources (year-month).', example: '2026-11' })
  checked_at: string;
}

export class ListPricingQueryDto {
  @ApiPropertyOptional({ description: 'Only this provider\'s entries.', example: 'openai' })
  @IsOptional()
  @Matches(PROVIDER_PATTERN, { message: '$property must be a provider name (lowercase letters, digits, "-" or "_")' })
  provider?: string;

  @ApiPropertyOptional({ enum: PRICE_SOURCES, description: 'Only entries from this source.' })
  @IsOptional()
  @IsIn(PRICE_SOURCES, { message: `$property must be one of ${PRICE_SOURCES.join(', ')}` })
  source?: PriceSource;
}

const DAYS = { message: '$property must be an integer from 1 to 90' } as const;

export class ListUnpricedQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 90, default: 7, description: 'How far back to look, in days.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt(DAYS)
  @Min(1, DAYS)
  @Max(90, DAYS)
  days?: number;
}

export class UnpricedModelDto {
  @ApiProperty({ description: '`provider/model` as logged (what PUT /api/pricing/{provider}/{model} would price).', example: 'local/llama-3.3-70b' })
  id: string;

  @ApiProperty({ example: 'local' })
  provider: string;

  @ApiProperty({ example: 'llama-3.3-70b' })
  model: string;

  @ApiProperty({ description: 'Attempts that consumed tokens but could not be priced (cost_usd null) in the window.', example: 12 })
  requests: number;

  @ApiProperty({ format: 'date-time' })
  last_seen_at: string;
}

export class UnpricedModelListDto {
  @ApiProperty({ type: () => [UnpricedModelDto], description: 'Models still without a price, most recently seen first (at most 200).' })
  data: UnpricedModelDto[];
}
