import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiInternalServerErrorResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ADMIN_BEARER_AUTH } from '../admin-swagger';
import { ErrorBodyDto } from '../errors/error-body.dto';
import { CreatedVirtualKeyDto, CreateVirtualKeyDto, ListVirtualKeysQueryDto, UpdateVirtualKeyDto, VirtualKeyDto, VirtualKeyIdParamDto, VirtualKeyListDto, VirtualKeyWithSpendDto } from './virtual-key.dto';
import { VirtualKeyService } from './virtual-key.service';

const INVALID = { type: ErrorBodyDto, description: 'Invalid body, query or id; `param` names the first field at fault (code `invalid_request`).' };
const NOT_FOUND = { type: ErrorBodyDto, description: 'No virtual key with this id (code `not_found`).' };
const REVOKED = { type: ErrorBodyDto, description: 'The key is revoked and can no longer change (code `virtual_key_revoked`).' };

@ApiTags('virtual-keys')
@ApiBearerAuth(ADMIN_BEARER_AUTH)
@ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'Missing or wrong admin token (code `unauthorized`).' })
@ApiInternalServerErrorResponse({ type: ErrorBodyDto, description: 'Unexpected failure; the message carries the request id.' })
@Controller('api/virtual-keys')
export class VirtualKeyController {
  constructor(private readonly virtualKeys: VirtualKeyService) {}

  @Post()
  @ApiOperation({ summary: 'Create a virtual key', description: 'The response carries the secret `key` once; only its SHA-256 is stored.' })
  @ApiCreatedResponse({ type: CreatedVirtualKeyDto })
  @ApiBadRequestResponse(INVALID)
  create(@Body() body: CreateVirtualKeyDto): Promise<CreatedVirtualKeyDto> {
    return this.virtualKeys.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List virtual keys, newest first', description: 'Each with `spend` in its current budget period and `total_spent_usd`, computed from the request log.' })
  @ApiOkResponse({ type: VirtualKeyListDto })
  @ApiBadRequestResponse(INVALID)
  list(@Query() query: ListVirtualKeysQueryDto): Promise<VirtualKeyListDto> {
    return this.virtualKeys.list(query.include_revoked ?? false);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a virtual key', description: 'With `spend` in its current budget period and `total_spent_usd`.' })
  @ApiOkResponse({ type: VirtualKeyWithSpendDto })
  @ApiBadRequestResponse(INVALID)
  @ApiNotFoundResponse(NOT_FOUND)
  get(@Param() { id }: VirtualKeyIdParamDto): Promise<VirtualKeyWithSpendDto> {
    return this.virtualKeys.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a virtual key', description: 'Any subset of the create fields; null clears `budget`, `rate_limit`, `fallback_policy_id` and `expires_at`.' })
  @ApiOkResponse({ type: VirtualKeyDto })
  @ApiBadRequestResponse(INVALID)
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse(REVOKED)
  update(@Param() { id }: VirtualKeyIdParamDto, @Body() body: UpdateVirtualKeyDto): Promise<VirtualKeyDto> {
    return this.virtualKeys.update(id, body);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a virtual key', description: 'Sets `revoked_at` and `is_active: false`; the row is kept for the logs. Revoking twice is harmless.' })
  @ApiOkResponse({ type: VirtualKeyDto })
  @ApiBadRequestResponse(INVALID)
  @ApiNotFoundResponse(NOT_FOUND)
  revoke(@Param() { id }: VirtualKeyIdParamDto): Promise<VirtualKeyDto> {
    return this.virtualKeys.revoke(id);
  }

  @Post(':id/rotate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Issue a new secret', description: 'The old secret stops working; the new `key` is shown once.' })
  @ApiOkResponse({ type: CreatedVirtualKeyDto })
  @ApiBadRequestResponse(INVALID)
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse(REVOKED)
  rotate(@Param() { id }: VirtualKeyIdParamDto): Promise<CreatedVirtualKeyDto> {
    return this.virtualKeys.rotate(id);
  }
}
