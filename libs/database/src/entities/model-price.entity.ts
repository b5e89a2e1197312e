import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { PriceSpec } from '@app/common';

/**
 * A price set through the admin API for `provider/model` (unique case-insensitively). `price` is
 * the canonical price, amounts as exact decimal strings. Deleting only sets `deleted_at`, so the
 * gateway, which polls `updated_at`, learns of the deletion like of any other change.
 */
@Entity('model_prices')
export class ModelPriceEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  provider: string;

  @Column({ type: 'text' })
  model: string;

  @Column({ type: 'jsonb' })
  price: PriceSpec;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
