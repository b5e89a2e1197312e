import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiInternalServerErrorResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ADMIN_BEARER_AUTH } from '../admin-swagger';
import { ErrorBodyDto } from '../errors/error-body.dto';
import { NoQueryDto, ProviderListDto } from './provider.dto';
import { ProviderService } from './provider.service';

const INVALID = { type: ErrorBodyDto, description: 'An unknown query parameter; `param` names it (code `invalid_request`).' };

@ApiTags('providers')
@ApiBearerAuth(ADMIN_BEARER_AUTH)
@ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'Missing or wrong admin token (code `unauthorized`).' })
@ApiInternalServerErrorResponse({ type: ErrorBodyDto, description: 'Unexpected failure; the message carries the request id.' })
@Controller('api')
export class ProviderController {
  constructor(private readonly providers: ProviderService) {}

  @Get('providers')
  @ApiOperation({ summary: 'Configured providers, their models and upstream keys', description: 'Never shows key values or configured headers.' })
  @ApiOkResponse({ type: ProviderListDto })
  @ApiBadRequestResponse(INVALID)
  listProviders(@Query() _query: NoQueryDto): ProviderListDto {
    return this.providers.list();
  }
}
