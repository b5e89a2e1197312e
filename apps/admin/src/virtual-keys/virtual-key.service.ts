import { Inject, Injectable } from '@nestjs/common';
import { GatewayError, periodEnd, periodStart } from '@app/common';
import { generateVirtualKeySecret } from '@app/common/virtual-keys/virtual-key-secret';
import type { VirtualKeyEntity } from '@app/database';
import type { CreatedVirtualKeyDto, CreateVirtualKeyDto, KeySpendDto, UpdateVirtualKeyDto, VirtualKeyDto, VirtualKeyListDto, VirtualKeySettingsDto, VirtualKeyWithSpendDto } from './virtual-key.dto';
import { UnknownFallbackPolicyError, VIRTUAL_KEY_REPOSITORY, type VirtualKeyChanges, type VirtualKeyRepository, type VirtualKeyWithSpend } from './virtual-key.repository';

/** Not in ErrorCode: only the admin API can meet it. */
export const VIRTUAL_KEY_REVOKED = 'virtual_key_revoked';

export function toVirtualKeyDto(entity: VirtualKeyEntity): VirtualKeyDto {
  const hasRateLimit = entity.rateLimitRpm !== null || entity.rateLimitTpm !== null || entity.maxConcurrentRequests !== null;
  return {
    id: entity.id,
    name: entity.name,
    key_prefix: entity.keyPrefix,
    allowed_models: entity.allowedModels,
    budget:
      entity.budgetMaxUsd !== null && entity.budgetPeriod !== null
        ? { max_usd: Number(entity.budgetMaxUsd), period: entity.budgetPeriod }
        : null,
    rate_limit: hasRateLimit
      ? { requests_per_minute: entity.rateLimitRpm, tokens_per_minute: entity.rateLimitTpm, max_concurrent_requests: entity.maxConcurrentRequests }
      : null,
    fallback_policy_id: entity.fallbackPolicyId,
    expires_at: entity.expiresAt?.toISOString() ?? null,
    is_active: entity.isActive,
    metadata: entity.metadata,
    revoked_at: entity.revokedAt?.toISOString() ?? null,
    created_at: entity.createdAt.toISOString(),
    updated_at: entity.updatedAt.toISOString(),
  };
}

function toSpendDto(entity: VirtualKeyEntity, spend: VirtualKeyWithSpend['spend'], now: Date): KeySpendDto | null {
  if (entity.budgetMaxUsd === null || entity.budgetPeriod === null) return null;
  const resets = entity.budgetPeriod !== 'total';
  return {
    period_start: resets ? periodStart(entity.budgetPeriod, now).toISOString() : null,
    period_end: periodEnd(entity.budgetPeriod, now)?.toISOString() ?? null,
    spent_usd: Number(spend.periodSpentUsd ?? 0),
    remaining_usd: Number(spend.remainingUsd ?? entity.budgetMaxUsd),
  };
}

/** `now` must be the instant the repository took the periods at, so the window shown is the one summed. */
export function toVirtualKeyWithSpendDto({ key, spend }: VirtualKeyWithSpend, now: Date): VirtualKeyWithSpendDto {
  return { ...toVirtualKeyDto(key), spend: toSpendDto(key, spend, now), total_spent_usd: Number(spend.totalSpentUsd) };
}

