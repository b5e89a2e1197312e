import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Where an input or output item of a stored Response lives, for `item_reference` lookups by id
 * within a key; the item itself stays in its response's JSON. Only items whose id does not name
 * its own response and place have a row (the gateway mints ids that do); the newest copy of an
 * id answers. Rows go with their response: the statements that delete responses delete their
 * items (no foreign key: it cost a parent lookup and lock per item row written). The lookup
 * index is (virtual_key_id, item_id, created_at DESC): TypeORM cannot state the direction, the
 * migration does.
 */
@Entity('stored_items')
@Index('stored_items_key_item_idx', ['virtualKeyId', 'itemId', 'createdAt'])
export class StoredItemEntity {
  @PrimaryColumn({ name: 'response_id', type: 'text' })
  responseId: string;

  @PrimaryColumn({ type: 'text' })
  source: 'input' | 'output';

  @PrimaryColumn({ type: 'integer' })
  position: number;

  @Column({ name: 'virtual_key_id', type: 'uuid' })
  virtualKeyId: string;

  @Column({ name: 'item_id', type: 'text' })
  itemId: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
