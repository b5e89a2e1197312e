import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A request-log row the database refused even after repair, kept as JSON text (no column of it
 * can be refused again) with the error. Written by the log writer's own SQL.
 */
@Entity('request_log_dead_letters')
@Index('request_log_dead_letters_created_at_idx', ['createdAt', 'id'])
export class RequestLogDeadLetterEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'row_json', type: 'text' })
  rowJson: string;

  @Column({ type: 'text' })
  error: string;
}