/** Request fields to columns. Undefined leaves a column alone; null clears it. */
function toChanges(dto: VirtualKeySettingsDto & { name?: string }): VirtualKeyChanges {
  const changes: VirtualKeyChanges = {};
  if (dto.name !== undefined) changes.name = dto.name;
  if (dto.allowed_models !== undefined) changes.allowedModels = [...new Set(dto.allowed_models)];
  if (dto.budget !== undefined) {
    // A string keeps numeric(20,10) exact; JSON numbers already went through a double.
    changes.budgetMaxUsd = dto.budget === null ? null : String(dto.budget.max_usd);
    changes.budgetPeriod = dto.budget === null ? null : dto.budget.period;
  }
  if (dto.rate_limit !== undefined) {
    changes.rateLimitRpm = dto.rate_limit?.requests_per_minute ?? null;
    changes.rateLimitTpm = dto.rate_limit?.tokens_per_minute ?? null;
    changes.maxConcurrentRequests = dto.rate_limit?.max_concurrent_requests ?? null;
  }
  if (dto.fallback_policy_id !== undefined) changes.fallbackPolicyId = dto.fallback_policy_id;
  if (dto.expires_at !== undefined) changes.expiresAt = dto.expires_at === null ? null : new Date(dto.expires_at);
  if (dto.is_active !== undefined) changes.isActive = dto.is_active;
  if (dto.metadata !== undefined) changes.metadata = dto.metadata;
  return changes;
}

/** The repository's domain error becomes a 400 that names the field. */
function rethrowUnknownPolicy(err: unknown): never {
  if (err instanceof UnknownFallbackPolicyError) {
    throw GatewayError.invalidRequest(`fallback_policy_id ${err.policyId} does not name an existing fallback policy`, 'fallback_policy_id');
  }
  throw err;
}

@Injectable()
export class VirtualKeyService {
  constructor(@Inject(VIRTUAL_KEY_REPOSITORY) private readonly keys: VirtualKeyRepository) {}

  async create(dto: CreateVirtualKeyDto): Promise<CreatedVirtualKeyDto> {
    const { secret, hash, prefix } = generateVirtualKeySecret();
    const entity = await this.keys.create({ ...toChanges(dto), name: dto.name, keyHash: hash, keyPrefix: prefix }).catch(rethrowUnknownPolicy);
    return { ...toVirtualKeyDto(entity), key: secret };
  }

  async list(includeRevoked: boolean): Promise<VirtualKeyListDto> {
    const now = new Date();
    const keys = await this.keys.list({ includeRevoked, now });
    return { data: keys.map((k) => toVirtualKeyWithSpendDto(k, now)) };
  }

  async get(id: string): Promise<VirtualKeyWithSpendDto> {
    const now = new Date();
    const found = await this.keys.findWithSpend(id, now);
    if (!found) throw this.notFound(id);
    return toVirtualKeyWithSpendDto(found, now);
  }

  async update(id: string, dto: UpdateVirtualKeyDto): Promise<VirtualKeyDto> {
    const entity = await this.keys.update(id, toChanges(dto)).catch(rethrowUnknownPolicy);
    if (!entity) throw await this.whyNotUpdated(id);
    return toVirtualKeyDto(entity);
  }

  /** Idempotent: revoking a revoked key returns it unchanged (and does not move updated_at). */
  async revoke(id: string): Promise<VirtualKeyDto> {
    const entity = (await this.keys.revoke(id)) ?? (await this.keys.findById(id));
    if (!entity) throw this.notFound(id);
    return toVirtualKeyDto(entity);
  }

  /** The old hash is overwritten, so the old secret stops working as soon as the gateway sees updated_at move. */
  async rotate(id: string): Promise<CreatedVirtualKeyDto> {
    const { secret, hash, prefix } = generateVirtualKeySecret();
    const entity = await this.keys.update(id, { keyHash: hash, keyPrefix: prefix });
    if (!entity) throw await this.whyNotUpdated(id);
    return { ...toVirtualKeyDto(entity), key: secret };
  }

  private async whyNotUpdated(id: string): Promise<GatewayError> {
    const entity = await this.keys.findById(id);
    if (!entity) return this.notFound(id);
    return new GatewayError(409, VIRTUAL_KEY_REVOKED, `Virtual key ${id} is revoked and cannot be changed; create a new key instead`);
  }

  private notFound(id: string): GatewayError {
    return GatewayError.notFound(`Virtual key ${id} not found`);
  }
}
