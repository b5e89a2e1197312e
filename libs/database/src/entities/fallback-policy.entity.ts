import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * What to try when a model fails: `model` is `provider/model` or `provider/*`, `fallbacks` the
 * ordered `provider/model` candidates. Several live policies may name the same model; the newest
 * (created_at, then id) is the one in force. Deleting only sets `deleted_at`, so the gateway,
 * which polls `updated_at`, learns of the deletion like of any other change.
 */
@Entity('fallback_policies')
export class FallbackPolicyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  model: string;

  @Column({ type: 'jsonb' })
  fallbacks: string[];

  /** Upstream HTTP statuses that move on to the next candidate; null: the default retryable ones. */
  @Column({ name: 'on_status', type: 'jsonb', nullable: true })
  onStatus: number[] | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Index('fallback_policies_updated_at_idx')
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
