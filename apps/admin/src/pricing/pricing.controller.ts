import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiInternalServerErrorResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { GatewayError } from '@app/common';
import { ADMIN_BEARER_AUTH } from '../admin-swagger';
import { ErrorBodyDto } from '../errors/error-body.dto';
import { ListPricingQueryDto, ListUnpricedQueryDto, MAX_MODEL_LENGTH, MAX_PROVIDER_LENGTH, MODEL_PATTERN, ModelPriceDto, PricingListDto, PROVIDER_PATTERN, SetModelPriceDto, UnpricedModelListDto } from './pricing.dto';
import { PricingService } from './pricing.service';

const INVALID = { type: ErrorBodyDto, description: 'Invalid body, query or path; `param` names the first field at fault (code `invalid_request`).' };
// `*model`: a model name may hold slashes (`openai/gpt-4o` at openrouter); they may also come percent-encoded.
const MODEL_ROUTE = ':provider/*model';
const PROVIDER_PARAM = { name: 'provider', description: 'The `provider` part of `provider/model`.', example: 'local' };
const MODEL_PARAM = { name: 'model', description: 'The model as requests name it; may contain `/` (openrouter style).', example: 'llama-3.3-70b' };

@ApiTags('pricing')
@ApiBearerAuth(ADMIN_BEARER_AUTH)
@ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'Missing or wrong admin token (code `unauthorized`).' })
@ApiInternalServerErrorResponse({ type: ErrorBodyDto, description: 'Unexpected failure; the message carries the request id.' })
@Controller('api/pricing')
export class PricingController {
  constructor(private readonly pricing: PricingService) {}

  @Get()
  @ApiOperation({
    summary: 'Model prices in effect',
    description:
      'Every price the gateway applies, each with its `source`: GATEWAY_CONFIG overrides, admin prices, the few built-in entries, and the installed catalog ' +
      '(every model of every provider it lists; `catalog` says which version and when it was published).',
  })
  @ApiOkResponse({ type: PricingListDto })
  @ApiBadRequestResponse(INVALID)
  list(@Query() query: ListPricingQueryDto): Promise<PricingListDto> {
    return this.pricing.list(query);
  }

  @Get('unpriced')
  @ApiOperation({
    summary: 'Models served without a price',
    description: 'From the request log: models whose attempts consumed tokens but were logged with no cost, and that still have no price. Price one with PUT.',
  })
  @ApiOkResponse({ type: UnpricedModelListDto })
  @ApiBadRequestResponse(INVALID)
  unpriced(@Query() query: ListUnpricedQueryDto): Promise<UnpricedModelListDto> {
    return this.pricing.unpriced(query.days);
  }

  @Get(MODEL_ROUTE)
  @ApiOperation({ summary: 'The price a request to provider/model pays now', description: 'Resolved as the gateway does: dated snapshots, Bedrock profile ids, resellers.' })
  @ApiParam(PROVIDER_PARAM)
  @ApiParam(MODEL_PARAM)
  @ApiOkResponse({ type: ModelPriceDto })
  @ApiBadRequestResponse(INVALID)
  @ApiNotFoundResponse({ type: ErrorBodyDto, description: 'No price is known for this model (code `not_found`).' })
  get(@Param('provider') provider: string, @Param('model') model: string | string[]): Promise<ModelPriceDto> {
    return this.pricing.resolve(...modelId(provider, model));
  }

  @Put(MODEL_ROUTE)
  @ApiOperation({
    summary: 'Price a model',
    description:
      'Creates or replaces the admin price of `provider/model` (case-insensitive), stored in Postgres. It wins over the catalog and the built-in entries, ' +
      'and applies to dated snapshots and resellers of the model like any price. In force in this process at once and at the other gateway processes within their refresh interval. ' +
      'GATEWAY_CONFIG `pricing` wins over it: a model priced there is a 409.',
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiParam(MODEL_PARAM)
  @ApiOkResponse({ type: ModelPriceDto, description: 'The price now in force (`source: admin`).' })
  @ApiBadRequestResponse(INVALID)
  @ApiConflictResponse({ type: ErrorBodyDto, description: 'GATEWAY_CONFIG `pricing` prices this model (code `price_overridden`); nothing was changed.' })
  set(@Param('provider') provider: string, @Param('model') model: string | string[], @Body() body: SetModelPriceDto): Promise<ModelPriceDto> {
    return this.pricing.set(...modelId(provider, model), body);
  }

  @Delete(MODEL_ROUTE)
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an admin price', description: 'The model falls back to the catalog or built-in price, if any. In force like PUT.' })
  @ApiParam(PROVIDER_PARAM)
  @ApiParam(MODEL_PARAM)
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiBadRequestResponse(INVALID)
  @ApiNotFoundResponse({ type: ErrorBodyDto, description: 'This model has no admin price (code `not_found`).' })
  remove(@Param('provider') provider: string, @Param('model') model: string | string[]): Promise<void> {
    return this.pricing.remove(...modelId(provider, model));
  }
}

/** The route's `provider` and `model` (the wildcard's segments, joined), checked. */
function modelId(provider: string, model: string | string[]): [string, string] {
  const name = Array.isArray(model) ? model.join('/') : model;
  if (provider.length > MAX_PROVIDER_LENGTH || !PROVIDER_PATTERN.test(provider)) {
    throw GatewayError.invalidRequest(`provider must be a provider name of at most ${MAX_PROVIDER_LENGTH} characters (lowercase letters, digits, "-" or "_")`, 'provider');
  }
  if (name.length === 0 || name.length > MAX_MODEL_LENGTH || !MODEL_PATTERN.test(name)) {
    throw GatewayError.invalidRequest(`model must be a model name of 1 to ${MAX_MODEL_LENGTH} characters, without whitespace or "*"`, 'model');
  }
  return [provider, name];
}
