import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiCreatedResponse, ApiInternalServerErrorResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ADMIN_BEARER_AUTH } from '../admin-swagger';
import { ErrorBodyDto } from '../errors/error-body.dto';
import { CreateFallbackPolicyDto, DeletedFallbackPolicyDto, FallbackPolicyDto, FallbackPolicyIdParamDto, FallbackPolicyListDto, ListFallbackPoliciesQueryDto, UpdateFallbackPolicyDto } from './fallback-policy.dto';
import { FallbackPolicyService } from './fallback-policy.service';

const INVALID = { type: ErrorBodyDto, description: 'Invalid body, query or id; `param` names the first field at fault (code `invalid_request`).' };
const NOT_FOUND = { type: ErrorBodyDto, description: 'No fallback policy with this id, or it was deleted (code `not_found`).' };

@ApiTags('fallback-policies')
@ApiBearerAuth(ADMIN_BEARER_AUTH)
@ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'Missing or wrong admin token (code `unauthorized`).' })
@ApiInternalServerErrorResponse({ type: ErrorBodyDto, description: 'Unexpected failure; the message carries the request id.' })
@Controller('api/fallback-policies')
export class FallbackPolicyController {
  constructor(private readonly policies: FallbackPolicyService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a fallback policy',
    description:
      'Used for a request that names no `fallbacks` of its own: the policy of the calling key (`fallback_policy_id`) if it has one, ' +
      'else the policy whose `model` matches the requested model (exact before `provider/*`). The gateway sees changes within seconds.',
  })
  @ApiCreatedResponse({ type: FallbackPolicyDto })
  @ApiBadRequestResponse(INVALID)
  create(@Body() body: CreateFallbackPolicyDto): Promise<FallbackPolicyDto> {
    return this.policies.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List fallback policies, newest first', description: 'Deleted policies are not listed.' })
  @ApiOkResponse({ type: FallbackPolicyListDto })
  @ApiBadRequestResponse(INVALID)
  list(@Query() query: ListFallbackPoliciesQueryDto): Promise<FallbackPolicyListDto> {
    return this.policies.list(query.model);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a fallback policy' })
  @ApiOkResponse({ type: FallbackPolicyDto })
  @ApiBadRequestResponse(INVALID)
  @ApiNotFoundResponse(NOT_FOUND)
  get(@Param() { id }: FallbackPolicyIdParamDto): Promise<FallbackPolicyDto> {
    return this.policies.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a fallback policy', description: 'Any subset of the create fields; `fallbacks` replaces the whole list; `on_status: null` restores the default statuses.' })
  @ApiOkResponse({ type: FallbackPolicyDto })
  @ApiBadRequestResponse(INVALID)
  @ApiNotFoundResponse(NOT_FOUND)
  update(@Param() { id }: FallbackPolicyIdParamDto, @Body() body: UpdateFallbackPolicyDto): Promise<FallbackPolicyDto> {
    return this.policies.update(id, body);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Delete a fallback policy',
    description: 'Virtual keys that used it lose their `fallback_policy_id` in the same transaction; the response lists them. A deleted policy is gone: a second DELETE is a 404.',
  })
  @ApiOkResponse({ type: DeletedFallbackPolicyDto })
  @ApiBadRequestResponse(INVALID)
  @ApiNotFoundResponse(NOT_FOUND)
  remove(@Param() { id }: FallbackPolicyIdParamDto): Promise<DeletedFallbackPolicyDto> {
    return this.policies.remove(id);
  }
}
