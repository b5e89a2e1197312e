import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiInternalServerErrorResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ADMIN_BEARER_AUTH } from '../admin-swagger';
import { ErrorBodyDto } from '../errors/error-body.dto';
import { UsageDto, UsageQueryDto } from './usage.dto';
import { UsageService } from './usage.service';

@ApiTags('usage')
@ApiBearerAuth(ADMIN_BEARER_AUTH)
@ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'Missing or wrong admin token (code `unauthorized`).' })
@ApiInternalServerErrorResponse({ type: ErrorBodyDto, description: 'Unexpected failure; the message carries the request id.' })
@Controller('api/usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @ApiOperation({
    summary: 'Requests, errors, tokens and cost, grouped',
    description: 'Over [from, to), by default the last 24 hours. Requests count once however many fallback attempts they made; tokens and cost sum every attempt.',
  })
  @ApiOkResponse({ type: UsageDto })
  @ApiBadRequestResponse({ type: ErrorBodyDto, description: 'Invalid query; `param` names the first field at fault (code `invalid_request`).' })
  get(@Query() query: UsageQueryDto): Promise<UsageDto> {
    return this.usage.get(query);
  }
}
