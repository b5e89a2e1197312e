import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, ErrorCode, GatewayError, quoteForMessage, type RequestLimits } from '@app/common';
import type { ResponsesRequest } from '@app/providers';
import { GroupCommit } from './group-commit';
import { ResponseCache } from './response-cache';
import {
  ensureUniqueOutputIds,
  isJson,
  type Json,
  newIdStem,
  newResponseId,
  type StoredResponse,
  type StoredResponseRow,
  type StoredStatus,
  toInputItems,
  toUpstreamItem,
  UNFINISHED,
} from './stored-response';
import { StoredResponseRepository } from './stored-response.repository';
import { StoredResponseWriter } from './stored-response.writer';
import { RecentWrites } from './recent-writes';
import { StreamIdRewriter } from './stream-ids';

/** What one request carries of the stored state: its id, its resolved input, how to store it. */
export interface Turn {
  /** The gateway's `resp_` id (used when stored). */
  id: string;
  /** Random stem of the gateway's item ids for this turn. */
  stem: string;
  keyId: string;
  store: boolean;
  background: boolean;
  previousResponseId: string | null;
  /** This turn's input as stored: references resolved, ids on every item. */
  inputItems: Json[];
  /** The request's known fields without its input (instructions, tools, ...), kept with the row. */
  request: Json;
  /** `inputItems` and `request` as stored (serialised once, measured against the stored-turn limit). */
  inputItemsJson: string;
  requestJson: string;
  /** Bytes of stored items sent upstream ahead of the client's own input (its earlier turns, referenced items). */
  historyBytes: number;
  createdAt: number;
  /** Streaming: the id each output item was relayed under (by output index), kept in the stored output. */
  streamedIds: (string | undefined)[];
}

interface BackgroundTask {
  abort: AbortController;
  reason: 'cancel' | 'delete' | 'shutdown' | null;
  done: Promise<void>;
}

const DAY_MS = 86_400_000;
// Bounds of the in-memory cache of recent responses (follow-ups resolve from it).
// Follow-ups nearly always name a response that just finished; older ones cost one query.
const CACHE_MAX_ENTRIES = 2_000;
const CACHE_MAX_BYTES = 16 * 1024 * 1024;
// One statement holds at most this many rows (13 parameters each, under Postgres's 65,535).
const MAX_BATCH = 1_000;

function notFound(id: string): GatewayError {
  return GatewayError.notFound(`No response found with id ${quoteForMessage(id)}.`);
}

/**
 * Whether an id from a request could name a stored response or item at all: anything else is
 * simply not found, without a query (Postgres text cannot even hold U+0000: it would be a 500).
 */
function isStorableId(id: string): boolean {
  return id.length > 0 && id.length <= 256 && !id.includes('\0');
}

function gatewayErrorOf(err: unknown): Json {
  if (err instanceof GatewayError) return { code: err.code, message: err.message };
  return { code: 'server_error', message: 'The gateway failed to run the background response.' };
}

/**
 * Stateful Responses: resolves `previous_response_id` and `item_reference` before a request is
 * translated for its provider (memory first, then one query), stores each turn behind its
 * answer (batched), and runs background responses (stored as queued before the client hears of them).
 */
