import { gatewayItemId, isJson, isTrustedItemId, type Json } from './stored-response';
import type { Turn } from '../conversation/turn';

const START_EVENTS = new Set(['response.created', 'response.in_progress', 'response.queued']);

/**
 * Gives a relayed stream the gateway's ids as the events pass: the Response id in the
 * start events, and the gateway's item id for any item whose upstream id cannot be trusted
 * to be unique (then every later event naming that item). Upstreams with trustworthy ids
 * (OpenAI, the gateway's translators) cost one parse of each `output_item.added` event.
 */
export class StreamIdRewriter {
  private readonly seen = new Set<string>();
  private readonly renames = new Map<string, string>();

  constructor(
    private readonly turn: Turn,
    /** The state fields of the Response object (id, previous_response_id, store, background). */
    private readonly applyStateFields: (response: Json) => void,
  ) {
    turn.streamedIds = [];
  }

  rewrite(type: string, data: string): string {
    if (START_EVENTS.has(type)) return this.edit(data, (ev) => isJson(ev.response) && (this.applyStateFields(ev.response), true));
    if (type === 'response.output_item.added') return this.edit(data, (ev) => this.onItemAdded(ev));
    if (this.renames.size === 0) return data;
    return this.edit(data, (ev) => {
      let changed = false;
      if (typeof ev.item_id === 'string' && this.renames.has(ev.item_id)) {
        ev.item_id = this.renames.get(ev.item_id);
        changed = true;
      }
      if (isJson(ev.item) && typeof ev.item.id === 'string' && this.renames.has(ev.item.id)) {
        ev.item.id = this.renames.get(ev.item.id);
        changed = true;
      }
      return changed;
    });
  }

  private onItemAdded(ev: Json): boolean {
    const item = ev.item;
    const index = typeof ev.output_index === 'number' ? ev.output_index : this.turn.streamedIds.length;
    if (!isJson(item)) return false;
    if (isTrustedItemId(item.id, this.seen)) {
      this.seen.add(item.id);
      this.turn.streamedIds[index] = item.id;
      return false;
    }
    const id = gatewayItemId(item.type, this.turn.stem, index, 'out');
    if (typeof item.id === 'string') this.renames.set(item.id, id);
    item.id = id;
    this.seen.add(id);
    this.turn.streamedIds[index] = id;
    return true;
  }

  /** Re-serialises the event only when `change` changed it. */
  private edit(data: string, change: (ev: Json) => boolean): string {
    let ev: unknown;
    try {
      ev = JSON.parse(data);
    } catch {
      return data;
    }
    return isJson(ev) && change(ev) ? JSON.stringify(ev) : data;
  }
}
