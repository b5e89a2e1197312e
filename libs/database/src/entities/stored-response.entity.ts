import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Json } from '@app/common';

/**
 * One stored Response (`store`, `previous_response_id`, background mode), owned by the virtual
 * key that made it (migration 1764400000000 says how it is used). The gateway writes these rows
 * with its own SQL (group commit, conditional updates); the entity states the table's shape and
 * indexes, which a test checks against the migrated schema.
 */
@Entity('stored_responses')
@Index('stored_responses_unfinished_idx', ['heartbeatAt'], { where: `status IN ('queued','in_progress')` })
export class StoredResponseEntity {
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ name: 'virtual_key_id', type: 'uuid' })
  virtualKeyId: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Index('stored_responses_expires_at_idx')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'text' })
  status: 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled';

  @Column({ type: 'boolean', default: false })
  background: boolean;

  @Column({ type: 'text' })
  model: string;

  @Column({ name: 'previous_response_id', type: 'text', nullable: true })
  previousResponseId: string | null;

  @Column({ type: 'json', default: () => `'{}'::json` })
  request: Json;

  @Column({ name: 'input_items', type: 'json', default: () => `'[]'::json` })
  inputItems: Json[];

  @Column({ type: 'json' })
  response: Json;

  @Column({ type: 'json', nullable: true })
  error: Json | null;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', nullable: true })
  heartbeatAt: Date | null;
}
