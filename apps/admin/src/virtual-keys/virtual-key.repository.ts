import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type QueryDeepPartialEntity, type Repository } from 'typeorm';
import { VirtualKeyEntity } from '@app/database';

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
    | 'fallbackPolicyId'
    | 'expiresAt'
    | 'isActive'
    | 'metadata'
  >
>;

export type NewVirtualKey = VirtualKeyChanges & Pick<VirtualKeyEntity, 'name' | 'keyHash' | 'keyPrefix'>;

export const VIRTUAL_KEY_REPOSITORY = Symbol('VIRTUAL_KEY_REPOSITORY');

export interface VirtualKeyRepository {
  create(values: NewVirtualKey): Promise<VirtualKeyEntity>;
  findById(id: string): Promise<VirtualKeyEntity | null>;
  /** Newest first. */
  list(options: { includeRevoked: boolean }): Promise<VirtualKeyEntity[]>;
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

@Injectable()
export class TypeOrmVirtualKeyRepository implements VirtualKeyRepository {
  constructor(@InjectRepository(VirtualKeyEntity) private readonly repo: Repository<VirtualKeyEntity>) {}

  async create(values: NewVirtualKey): Promise<VirtualKeyEntity> {
    const { identifiers } = await this.repo.insert(asQueryValues(values));
    // Re-read so the caller sees the database's own rendering (defaults, numeric scale, timestamps).
    return this.repo.findOneByOrFail({ id: identifiers[0].id as string });
  }

  findById(id: string): Promise<VirtualKeyEntity | null> {
    return this.repo.findOneBy({ id });
  }

  list({ includeRevoked }: { includeRevoked: boolean }): Promise<VirtualKeyEntity[]> {
    return this.repo.find({
      where: includeRevoked ? {} : { revokedAt: IsNull() },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  update(id: string, changes: VirtualKeyChanges): Promise<VirtualKeyEntity | null> {
    return this.updateUnrevoked(id, asQueryValues(changes));
  }

  revoke(id: string): Promise<VirtualKeyEntity | null> {
    return this.updateUnrevoked(id, { isActive: false, revokedAt: () => 'clock_timestamp()' });
  }

  /** The `revoked_at IS NULL` condition makes a revocation final even against a concurrent PATCH. */
  private async updateUnrevoked(id: string, set: QueryDeepPartialEntity<VirtualKeyEntity>): Promise<VirtualKeyEntity | null> {
    const result = await this.repo
      .createQueryBuilder()
      .update(VirtualKeyEntity)
      // clock_timestamp(), not now(): the time of this write rather than of its transaction's start.
      .set({ ...set, updatedAt: () => 'clock_timestamp()' })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();
    if (!result.affected) return null;
    return this.repo.findOneBy({ id });
  }
}
