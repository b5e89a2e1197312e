import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, type QueryDeepPartialEntity, type Repository, type SelectQueryBuilder } from 'typeorm';
import { BUDGET_PERIODS, periodStart } from '@app/common';
import { FallbackPolicyEntity, RequestLogEntity, VirtualKeyEntity } from '@app/database';

/** The columns a caller may set; id, timestamps and revocation are the repository's business. */
export type VirtualKeyChanges = Partial<
  Pick<
    VirtualKeyEntity,
    | 'name'
    | 'keyHash'
    | 'keyPrefix'
    | 'allowedModels'
    | 'budgetMaxUsd'
    | 'budgetPeriod'
    | 'rateLimitRpm'
    | 'rateLimitTpm'
    | 'maxConcurrentRequests'
    | 'fallbackPolicyId'
    | 'expiresAt'
    | 'isActive'
    | 'metadata'
  >
>;

export type NewVirtualKey = VirtualKeyChanges & Pick<VirtualKeyEntity, 'name' | 'keyHash' | 'keyPrefix'>;

/** Exact decimal strings as Postgres sums them (numeric), for the service to present. */
export interface VirtualKeySpend {
  /** SUM(cost_usd) of the current budget period; null when the key has no budget. */
  periodSpentUsd: string | null;
  /** max_usd minus the period's spend, never below 0; null when the key has no budget. */
  remainingUsd: string | null;
  /** SUM(cost_usd) over the key's whole life. Unpriced requests (null cost) count for nothing. */
  totalSpentUsd: string;
}

export interface VirtualKeyWithSpend {
  key: VirtualKeyEntity;
  spend: VirtualKeySpend;
}

/** The key names a fallback policy that does not exist or was deleted. */
export class UnknownFallbackPolicyError extends Error {
  constructor(readonly policyId: string) {
    super(`Fallback policy ${policyId} does not exist or was deleted`);
    this.name = 'UnknownFallbackPolicyError';
  }
}

export const VIRTUAL_KEY_REPOSITORY = Symbol('VIRTUAL_KEY_REPOSITORY');

/**
 * `create` and `update` throw UnknownFallbackPolicyError when `fallbackPolicyId` names no live
 * policy; the check and the write are atomic against a concurrent deletion of the policy.
 */
export interface VirtualKeyRepository {
  create(values: NewVirtualKey): Promise<VirtualKeyEntity>;
  findById(id: string): Promise<VirtualKeyEntity | null>;
  /** The key with its spend, budget periods taken at `now`. */
  findWithSpend(id: string, now: Date): Promise<VirtualKeyWithSpend | null>;
  /** Newest first, each with its spend, in one query; budget periods taken at `now`. */
  list(options: { includeRevoked: boolean; now: Date }): Promise<VirtualKeyWithSpend[]>;
  /**
   * Applies the changes to a key that is not revoked and moves updated_at forward (the
   * gateway's cache polls it). Null when no such key: missing or revoked.
   */
  update(id: string, changes: VirtualKeyChanges): Promise<VirtualKeyEntity | null>;
  /** Revokes a key that is not revoked yet; null when there is no such key. */
  revoke(id: string): Promise<VirtualKeyEntity | null>;
}

/**
 * TypeORM's deep-partial type cannot express a jsonb column typed `Record<string, unknown>`
 * (it recurses into `unknown`); the shapes are the same, so one cast here stands for all writes.
 */
function asQueryValues(values: VirtualKeyChanges): QueryDeepPartialEntity<VirtualKeyEntity> {
  return values as QueryDeepPartialEntity<VirtualKeyEntity>;
}

/**
 * The start of the key's current budget period as SQL, one bound parameter per period, so that
 * every key of a list is summed over its own period in the same statement.
 */
function periodStartSql(now: Date): { sql: string; parameters: Record<string, Date> } {
  const parameters: Record<string, Date> = {};
  const branches = BUDGET_PERIODS.map((period, i) => {
    parameters[`period_start_${i}`] = periodStart(period, now);
    return `WHEN '${period}' THEN CAST(:period_start_${i} AS timestamptz)`;
  });
  return { sql: `CASE k.budget_period ${branches.join(' ')} END`, parameters };
}

interface SpendRow {
  k_id: string;
  period_spent_usd: string | null;
  remaining_usd: string | null;
  total_spent_usd: string;
}

@Injectable()
export class TypeOrmVirtualKeyRepository implements VirtualKeyRepository {
  constructor(@InjectRepository(VirtualKeyEntity) private readonly repo: Repository<VirtualKeyEntity>) {}

