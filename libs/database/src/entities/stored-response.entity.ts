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

  // Each turn's JSON: in the `text` column (*_json) when written since migration 1765600000000,
  // in the `json` column before it (the migration says how readers take them).
  @Column({ type: 'json', nullable: true })
  request: Json | null;

  @Column({ name: 'input_items', type: 'json', nullable: true })
  inputItems: Json[] | null;

  @Column({ type: 'json', nullable: true })
  response: Json | null;

  @Column({ type: 'json', nullable: true })
  error: Json | null;

  @Column({ name: 'request_json', type: 'text', nullable: true })
  requestJson: string | null;

  @Column({ name: 'input_items_json', type: 'text', nullable: true })
  inputItemsJson: string | null;

  @Column({ name: 'response_json', type: 'text', nullable: true })
  responseJson: string | null;

  @Column({ name: 'error_json', type: 'text', nullable: true })
  errorJson: string | null;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', nullable: true })
  heartbeatAt: Date | null;
}