@Injectable()
export class ResponseStateService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ResponseStateService.name);
  readonly cache = new ResponseCache(CACHE_MAX_ENTRIES, CACHE_MAX_BYTES);
  readonly writer: GroupCommit<StoredResponseRow>;
  private readonly running = new Map<string, BackgroundTask>();
  private shuttingDown = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: StoredResponseRepository,
    private readonly rows: StoredResponseWriter,
    private readonly recent: RecentWrites,
  ) {
    this.writer = new GroupCommit((rows) => repo.insert(rows), MAX_BATCH);
  }

  /** Ids of the background responses this process is running (for heartbeats). */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Reads the request's state fields and rewrites `body` for the upstream: the conversation
   * in full (stored items first), no `previous_response_id`/`background`, and `store: false`
   * (the upstream keeps nothing; any provider and any fallback see the same context). Null
   * for a request with nothing to store or resolve, whose body stays untouched.
   */
  async prepare(keyId: string, body: ResponsesRequest, stream: boolean, limits: RequestLimits): Promise<Turn | null> {
    const store = body.store !== false;
    const background = body.background === true;
    const prev = body.previous_response_id;
    if (prev !== undefined && prev !== null && (typeof prev !== 'string' || prev === '')) {
      throw GatewayError.invalidRequest("'previous_response_id' must be a string.", 'previous_response_id');
    }
    const previousResponseId = typeof prev === 'string' ? prev : null;
    const input = body.input;
    const hasRefs = Array.isArray(input) && input.some((i) => isJson(i) && i.type === 'item_reference');
    if (background) {
      if (!store) throw GatewayError.invalidRequest("'background' mode needs 'store' (it cannot be false).", 'background');
      if (stream) throw GatewayError.invalidRequest("'background' with 'stream' is not supported: create the response, then poll GET /v1/responses/{id} (or GET with ?stream=true once it finished).", 'stream');
    }
    if (!store && previousResponseId === null && !hasRefs) return null;

    const stem = newIdStem();
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
        for (const item of outputOf(r)) history.push(upstream, toUpstreamItem(item));
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
    const own = refs === null ? input : (input as unknown[]).map((item) => referenced(item) ?? item);
    const inputItems = toInputItems(own, stem);
    const { input: _input, ...rest } = body;
    const request = knownRequestFields(rest);
    const inputItemsJson = store ? JSON.stringify(inputItems) : '';
    const requestJson = store ? JSON.stringify(request) : '';
    if (store && inputItemsJson.length + requestJson.length > limits.maxStoredBytes) {
      throw GatewayError.invalidRequest(
        `A stored turn may hold at most ${limits.maxStoredBytes} characters of JSON in its input and request fields (this one has ${inputItemsJson.length + requestJson.length}); send it with store: false.`,
        'input',
      );
    }
    delete body.previous_response_id;
    delete body.background;
    body.store = false;
    return {
      id: newResponseId(),
      stem,
      keyId,
      store,
      background,
      previousResponseId,
      inputItems,
      request,
      inputItemsJson,
      requestJson,
      historyBytes: history.bytes,
      createdAt: Date.now(),
      streamedIds: [],
    };
  }

  /** The gateway's fields on the upstream's Response: our id, the state fields, unique item ids. */
  finalize(turn: Turn, response: Json): void {
    this.applyStateFields(turn, response);
    ensureUniqueOutputIds(response.output, turn.stem, turn.streamedIds);
  }

  applyStateFields(turn: Turn, response: Json): void {
    if (turn.store) response.id = turn.id;
    response.previous_response_id = turn.previousResponseId;
    response.store = turn.store;
    response.background = turn.background;
  }

  /** Rewrites a relayed stream's events to the gateway's ids (one per attempt that reaches the client). */
  streamRewriter(turn: Turn): StreamIdRewriter {
    return new StreamIdRewriter(turn, (response) => this.applyStateFields(turn, response));
  }

  /**
   * Stores a finished turn behind the answer (batched with other turns); follow-ups resolve from
   * the cache here and wait for the write at another replica (recent-writes.ts).
   */
  async commit(turn: Turn, response: Json, responseJson: string): Promise<void> {
    if (!turn.store) return;
    const status = statusOf(response);
    const row = this.row(turn, status, response, responseJson);
    this.cache.set(toStoredResponse(turn, status, response, row.expiresAt.getTime()), responseJson, row.inputItemsJson);
    this.rows.save(row);
  }

  /** A background response: stored as `queued` before the client hears of it. */
  async createBackground(turn: Turn, model: string): Promise<Json> {
    const response = queuedResponse(turn, model);
    const json = JSON.stringify(response);
    await this.writer.save(this.row(turn, 'queued', response, json));
    return response;
  }

  /** Runs a background response's work, tracked for cancel, heartbeats and shutdown. */
  runBackground(turn: Turn, work: (signal: AbortSignal) => Promise<void>): void {
    const task: BackgroundTask = { abort: new AbortController(), reason: null, done: Promise.resolve() };
    this.running.set(turn.id, task);
    task.done = (async () => {
      try {
        await this.repo.markInProgress(turn.id);
        await work(task.abort.signal);
        if (task.abort.signal.aborted) await this.endAborted(turn, task);
      } catch (err) {
        if (task.abort.signal.aborted) await this.endAborted(turn, task);
        else await this.repo.endUnfinished(turn.id, null, 'failed', gatewayErrorOf(err));
      } finally {
        this.running.delete(turn.id);
      }
    })().catch((err: unknown) => this.logger.error(`background response ${turn.id}: ${(err as Error).message}`));
  }

  /** A background response's outcome (unless it was cancelled meanwhile). */
  async completeBackground(turn: Turn, response: Json, responseJson: string): Promise<void> {
    const status = statusOf(response);
    const output = outputOf({ response } as StoredResponse);
    const took = await this.repo.finish(turn.id, turn.keyId, status, responseJson, isJson(response.error) ? response.error : null, output.map((i) => String(i.id)));
    if (took && !UNFINISHED.has(status)) {
      const expiresAt = turn.createdAt + this.config.responseRetentionDays * DAY_MS;
      this.cache.set(toStoredResponse(turn, status, response, expiresAt), responseJson, turn.inputItemsJson);
    }
  }

  // --- the endpoints -----------------------------------------------------------------------

  async get(keyId: string, id: string): Promise<StoredResponse> {
    if (!isStorableId(id)) throw notFound(id);
    const r = await this.recent.findOne(keyId, id);
    if (r === null) throw notFound(id);
    return r;
  }

  async delete(keyId: string, id: string): Promise<{ id: string; object: 'response'; deleted: true }> {
    if (!isStorableId(id) || !(await this.recent.delete(keyId, id))) throw notFound(id);
    this.cache.delete(id);
    const task = this.running.get(id);
    if (task !== undefined) {
      task.reason = 'delete';
      task.abort.abort();
    }
    return { id, object: 'response', deleted: true };
  }

  async cancel(keyId: string, id: string): Promise<Json> {
    const r = await this.get(keyId, id);
    if (!r.background) throw GatewayError.invalidRequest('Only background responses can be cancelled.', 'response_id');
    if (!UNFINISHED.has(r.status)) return r.response;
    const cancelled = await this.repo.endUnfinished(id, keyId, 'cancelled', null);
    const task = this.running.get(id);
    if (task !== undefined) {
      task.reason = 'cancel';
      task.abort.abort();
    }
    // Null: it finished meanwhile; report how.
    return cancelled ?? (await this.get(keyId, id)).response;
  }

  /** Graceful shutdown: background work may finish within the grace period, then it is failed with a reason. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    const tasks = [...this.running.values()];
    if (tasks.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.config.shutdownGraceMs);
      });
      await Promise.race([Promise.all(tasks.map((t) => t.done)), grace]);
      clearTimeout(timer);
      for (const t of this.running.values()) {
        t.reason = 'shutdown';
        t.abort.abort();
      }
      await Promise.all(tasks.map((t) => t.done));
    }
    await this.writer.idle();
  }

  // --- internals ---------------------------------------------------------------------------

  private async endAborted(turn: Turn, task: BackgroundTask): Promise<void> {
    // A cancel or delete already wrote its outcome; a shutdown must say why the work stopped.
    if (task.reason === 'shutdown' || (task.reason === null && this.shuttingDown)) {
      await this.repo.endUnfinished(turn.id, null, 'failed', { code: 'server_shutdown', message: 'The gateway shut down before the background response finished.' });
    }
  }

  private row(turn: Turn, status: StoredStatus, response: Json, responseJson: string): StoredResponseRow {
    const items: StoredResponseRow['items'] = [];
    turn.inputItems.forEach((item, position) => {
      if (typeof item.id === 'string') items.push({ source: 'input', position, itemId: item.id });
    });
    outputOf({ response } as StoredResponse).forEach((item, position) => {
      if (typeof item.id === 'string') items.push({ source: 'output', position, itemId: item.id });
    });
    const extra = response.extra_fields;
    // Upstream bodies shown to a privileged caller are not kept.
    if (isJson(extra) && ('raw_request' in extra || 'raw_response' in extra)) {
      const { raw_request: _rq, raw_response: _rs, ...kept } = extra;
      responseJson = JSON.stringify({ ...response, extra_fields: kept });
    }
    return {
      id: turn.id,
      keyId: turn.keyId,
      createdAt: new Date(turn.createdAt),
      expiresAt: new Date(turn.createdAt + this.config.responseRetentionDays * DAY_MS),
      status,
      background: turn.background,
      model: typeof response.model === 'string' ? response.model : String(turn.request.model ?? ''),
      previousResponseId: turn.previousResponseId,
      requestJson: turn.requestJson,
      inputItemsJson: turn.inputItemsJson,
      responseJson,
      errorJson: isJson(response.error) ? JSON.stringify(response.error) : null,
      items,
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

/**
 * The Responses request fields kept with a stored turn. Anything else passes through to the
 * provider but is not stored: unknown fields would otherwise be kept for a provider that drops them.
 */
