import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type BudgetPeriod = '1h' | '1d' | '1w' | '1M' | 'total';

/** A team's `sk-bf-` key. Only the SHA-256 of the secret is stored. */
@Entity('virtual_keys')
export class VirtualKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Index('virtual_keys_key_hash_key', { unique: true })
  @Column({ name: 'key_hash', type: 'char', length: 64 })
  keyHash: string;

  /** The first characters of the secret, enough to tell keys apart in a list. */
  @Column({ name: 'key_prefix', type: 'text' })
  keyPrefix: string;

  @Column({ name: 'allowed_models', type: 'jsonb', default: () => "'[]'::jsonb" })
  allowedModels: string[];

  @Column({ name: 'budget_max_usd', type: 'numeric', precision: 20, scale: 10, nullable: true })
  budgetMaxUsd: string | null;

  @Column({ name: 'budget_period', type: 'text', nullable: true })
  budgetPeriod: BudgetPeriod | null;

  @Column({ name: 'rate_limit_rpm', type: 'integer', nullable: true })
  rateLimitRpm: number | null;

  @Column({ name: 'rate_limit_tpm', type: 'integer', nullable: true })
  rateLimitTpm: number | null;

  /** Requests of this key in flight at once (429 concurrency_limit_exceeded past it). */
  @Column({ name: 'max_concurrent_requests', type: 'integer', nullable: true })
  maxConcurrentRequests: number | null;

  @Column({ name: 'fallback_policy_id', type: 'uuid', nullable: true })
  fallbackPolicyId: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metadata: Record<string, unknown>;

  /** Set by DELETE: the row stays so logs keep their key and the gateway learns of the revocation. */
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Index('virtual_keys_updated_at_idx')
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
