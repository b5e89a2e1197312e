import { Injectable } from '@nestjs/common';
import { GatewayError } from '@app/common';
import { VirtualKeyCache } from '../auth/virtual-key-cache.service';
import { assertKeyUsable } from '../governance/key-policy';
import { type ReplayEvent, streamReplayEvents } from './response-replay';
import { ResponseStateService } from './response-state.service';
import type { Json } from './stored-response';

export interface Credentials {
  authorization: string | undefined;
  xBfVk: string | undefined;
}

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
    private readonly keys: VirtualKeyCache,
    private readonly state: ResponseStateService,
  ) {}

  async retrieve(creds: Credentials, id: string): Promise<Json> {
    return (await this.state.get(this.keyId(creds), id)).response;
  }

  /** The stored response as the events of its stream (`?stream=true`), after `starting_after` if given. */
  async replay(creds: Credentials, id: string, startingAfter: string | undefined): Promise<Iterable<ReplayEvent>> {
    let after: number | null = null;
    if (startingAfter !== undefined && startingAfter !== '') {
      after = Number(startingAfter);
      if (!Number.isInteger(after) || after < 0) throw GatewayError.invalidRequest("'starting_after' must be a non-negative integer.", 'starting_after');
    }
    return streamReplayEvents((await this.state.get(this.keyId(creds), id)).response, after);
  }

  delete(creds: Credentials, id: string): Promise<{ id: string; object: 'response'; deleted: true }> {
    return this.state.delete(this.keyId(creds), id);
  }

  cancel(creds: Credentials, id: string): Promise<Json> {
    return this.state.cancel(this.keyId(creds), id);
  }

  /** This turn's input items (references resolved), newest first unless `order=asc`. */
  async inputItems(creds: Credentials, id: string, query: InputItemQuery): Promise<InputItemList> {
    const limit = query.limit === undefined || query.limit === '' ? 20 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw GatewayError.invalidRequest("'limit' must be an integer between 1 and 100.", 'limit');
    const order = query.order === undefined || query.order === '' ? 'desc' : query.order;
    if (order !== 'asc' && order !== 'desc') throw GatewayError.invalidRequest("'order' must be 'asc' or 'desc'.", 'order');
    const stored = await this.state.get(this.keyId(creds), id);
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

  private keyId(creds: Credentials): string {
    const key = this.keys.authenticate(creds.authorization, creds.xBfVk);
    assertKeyUsable(key, Date.now());
    return key.id;
  }
}
