import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type QueryDeepPartialEntity, type Repository } from 'typeorm';
import { FallbackPolicyEntity, VirtualKeyEntity } from '@app/database';

/** The columns a caller may set; id, timestamps and deletion are the repository's business. */
export type FallbackPolicyChanges = Partial<Pick<FallbackPolicyEntity, 'name' | 'model' | 'fallbacks' | 'onStatus'>>;

export type NewFallbackPolicy = FallbackPolicyChanges & Pick<FallbackPolicyEntity, 'name' | 'model' | 'fallbacks'>;

export interface DeletedFallbackPolicy {
  /** Keys whose fallback_policy_id pointed at the policy and is now null. */
  detachedVirtualKeyIds: string[];
}

export const FALLBACK_POLICY_REPOSITORY = Symbol('FALLBACK_POLICY_REPOSITORY');

/** Every read sees live policies only: a deleted one is gone for the API. */
export interface FallbackPolicyRepository {
  create(values: NewFallbackPolicy): Promise<FallbackPolicyEntity>;
  findById(id: string): Promise<FallbackPolicyEntity | null>;
  /** Newest first (created_at, then id): the order in which the gateway lets policies for one model win. */
  list(filter: { model?: string }): Promise<FallbackPolicyEntity[]>;
  /** Applies the changes and moves updated_at forward; null when there is no live policy with this id. */
  update(id: string, changes: FallbackPolicyChanges): Promise<FallbackPolicyEntity | null>;
  /**
   * Marks the policy deleted and detaches the keys that use it, in one transaction; null when
   * there is no live policy with this id.
   */
  softDelete(id: string): Promise<DeletedFallbackPolicy | null>;
}

/** TypeORM's deep-partial type recurses into the jsonb arrays; the shapes are the same. */
function asQueryValues(values: FallbackPolicyChanges): QueryDeepPartialEntity<FallbackPolicyEntity> {
  return values as QueryDeepPartialEntity<FallbackPolicyEntity>;
}

@Injectable()
export class TypeOrmFallbackPolicyRepository implements FallbackPolicyRepository {
  constructor(@InjectRepository(FallbackPolicyEntity) private readonly repo: Repository<FallbackPolicyEntity>) {}

  async create(values: NewFallbackPolicy): Promise<FallbackPolicyEntity> {
    const { identifiers } = await this.repo.insert(asQueryValues(values));
    // Re-read so the caller sees the database's own timestamps.
    return this.repo.findOneByOrFail({ id: identifiers[0].id as string });
  }

  findById(id: string): Promise<FallbackPolicyEntity | null> {
    return this.repo.findOneBy({ id, deletedAt: IsNull() });
  }

  list({ model }: { model?: string }): Promise<FallbackPolicyEntity[]> {
    return this.repo.find({
      where: model === undefined ? { deletedAt: IsNull() } : { deletedAt: IsNull(), model },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  async update(id: string, changes: FallbackPolicyChanges): Promise<FallbackPolicyEntity | null> {
    const result = await this.repo
      .createQueryBuilder()
      .update(FallbackPolicyEntity)
      // clock_timestamp(), not now(): the time of this write rather than of its transaction's start.
      .set({ ...asQueryValues(changes), updatedAt: () => 'clock_timestamp()' })
      .where('id = :id AND deleted_at IS NULL', { id })
      .execute();
    if (!result.affected) return null;
    return this.findById(id);
  }

  softDelete(id: string): Promise<DeletedFallbackPolicy | null> {
    return this.repo.manager.transaction(async (em) => {
      // Row-locks the policy first: a key being pointed at it concurrently holds FOR SHARE on
      // this row (see the virtual-key repository), so that write either lands before this one
      // and is detached below, or waits and then finds the policy deleted.
      const deleted = await em
        .createQueryBuilder()
        .update(FallbackPolicyEntity)
        .set({ deletedAt: () => 'clock_timestamp()', updatedAt: () => 'clock_timestamp()' })
        .where('id = :id AND deleted_at IS NULL', { id })
        .execute();
      if (!deleted.affected) return null;
      const detached = await em
        .createQueryBuilder()
        .update(VirtualKeyEntity)
        // updated_at moves so that gateways polling virtual_keys drop the policy from the key too.
        .set({ fallbackPolicyId: null, updatedAt: () => 'clock_timestamp()' })
        .where('fallback_policy_id = :id', { id })
        .returning('id')
        .execute();
      const rows = detached.raw as { id: string }[];
      return { detachedVirtualKeyIds: rows.map((r) => r.id) };
    });
  }
}
