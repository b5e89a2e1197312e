import { Injectable } from '@nestjs/common';
import { GatewayError } from '@app/common';
import { BackgroundResponses } from '../background/background-responses.service';
import { ResponseCache } from './response-cache';
import { type ReplayEvent, streamReplayEvents } from './response-replay';
import { type Json, type StoredResponse, UNFINISHED } from './stored-response';
import { StoredResponseRepository } from './stored-response.repository';
import { isStorableId, notFound } from './stored-turn';

export interface InputItemList {
  object: 'list';
  data: Json[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface InputItemQuery {
  limit?: string;
  order?: string;
  after?: string;
}

/**
 * GET/DELETE /v1/responses/{id}, GET .../input_items, POST .../cancel, in OpenAI's shapes.
 * A key sees only its own responses: anyone else's id is a 404, as an unknown one is.
 */
@Injectable()
export class StoredResponsesService {
  constructor(
    private readonly repo: StoredResponseRepository,
    private readonly cache: ResponseCache,
    private readonly background: BackgroundResponses,
  ) {}

  async retrieve(keyId: string, id: string): Promise<Json> {
    return (await this.get(keyId, id)).response;
  }

  /** The stored response as the events of its stream (`?stream=true`), after `starting_after` if given. */
  async replay(keyId: string, id: string, startingAfter: string | undefined): Promise<Iterable<ReplayEvent>> {
    let after: number | null = null;
    if (startingAfter !== undefined && startingAfter !== '') {
      after = Number(startingAfter);
      if (!Number.isInteger(after) || after < 0) throw GatewayError.invalidRequest("'starting_after' must be a non-negative integer.", 'starting_after');
    }
    return streamReplayEvents((await this.get(keyId, id)).response, after);
  }

  async delete(keyId: string, id: string): Promise<{ id: string; object: 'response'; deleted: true }> {
    if (!isStorableId(id) || !(await this.repo.delete(keyId, id))) throw notFound(id);
    this.cache.delete(id);
    this.background.abort(id, 'delete');
    return { id, object: 'response', deleted: true };
  }

  async cancel(keyId: string, id: string): Promise<Json> {
    const r = await this.get(keyId, id);
    if (!r.background) throw GatewayError.invalidRequest('Only background responses can be cancelled.', 'response_id');
    if (!UNFINISHED.has(r.status)) return r.response;
    const cancelled = await this.repo.endUnfinished(id, keyId, 'cancelled', null);
    this.background.abort(id, 'cancel');
    // Null: it finished meanwhile; report how.
    return cancelled ?? (await this.get(keyId, id)).response;
  }

  /** This turn's input items (references resolved), newest first unless `order=asc`. */
  async inputItems(keyId: string, id: string, query: InputItemQuery): Promise<InputItemList> {
    const limit = query.limit === undefined || query.limit === '' ? 20 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw GatewayError.invalidRequest("'limit' must be an integer between 1 and 100.", 'limit');
    const order = query.order === undefined || query.order === '' ? 'desc' : query.order;
    if (order !== 'asc' && order !== 'desc') throw GatewayError.invalidRequest("'order' must be 'asc' or 'desc'.", 'order');
    const stored = await this.get(keyId, id);
    let items = order === 'asc' ? stored.inputItems : [...stored.inputItems].reverse();
    if (query.after !== undefined && query.after !== '') {
      const at = items.findIndex((i) => i.id === query.after);
      if (at === -1) throw GatewayError.invalidRequest(`'after': no input item '${query.after}' in response '${id}'.`, 'after');
      items = items.slice(at + 1);
    }
    const data = items.slice(0, limit);
    return {
      object: 'list',
      data,
      first_id: data.length > 0 ? String(data[0].id) : null,
      last_id: data.length > 0 ? String(data[data.length - 1].id) : null,
      has_more: items.length > limit,
    };
  }

  private async get(keyId: string, id: string): Promise<StoredResponse> {
    if (!isStorableId(id)) throw notFound(id);
    const r = await this.repo.findOne(keyId, id);
    if (r === null) throw notFound(id);
    return r;
  }
}
