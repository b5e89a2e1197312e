import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { PriceSource } from '@app/pricing';

const SOURCES: readonly PriceSource[] = ['built_in', 'override'];

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

/** Amounts are exact decimal strings, USD per 1M tokens (request_cost: USD per request). */
export class ModelPriceDto {
  @ApiProperty({ description: '`provider/model`.', example: 'openai/gpt-4o-mini' })
  id: string;

  @ApiProperty({ example: 'openai' })
  provider: string;

  @ApiProperty({ example: 'gpt-4o-mini' })
  model: string;

  @ApiProperty({ enum: SOURCES, description: '`override`: set by GATEWAY_CONFIG `pricing` (replacing any built-in entry).' })
  source: PriceSource;

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

export class PricingListDto {
  @ApiProperty({ type: () => [ModelPriceDto], description: 'By id.' })
  data: ModelPriceDto[];

  @ApiProperty({ description: 'When the built-in prices were last checked against the providers\' pages (year-month).', example: '2026-11' })
  checked_at: string;
}