const STORED_REQUEST_FIELDS = new Set([
  'model', 'instructions', 'tools', 'tool_choice', 'text', 'reasoning', 'temperature', 'top_p', 'max_output_tokens', 'max_tool_calls',
  'metadata', 'parallel_tool_calls', 'truncation', 'user', 'store', 'background', 'include', 'prompt_cache_key', 'safety_identifier',
  'service_tier', 'top_logprobs', 'stream', 'previous_response_id', 'prompt', 'conversation',
]);

function knownRequestFields(body: Json): Json {
  const out: Json = {};
  for (const key of Object.keys(body)) if (STORED_REQUEST_FIELDS.has(key)) out[key] = body[key];
  return out;
}

function outputOf(r: StoredResponse): Json[] {
  const output = r.response.output;
  return Array.isArray(output) ? (output as unknown[]).filter(isJson) : [];
}

const STATUSES = new Set<string>(['queued', 'in_progress', 'completed', 'incomplete', 'failed', 'cancelled']);

function statusOf(response: Json): StoredStatus {
  const s = response.status;
  return typeof s === 'string' && STATUSES.has(s) ? (s as StoredStatus) : 'completed';
}

function toStoredResponse(turn: Turn, status: StoredStatus, response: Json, expiresAt: number): StoredResponse {
  return {
    id: turn.id,
    keyId: turn.keyId,
    status,
    background: turn.background,
    model: typeof response.model === 'string' ? response.model : '',
    previousResponseId: turn.previousResponseId,
    inputItems: turn.inputItems,
    response,
    expiresAt,
  };
}

/** The Response a background request answers with at once (OpenAI's shape, status `queued`). */
function queuedResponse(turn: Turn, model: string): Json {
  const r = turn.request;
  return {
    id: turn.id,
    object: 'response',
    created_at: Math.floor(turn.createdAt / 1000),
    status: 'queued',
    background: true,
    error: null,
    incomplete_details: null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: turn.previousResponseId,
    reasoning: r.reasoning ?? { effort: null, summary: null },
    store: true,
    temperature: r.temperature ?? 1,
    text: r.text ?? { format: { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: r.tools ?? [],
    top_p: r.top_p ?? 1,
    truncation: r.truncation ?? 'disabled',
    usage: null,
    user: r.user ?? null,
    metadata: r.metadata ?? {},
  };
}
