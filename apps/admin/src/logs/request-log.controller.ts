import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiInternalServerErrorResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ADMIN_BEARER_AUTH } from '../admin-swagger';
import { ErrorBodyDto } from '../errors/error-body.dto';
import { DeadLetterPageDto, ListDeadLettersQueryDto, ListRequestLogsQueryDto, RequestLogDetailDto, RequestLogIdParamDto, RequestLogPageDto } from './request-log.dto';
import { RequestLogService } from './request-log.service';

const INVALID = { type: ErrorBodyDto, description: 'Invalid query or id; `param` names the first field at fault (code `invalid_request`).' };

@ApiTags('logs')
@ApiBearerAuth(ADMIN_BEARER_AUTH)
@ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'Missing or wrong admin token (code `unauthorized`).' })
@ApiInternalServerErrorResponse({ type: ErrorBodyDto, description: 'Unexpected failure; the message carries the request id.' })
@Controller('api/logs')
export class RequestLogController {
  constructor(private readonly logs: RequestLogService) {}

  @Get()
  @ApiOperation({
    summary: 'List request logs (cost logs), newest first',
    description: 'One row per upstream attempt. Pages by keyset: pass `next_cursor` back as `cursor` with the same filters.',
  })
  @ApiOkResponse({ type: RequestLogPageDto })
  @ApiBadRequestResponse(INVALID)
  list(@Query() query: ListRequestLogsQueryDto): Promise<RequestLogPageDto> {
    return this.logs.list(query);
  }

  // Before ':id', which would take 'dead-letters' for an id.
  @Get('dead-letters')
  @ApiOperation({
    summary: 'Request-log rows the database refused, newest first',
    description:
      'The gateway repairs a row the database refuses (cuts its text short) and, if it is still refused, keeps it here instead of ' +
      'holding up every row behind it. Counted in the gateway metric `gateway_log_rows_dead_lettered`.',
  })
  @ApiOkResponse({ type: DeadLetterPageDto })
  @ApiBadRequestResponse(INVALID)
  deadLetters(@Query() query: ListDeadLettersQueryDto): Promise<DeadLetterPageDto> {
    return this.logs.listDeadLetters(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one attempt, with every attempt of its request', description: '`attempts` shows the fallback chain, by fallback_index.' })
  @ApiOkResponse({ type: RequestLogDetailDto })
  @ApiBadRequestResponse(INVALID)
  @ApiNotFoundResponse({ type: ErrorBodyDto, description: 'No request log row with this id (code `not_found`).' })
  get(@Param() { id }: RequestLogIdParamDto): Promise<RequestLogDetailDto> {
    return this.logs.get(id);
  }
}
