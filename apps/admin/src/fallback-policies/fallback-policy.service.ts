import { Inject, Injectable } from '@nestjs/common';
import { GatewayError } from '@app/common';
import type { FallbackPolicyEntity } from '@app/database';
import type { CreateFallbackPolicyDto, DeletedFallbackPolicyDto, FallbackPolicyDto, FallbackPolicyListDto, UpdateFallbackPolicyDto } from './fallback-policy.dto';
import { FALLBACK_POLICY_REPOSITORY, type FallbackPolicyChanges, type FallbackPolicyRepository } from './fallback-policy.repository';

export function toFallbackPolicyDto(entity: FallbackPolicyEntity): FallbackPolicyDto {
  return {
    id: entity.id,
    name: entity.name,
    model: entity.model,
    fallbacks: entity.fallbacks,
    on_status: entity.onStatus,
    created_at: entity.createdAt.toISOString(),
    updated_at: entity.updatedAt.toISOString(),
  };
}

/** Request fields to columns. Undefined leaves a column alone; `on_status: null` restores the default. */
function toChanges(dto: UpdateFallbackPolicyDto): FallbackPolicyChanges {
  const changes: FallbackPolicyChanges = {};
  if (dto.name !== undefined) changes.name = dto.name;
  if (dto.model !== undefined) changes.model = dto.model;
  // Order is the point of the list, and a repeated model is a deliberate second try: kept as given.
  if (dto.fallbacks !== undefined) changes.fallbacks = [...dto.fallbacks];
  // A set: order and repeats mean nothing, so store it in one canonical form.
  if (dto.on_status !== undefined) changes.onStatus = dto.on_status === null ? null : [...new Set(dto.on_status)].sort((a, b) => a - b);
  return changes;
}

@Injectable()
export class FallbackPolicyService {
  constructor(@Inject(FALLBACK_POLICY_REPOSITORY) private readonly policies: FallbackPolicyRepository) {}

  async create(dto: CreateFallbackPolicyDto): Promise<FallbackPolicyDto> {
    const entity = await this.policies.create({ onStatus: null, ...toChanges(dto), name: dto.name, model: dto.model, fallbacks: [...dto.fallbacks] });
    return toFallbackPolicyDto(entity);
  }

  async list(model?: string): Promise<FallbackPolicyListDto> {
    const entities = await this.policies.list(model === undefined ? {} : { model });
    return { data: entities.map(toFallbackPolicyDto) };
  }

  async get(id: string): Promise<FallbackPolicyDto> {
    const entity = await this.policies.findById(id);
    if (!entity) throw this.notFound(id);
    return toFallbackPolicyDto(entity);
  }

  async update(id: string, dto: UpdateFallbackPolicyDto): Promise<FallbackPolicyDto> {
    const entity = await this.policies.update(id, toChanges(dto));
    if (!entity) throw this.notFound(id);
    return toFallbackPolicyDto(entity);
  }

  /** Deleting twice is a 404 the second time: a deleted policy no longer exists for the API. */
  async remove(id: string): Promise<DeletedFallbackPolicyDto> {
    const deleted = await this.policies.softDelete(id);
    if (!deleted) throw this.notFound(id);
    return { id, deleted: true, detached_virtual_key_ids: deleted.detachedVirtualKeyIds };
  }

  private notFound(id: string): GatewayError {
    return GatewayError.notFound(`Fallback policy ${id} not found`);
  }
}
