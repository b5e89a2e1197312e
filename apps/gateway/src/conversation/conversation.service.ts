import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, ErrorCode, GatewayError, quoteForMessage } from '@app/common';
import type { ResponsesRequest } from '@app/providers';
import type { Plan } from '../plan/plan.service';
import { ResponseCache } from '../state/response-cache';
import { idStemOf, isJson, type Json, newResponseId, outputOf, plainInputItemsJson, type StoredResponse, toInputItems, toInputItemsJson, toUpstreamItem, UNFINISHED } from '../state/stored-response';
import { RecentWrites } from '../state/recent-writes';
import { isStorableId, notFound } from '../state/stored-turn';
import { knownRequestFields, requestFieldsJson } from './stored-request';
import type { Turn } from './turn';

/** A planned request with its stored state resolved into the body the upstream is sent. */
export interface Conversation<E = unknown> extends Plan<E> {
  /** The stored-state side of the request (null: `store: false` and nothing to resolve). */
  turn: Turn | null;
  /** Size of what goes upstream as input (the client's body and the stored conversation before it), for estimates. */
  inputBytes: number;
}

/**
 * Stage 3, stateful Responses: resolves `previous_response_id` and `item_reference` before a
 * request is translated for its provider (memory first, then one query).
 */
@Injectable()
export class ConversationStage {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly recent: RecentWrites,
    private readonly cache: ResponseCache,
  ) {}

  /**
   * Reads the request's state fields and resolves them (see `turn`); the turn is null for a
   * request with nothing to store or resolve, whose body stays untouched. Synchronous for a turn
   * that names nothing stored (the common case, stored or not): no promise and no await unless
   * there is something to look up.
   */
  resolve<E>(plan: Plan<E>): Conversation<E> | Promise<Conversation<E>> {
    const { body, stream, bodyText } = plan.request;
    // Not kept for as long as the answer takes: the turn keeps its own copy of what it stores.
    if (bodyText !== undefined) plan.request.bodyText = undefined;
    const store = body.store !== false;
    const background = body.background === true;
    const prev = body.previous_response_id;
    if (prev !== undefined && prev !== null && (typeof prev !== 'string' || prev === '')) {
      throw GatewayError.invalidRequest("'previous_response_id' must be a string.", 'previous_response_id');
    }
    const previousResponseId = typeof prev === 'string' ? prev : null;
    const input = body.input;
    const hasRefs = Array.isArray(input) && hasItemReference(input);
    if (background) {
      if (!store) throw GatewayError.invalidRequest("'background' mode needs 'store' (it cannot be false).", 'background');
      if (stream) throw GatewayError.invalidRequest("'background' with 'stream' is not supported: create the response, then poll GET /v1/responses/{id} (or GET with ?stream=true once it finished).", 'stream');
    }
    if (previousResponseId === null && !hasRefs) {
      return withTurn(plan, store ? this.turn(plan.key.id, body, input, bodyText, 0, background, null) : null);
    }
    return this.resolveStored(plan.key.id, body, input, bodyText, previousResponseId, hasRefs, store, background).then((turn) => withTurn(plan, turn));
  }

  /**
   * A turn that continues a stored conversation or references stored items: rewrites `body.input`
   * for the upstream to the conversation in full (stored items first).
   */
  private async resolveStored(
    keyId: string, body: ResponsesRequest, input: unknown, bodyText: string | undefined, previousResponseId: string | null, hasRefs: boolean, store: boolean, background: boolean,
  ): Promise<Turn> {
    const { limits } = this.config;
    const chain = previousResponseId === null ? [] : await this.resolveChain(keyId, previousResponseId);
    const refs = hasRefs ? await this.resolveReferences(keyId, input as unknown[]) : null;
    const referenced = (item: unknown): Json | undefined => (refs !== null && isJson(item) && item.type === 'item_reference' ? refs.get(item.id as string)?.item : undefined);
    // Stored items sent upstream, counted as they are added (a reference may be repeated
    // thousands of times): a conversation can never grow past what a client could send itself.
    const history = new HistoryBudget(limits.maxBodyBytes, previousResponseId !== null ? 'previous_response_id' : 'input');
    if (chain.length > 0 || hasRefs) {
      // Stored items in the form the upstream takes back; the client's own items as it sent them.
      const upstream: unknown[] = [];
      for (const r of chain) {
        for (const item of r.inputItems) history.push(upstream, toUpstreamItem(item));
        for (const item of outputOf(r.response)) history.push(upstream, toUpstreamItem(item));
      }
      if (typeof input === 'string') upstream.push({ role: 'user', content: input });
      else if (Array.isArray(input)) {
        for (const item of input) {
          const ref = refs !== null && isJson(item) && item.type === 'item_reference' ? refs.get(item.id as string) : undefined;
          if (ref !== undefined) history.push(upstream, ref.upstream, ref.bytes);
          else upstream.push(item);
        }
      }
      body.input = upstream;
    }
    // With references resolved, the turn's own input is no longer the client's text.
    if (refs === null) return this.turn(keyId, body, input, bodyText, history.bytes, background, previousResponseId, store);
    const own = (input as unknown[]).map((item) => referenced(item) ?? item);
    return this.turn(keyId, body, own, undefined, history.bytes, background, previousResponseId, store);
  }

  /**
   * The turn of a request whose stored state is resolved (`own`: its input as stored, references
   * resolved; `ownText`: the body's JSON text when `own` is its `input` as parsed), and `body` made
   * stateless for the upstream: no `previous_response_id`/`background`, and `store: false` (the
   * upstream keeps nothing; any provider and any fallback see the same context).
   */
  private turn(
    keyId: string, body: ResponsesRequest, own: unknown, ownText: string | undefined, historyBytes: number, background: boolean, previousResponseId: string | null, store = true,
  ): Turn {
    const { limits } = this.config;
    const id = newResponseId();
    const stem = idStemOf(id);
    const inputItems = toInputItems(own, stem);
    // `input` is not one of the stored request fields (it is stored as items).
    const request = knownRequestFields(body);
    const plainInput = store ? plainInputItemsJson(own, inputItems) : undefined;
    let inputItemsJson = plainInput ?? (store ? toInputItemsJson(own, inputItems, ownText) : '');
    const requestJson = store ? requestFieldsJson(request) : '';
    // The limit is on the items as JSON.stringify writes them: a client's spacing and escapes
    // (`\uXXXX` for every non-ASCII character, as Python's json.dumps writes by default) do not count.
    if (store && ownText !== undefined && inputItemsJson.length + requestJson.length > limits.maxStoredBytes) inputItemsJson = toInputItemsJson(own, inputItems);
    if (store && inputItemsJson.length + requestJson.length > limits.maxStoredBytes) {
      throw GatewayError.invalidRequest(
        `A stored turn may hold at most ${limits.maxStoredBytes} characters of JSON in its input and request fields (this one has ${inputItemsJson.length + requestJson.length}); send it with store: false.`,
        'input',
      );
    }
    // Each deleted only when given: deleting a key the body lacks still calls into V8's runtime.
    if (body.previous_response_id !== undefined) delete body.previous_response_id;
    if (body.background !== undefined) delete body.background;
    body.store = false;
    return {
      id,
      stem,
      keyId,
      store,
      background,
      previousResponseId,
      inputItems,
      request,
      inputItemsJson,
      requestJson,
      inputItemsAscii: inputItemsJson === plainInput,
      historyBytes,
      createdAt: Date.now(),
      streamedIds: [],
    };
  }

  /** The chain ending at `id`, oldest first: memory while it has the links, then one query for the rest. */
  private async resolveChain(keyId: string, id: string): Promise<StoredResponse[]> {
    if (!isStorableId(id)) throw notFound(id);
    const newestFirst: StoredResponse[] = [];
    let next: string | null = id;
    while (next !== null) {
      const r = this.cache.get(next);
      if (r === undefined || r.keyId !== keyId) break;
      newestFirst.push(r);
      next = r.previousResponseId;
    }
    if (next !== null) {
      const rows = await this.recent.findChain(keyId, next);
      if (rows.length === 0 || rows[0].id !== next) {
        throw next === id
          ? notFound(id)
          : GatewayError.notFound(`Response '${next}', earlier in the conversation of '${id}', was deleted or has expired.`);
      }
      const last = rows[rows.length - 1];
      if (last.previousResponseId !== null) {
        throw GatewayError.notFound(`Response '${last.previousResponseId}', earlier in the conversation of '${id}', was deleted or has expired.`);
      }
      for (const r of rows) {
        newestFirst.push(r);
        if (!UNFINISHED.has(r.status)) this.cache.set(r, JSON.stringify(r.response), JSON.stringify(r.inputItems));
      }
    }
    const unfinished = newestFirst.find((r) => UNFINISHED.has(r.status));
    if (unfinished !== undefined) {
      throw new GatewayError(400, ErrorCode.InvalidRequest, `Response '${unfinished.id}' is still ${unfinished.status}; wait for it to finish.`, 'previous_response_id');
    }
    return newestFirst.reverse();
  }

  /**
   * item id -> the stored item, its upstream form and that form's size, for each `item_reference`
   * of the input (memory, then one query).
   */
  private async resolveReferences(keyId: string, input: unknown[]): Promise<Map<string, ResolvedReference>> {
    const found = new Map<string, ResolvedReference>();
    const missing: string[] = [];
    for (const item of input) {
      if (!isJson(item) || item.type !== 'item_reference') continue;
      const ref = item.id;
      if (typeof ref !== 'string' || found.has(ref)) continue;
      if (!isStorableId(ref)) throw GatewayError.notFound(`No item found with id ${quoteForMessage(ref)} (item_reference).`);
      const cached = this.cache.getItem(keyId, ref);
      if (cached !== undefined) found.set(ref, resolved(cached.item));
      else missing.push(ref);
    }
    if (missing.length > 0) {
      const rows = await this.recent.findItems(keyId, missing);
      for (const ref of missing) {
        const item = rows.get(ref);
        if (item === undefined) throw GatewayError.notFound(`No item found with id '${ref}' (item_reference).`);
        found.set(ref, resolved(item));
      }
    }
    return found;
  }
}