  create(values: NewVirtualKey): Promise<VirtualKeyEntity> {
    return this.repo.manager.transaction(async (em) => {
      await this.holdLivePolicy(em, values.fallbackPolicyId);
      const keys = em.getRepository(VirtualKeyEntity);
      const { identifiers } = await keys.insert(asQueryValues(values));
      // Re-read so the caller sees the database's own rendering (defaults, numeric scale, timestamps).
      return keys.findOneByOrFail({ id: identifiers[0].id as string });
    });
  }

  findById(id: string): Promise<VirtualKeyEntity | null> {
    return this.repo.findOneBy({ id });
  }

  async findWithSpend(id: string, now: Date): Promise<VirtualKeyWithSpend | null> {
    const [found] = await this.withSpend(this.repo.createQueryBuilder('k').where('k.id = :id', { id }), now);
    return found ?? null;
  }

  list({ includeRevoked, now }: { includeRevoked: boolean; now: Date }): Promise<VirtualKeyWithSpend[]> {
    const qb = this.repo.createQueryBuilder('k');
    if (!includeRevoked) qb.where('k.revokedAt IS NULL');
    return this.withSpend(qb.orderBy('k.createdAt', 'DESC').addOrderBy('k.id', 'DESC'), now);
  }

  update(id: string, changes: VirtualKeyChanges): Promise<VirtualKeyEntity | null> {
    return this.repo.manager.transaction(async (em) => {
      await this.holdLivePolicy(em, changes.fallbackPolicyId);
      return this.updateUnrevoked(em, id, asQueryValues(changes));
    });
  }

  revoke(id: string): Promise<VirtualKeyEntity | null> {
    return this.updateUnrevoked(this.repo.manager, id, { isActive: false, revokedAt: () => 'clock_timestamp()' });
  }

  /**
   * One statement for any number of keys: the key's request logs joined and grouped by key (its
   * primary key, so every key column may be selected), each key summed from its own period start.
   */
  private async withSpend(qb: SelectQueryBuilder<VirtualKeyEntity>, now: Date): Promise<VirtualKeyWithSpend[]> {
    const start = periodStartSql(now);
    const periodSpent = `SUM(l.cost_usd) FILTER (WHERE l.created_at >= ${start.sql})`;
    const { entities, raw } = await qb
      .leftJoin(RequestLogEntity, 'l', 'l.virtual_key_id = k.id')
      .addSelect(`CASE WHEN k.budget_max_usd IS NULL THEN NULL ELSE COALESCE(${periodSpent}, 0) END`, 'period_spent_usd')
      .addSelect(`CASE WHEN k.budget_max_usd IS NULL THEN NULL ELSE GREATEST(k.budget_max_usd - COALESCE(${periodSpent}, 0), 0) END`, 'remaining_usd')
      .addSelect('COALESCE(SUM(l.cost_usd), 0)', 'total_spent_usd')
      .groupBy('k.id')
      .setParameters(start.parameters)
      .getRawAndEntities<SpendRow>();
    const spendById = new Map(raw.map((row) => [row.k_id, row]));
    return entities.map((key) => {
      const row = spendById.get(key.id);
      if (!row) throw new Error(`no spend row for virtual key ${key.id}`);
      return { key, spend: { periodSpentUsd: row.period_spent_usd, remainingUsd: row.remaining_usd, totalSpentUsd: row.total_spent_usd } };
    });
  }

  /**
   * FOR SHARE on the policy row until the transaction ends: a concurrent deletion (which updates
   * that row, then detaches its keys) waits for this write and then detaches this key as well,
   * or has already committed and the policy is found deleted here.
   */
  private async holdLivePolicy(em: EntityManager, policyId: string | null | undefined): Promise<void> {
    if (typeof policyId !== 'string') return;
    const live = await em
      .createQueryBuilder(FallbackPolicyEntity, 'p')
      .select('p.id')
      .where('p.id = :policyId AND p.deleted_at IS NULL', { policyId })
      .setLock('pessimistic_read')
      .getOne();
    if (!live) throw new UnknownFallbackPolicyError(policyId);
  }

  /** The `revoked_at IS NULL` condition makes a revocation final even against a concurrent PATCH. */
  private async updateUnrevoked(em: EntityManager, id: string, set: QueryDeepPartialEntity<VirtualKeyEntity>): Promise<VirtualKeyEntity | null> {
    const result = await em
      .createQueryBuilder()
      .update(VirtualKeyEntity)
      // clock_timestamp(), not now(): the time of this write rather than of its transaction's start.
      .set({ ...set, updatedAt: () => 'clock_timestamp()' })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();
    if (!result.affected) return null;
    return em.getRepository(VirtualKeyEntity).findOneBy({ id });
  }
}
