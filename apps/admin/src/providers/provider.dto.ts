import { ApiProperty } from '@nestjs/swagger';
import { PROVIDER_KINDS } from '@app/providers';

/** Both listing routes take no parameters; declaring none makes the validation pipe refuse unknown ones. */
export class NoQueryDto {}

export class UpstreamKeyDto {
  @ApiProperty({ description: 'The key\'s id from the configuration (or the variable it came from); never its value.', example: 'OPENAI_API_KEY' })
  id: string;

  @ApiProperty({ description: 'Relative share of traffic among the keys that allow a model.', example: 1 })
  weight: number;

  @ApiProperty({ type: [String], description: 'Model patterns this key may serve; empty: all.', example: ['gpt-4o*'] })
  models: string[];
}

export class ProviderDto {
  @ApiProperty({ description: 'The `provider` part of `provider/model`.', example: 'openai' })
  name: string;

  @ApiProperty({ enum: PROVIDER_KINDS, description: 'Which wire format the gateway speaks to it.' })
  kind: string;

  @ApiProperty({ description: 'Upstream base URL; credentials in it (user info, query values) are masked.', example: 'https://api.openai.com/v1' })
  base_url: string;

  @ApiProperty({ type: [String], description: 'Models advertised by GET /v1/models; requests may name others.', example: ['gpt-4o-mini'] })
  models: string[];

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Requested model -> upstream model.', example: { fast: 'gpt-4o-mini' } })
  aliases: Record<string, string>;

  @ApiProperty({ type: () => [UpstreamKeyDto] })
  keys: UpstreamKeyDto[];
}

export class ProviderListDto {
  @ApiProperty({ type: () => [ProviderDto], description: 'By name.' })
  data: ProviderDto[];
}