/** The plan itself, extended (one object per request, not a copy per stage). */
function withTurn<E>(plan: Plan<E>, turn: Turn | null): Conversation<E> {
  const conversation = plan as Conversation<E>;
  conversation.turn = turn;
  conversation.inputBytes = plan.bodyBytes + (turn === null ? 0 : turn.historyBytes);
  return conversation;
}

function hasItemReference(input: unknown[]): boolean {
  for (let i = 0; i < input.length; i++) {
    const item = input[i];
    if (isJson(item) && item.type === 'item_reference') return true;
  }
  return false;
}

interface ResolvedReference {
  item: Json;
  upstream: Json | null;
  bytes: number;
}

function resolved(item: Json): ResolvedReference {
  const upstream = toUpstreamItem(item);
  return { item, upstream, bytes: upstream === null ? 0 : JSON.stringify(upstream).length };
}

/** Stored items added to the upstream conversation, and their size against the limit. */
class HistoryBudget {
  bytes = 0;

  constructor(
    private readonly limit: number,
    private readonly param: string,
  ) {}

  push(out: unknown[], item: Json | null, bytes = item === null ? 0 : JSON.stringify(item).length): void {
    if (item === null) return;
    this.bytes += bytes;
    if (this.bytes > this.limit) {
      throw GatewayError.invalidRequest(`The conversation to send upstream is over the limit of ${this.limit} characters of JSON; start a new one or send fewer items.`, this.param);
    }
    out.push(item);
  }
}
