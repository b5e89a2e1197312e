import { type Json, isJson, splitModelId } from '@app/common';
import { randomBytes } from 'node:crypto';
import type { CallContext, ParsedResponse, ResponsesRequest, ResponsesStreamEvent, TerminalStatus, UpstreamErrorInfo, Usage } from '../types';
import { ZERO_USAGE } from '../types';
import { ToolNames } from './tool-names';

/**
 * Provider-neutral happenings -> the exact OpenAI Responses stream (and the final Response
 * object), for every provider without a native Responses API. The official SDK's
 * `responses.stream()` and the AI SDK are strict (see responses-api-notes.md): one
 * `response.created` first, item ids on every item event, output_index allocated in order,
 * content_index continuity, increasing sequence_number, every opened part/item closed
 * before `response.completed`, and the final output holding the items exactly as streamed.
 */

/** The client's request, echoed into the Response object (instructions, tools, ...). */
export interface BuilderOptions {
  /** The model name to report (usually what the upstream said it ran). */
  model: string;
  requestBody?: ResponsesRequest | null;
  /** Unix seconds; defaults to now. */
  createdAt?: number;
  /** When false, no event JSON is produced (used by buildResponse for non-streaming calls). */
  emit?: boolean;
}

/**
 * What a translating adapter knows of the request when it parses an answer: passed as the
 * optional argument of parseResponse / createStreamTranslator, so the Response can echo
 * instructions, tools, etc. Without it those fields take their defaults.
 */
export type TranslationContext = CallContext;

/** The model to report before the upstream said: the context's, else the request's without its provider prefix. */
export function contextModel(ctx: TranslationContext | undefined): string {
  if (ctx?.upstreamModel) return ctx.upstreamModel;
  const m = ctx?.requestBody?.model;
  if (typeof m !== 'string' || m === '') return 'unknown';
  return splitModelId(m)?.model ?? m;
}

export type ResponseStatus = 'completed' | 'incomplete';
export type IncompleteReason = 'max_output_tokens' | 'content_filter';

/** How an upstream answer ended, for providers whose stop reasons include failures. */
export type Outcome =
  /** `stopSequence`: the answer ended at one of the request's stop sequences (null: the provider does not say which). */
  | { status: 'completed'; stopSequence?: string | null }
  | { status: 'incomplete'; reason: IncompleteReason }
  | { status: 'failed'; code: string; message: string };

export interface FinishOptions {
  status: ResponseStatus;
  /** Required with status 'incomplete'; defaults to 'max_output_tokens'. */
  incompleteReason?: IncompleteReason;
  usage?: Usage;
  /** See Outcome: reported as the gateway's `stop_sequence` field of the Response. */
  stopSequence?: string | null;
}

/** What `fail()` and `error()` carry; `code` becomes `response.error.code`. */
export interface BuilderError {
  message: string;
  code?: string | null;
  type?: string | null;
  param?: string | null;
}

interface MessageState {
  kind: 'message';
  index: number;
  id: string;
  text: string;
  /** `url_citation`s and the like, on the message's one output_text part. */
  annotations: Json[];
  partOpen: boolean;
  done: boolean;
}

interface ReasoningState {
  kind: 'reasoning';
  index: number;
  id: string;
  /** One entry per summary part; the last is open until the item closes. */
  summary: string[];
  partOpen: boolean;
  encryptedContent: string | null;
  done: boolean;
}

interface FunctionCallState {
  kind: 'function_call';
  index: number;
  id: string;
  callId: string;
  name: string;
  /** The namespace tool the function belongs to, as the client declared it. */
  namespace: string | null;
  args: string;
  done: boolean;
}

/** A search the provider ran itself (Anthropic's web search, Gemini's grounding). */
interface WebSearchState {
  kind: 'web_search_call';
  index: number;
  id: string;
  action: Json;
  failed: boolean;
  done: boolean;
}

type ItemState = MessageState | ReasoningState | FunctionCallState | WebSearchState;


/** One random stem per response; items add a counter. Cheaper than a UUID per item. */
function idStem(): string {
  return randomBytes(12).toString('hex');
}

const q = JSON.stringify;
const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

/**
 * `input_tokens_details.cache_write_tokens` is the gateway's: the Responses API has no field for
 * prompt-cache writes (Anthropic, Bedrock), which the Messages answer reports and pricing charges.
 */
export function usageToResponses(u: Usage): Json {
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: u.cacheWriteTokens ? { cached_tokens: u.cachedTokens, cache_write_tokens: u.cacheWriteTokens } : { cached_tokens: u.cachedTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.totalTokens,
  };
}

/** A token count off a provider's usage: a finite number, else 0. */
export function tokenCount(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Adds total_tokens when a provider reports only input and output. */
export function makeUsage(inputTokens: number, outputTokens: number, cachedTokens = 0, reasoningTokens = 0): Usage {
  return { inputTokens, cachedTokens, outputTokens, reasoningTokens, totalTokens: inputTokens + outputTokens };
}

export class ResponsesStreamBuilder {
  readonly id: string;
  model: string;
  private readonly stem: string;
  private readonly createdAt: number;
  private readonly request: ResponsesRequest | null;
  private readonly emit: boolean;
  private seq = 0;
  private itemCounter = 0;
  private readonly items: ItemState[] = [];
  /** The message or reasoning item deltas currently go to (null when none is open). */
  private current: MessageState | ReasoningState | null = null;
  private readonly callsById = new Map<string, FunctionCallState>();
  /** Flattened namespaced function names back to the client's. */
  private readonly toolNames: ToolNames;
  private lastCall: FunctionCallState | null = null;
  private startedFlag = false;

  /** Set by finish()/fail()/error(): what a StreamTranslator reports as `terminal`. */
  terminal: TerminalStatus | null = null;
  usage: Usage = ZERO_USAGE;
  streamError: UpstreamErrorInfo | null = null;
  private status: 'in_progress' | 'completed' | 'incomplete' | 'failed' = 'in_progress';
  private incompleteReason: IncompleteReason | null = null;
  private errorObj: { code: string; message: string } | null = null;
  private completedAt: number | null = null;
  private stopSequence: string | null | undefined;

  constructor(opts: BuilderOptions) {
    this.stem = idStem();
    this.id = `resp_${this.stem}`;
    this.model = opts.model;
    this.request = opts.requestBody ?? null;
    this.toolNames = ToolNames.of(this.request);
    this.createdAt = opts.createdAt ?? Math.floor(Date.now() / 1000);
    this.emit = opts.emit !== false;
  }

  get started(): boolean {
    return this.startedFlag;
  }

  /** Whether any output item was opened (a failure before that may still fall back). */
  get hasOutput(): boolean {
    return this.items.length > 0;
  }

  /** `response.created` + `response.in_progress`. Idempotent: later calls return []. */
  start(): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    this.ensureStarted(out);
    return out;
  }

  /** Appends text to the open message item, opening one (and its output_text part) if needed. */
  textDelta(text: string): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    this.ensureStarted(out);
    let msg = this.current;
    if (msg === null || msg.kind !== 'message') {
      this.closeAll(out);
      msg = this.openMessage(out);
    }
    if (text === '') return out;
    msg.text += text;
    if (this.emit) {
      out.push({
        type: 'response.output_text.delta',
        data: `{"type":"response.output_text.delta","sequence_number":${this.seq++},"item_id":"${msg.id}","output_index":${msg.index},"content_index":0,"delta":${q(text)},"logprobs":[]}`,
      });
    }
    return out;
  }

  /** Opens a new reasoning item (closing any open item) whose summary parts open with their text. */
  reasoningStart(): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    this.closeAll(out);
    this.openReasoningIfNeeded(out);
    return out;
  }

  /** Appends reasoning summary text to the open reasoning item, opening one if needed. */
  reasoningDelta(text: string): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    const r = this.openReasoningIfNeeded(out);
    if (!r.partOpen) this.openSummaryPart(r, out);
    if (text === '') return out;
    const i = r.summary.length - 1;
    r.summary[i] += text;
    if (this.emit) {
      out.push({
        type: 'response.reasoning_summary_text.delta',
        data: `{"type":"response.reasoning_summary_text.delta","sequence_number":${this.seq++},"item_id":"${r.id}","output_index":${r.index},"summary_index":${i},"delta":${q(text)}}`,
      });
    }
    return out;
  }

  /**
   * Opaque provider data that must travel with the reasoning (Anthropic's thinking signature,
   * redacted thinking): kept as the item's `encrypted_content`. Opens a reasoning item if none is.
   */
  reasoningEncryptedContent(data: string): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    const r = this.openReasoningIfNeeded(out);
    r.encryptedContent = (r.encryptedContent ?? '') + data;
    return out;
  }

  /**
   * Opens a function_call item. Message/reasoning items are closed first; other open calls
   * stay open (chat providers may interleave the arguments of parallel calls).
   */
  functionCallStart(callId: string, name: string): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    this.ensureStarted(out);
    this.closeCurrent(out);
    const client = this.toolNames.client(name);
    const fc: FunctionCallState = {
      kind: 'function_call', index: this.items.length, id: this.itemId('fc'), callId, name: client.name, namespace: client.namespace, args: '', done: false,
    };
    this.items.push(fc);
    this.callsById.set(callId, fc);
    this.lastCall = fc;
    if (this.emit) {
      this.push(out, 'response.output_item.added', { output_index: fc.index, item: this.functionCallItem(fc, 'in_progress') });
    }
    return out;
  }

  /**
   * Appends argument JSON text to the call `callId` (default: the last opened call). A delta
   * for an unknown or already closed call yields nothing: a closed item cannot change, and
   * odd upstream data must not break the stream.
   */
  functionCallArgsDelta(delta: string, callId?: string): ResponsesStreamEvent[] {
    const fc = callId === undefined ? this.lastCall : this.callsById.get(callId);
    if (!fc || fc.done || delta === '') return [];
    fc.args += delta;
    if (!this.emit) return [];
    return [{
      type: 'response.function_call_arguments.delta',
      data: `{"type":"response.function_call_arguments.delta","sequence_number":${this.seq++},"item_id":"${fc.id}","output_index":${fc.index},"delta":${q(delta)}}`,
    }];
  }

  /** Closes the call `callId` (default: the last opened call). */
  functionCallDone(callId?: string): ResponsesStreamEvent[] {
    const fc = callId === undefined ? this.lastCall : this.callsById.get(callId);
    const out: ResponsesStreamEvent[] = [];
    if (fc && !fc.done) this.closeItem(fc, out);
    return out;
  }

  /** Length of the open message's text (0 when none is open): where the next text delta starts. */
  get openTextLength(): number {
    return this.current?.kind === 'message' ? this.current.text.length : 0;
  }

  /**
   * A `url_citation` (or other annotation) on the open message's text, which must already hold
   * the span it cites; nothing when no message is open.
   */
  textAnnotation(annotation: Json): ResponsesStreamEvent[] {
    const msg = this.current;
    if (msg === null || msg.kind !== 'message') return [];
    msg.annotations.push(annotation);
    const out: ResponsesStreamEvent[] = [];
    if (this.emit) {
      this.push(out, 'response.output_text.annotation.added', {
        item_id: msg.id, output_index: msg.index, content_index: 0, annotation_index: msg.annotations.length - 1, annotation,
      });
    }
    return out;
  }

  /**
   * A whole `web_search_call` item, for a search the provider ran and reported at once: its
   * added, in_progress, searching, completed (or failed) and done events.
   */
  webSearchCall(action: Json, failed = false): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    this.ensureStarted(out);
    this.closeCurrent(out);
    const ws: WebSearchState = { kind: 'web_search_call', index: this.items.length, id: this.itemId('ws'), action, failed, done: false };
    this.items.push(ws);
    if (this.emit) {
      this.push(out, 'response.output_item.added', { output_index: ws.index, item: { id: ws.id, type: 'web_search_call', status: 'in_progress', action } });
      this.push(out, 'response.web_search_call.in_progress', { item_id: ws.id, output_index: ws.index });
      this.push(out, 'response.web_search_call.searching', { item_id: ws.id, output_index: ws.index });
    }
    this.closeItem(ws, out);
    return out;
  }

  /** Closes whatever item is open (e.g. at a provider's content-block end). */
  closeOpenItems(): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    this.closeAll(out);
    return out;
  }

  /** Closes every open part and item, then `response.completed` or `response.incomplete`. */
  finish(opts: FinishOptions): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    if (this.terminal !== null) return out;
    this.ensureStarted(out);
    this.closeAll(out);
    if (opts.usage) this.usage = opts.usage;
    this.status = opts.status;
    if (opts.status === 'completed') this.completedAt = Math.floor(Date.now() / 1000);
    this.incompleteReason = opts.status === 'incomplete' ? (opts.incompleteReason ?? 'max_output_tokens') : null;
    if (opts.status === 'completed') this.stopSequence = opts.stopSequence;
    this.terminal = opts.status;
    if (this.emit) this.push(out, opts.status === 'completed' ? 'response.completed' : 'response.incomplete', { response: this.response() });
    return out;
  }

  /** finish(), or fail() for a failed outcome. */
  end(outcome: Outcome, usage: Usage): ResponsesStreamEvent[] {
    if (outcome.status === 'failed') return this.fail({ code: outcome.code, message: outcome.message }, usage);
    return this.finish(outcome.status === 'completed' ? { status: 'completed', stopSequence: outcome.stopSequence, usage } : { status: outcome.status, incompleteReason: outcome.reason, usage });
  }

  /**
   * `response.failed` carrying the error, for a provider failing mid-answer. Open items stay
   * as they were (status in_progress), which is what OpenAI sends too.
   */
  fail(err: BuilderError, usage?: Usage): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    if (this.terminal !== null) return out;
    this.ensureStarted(out);
    if (usage) this.usage = usage;
    this.status = 'failed';
    this.errorObj = { code: err.code ?? 'server_error', message: err.message };
    this.terminal = 'failed';
    this.streamError = { message: err.message, type: err.type ?? null, code: err.code ?? null, param: err.param ?? null };
    if (this.emit) this.push(out, 'response.failed', { response: this.response() });
    return out;
  }

  /**
   * A stream the gateway cut off after it began (upstream gone, idle timeout): an `error`
   * event, then `response.failed` with the response as it stood, as the Open Responses spec
   * has every error in a stream end.
   */
  abort(err: BuilderError): ResponsesStreamEvent[] {
    if (this.terminal !== null) return [];
    const out: ResponsesStreamEvent[] = [];
    this.ensureStarted(out);
    if (this.emit) this.push(out, 'error', errorEventFields(err));
    out.push(...this.fail(err));
    return out;
  }

  /**
   * A bare `error` event. Before anything was sent this is the single event the gateway
   * recognises as "failed before producing anything", so it can retry or fall back; after
   * `start()` prefer fail().
   */
  error(err: BuilderError): ResponsesStreamEvent[] {
    if (this.terminal !== null) return [];
    this.terminal = 'error';
    this.streamError = { message: err.message, type: err.type ?? null, code: err.code ?? null, param: err.param ?? null };
    if (!this.emit) return [];
    const out: ResponsesStreamEvent[] = [];
    this.push(out, 'error', errorEventFields(err));
    return out;
  }

  /** The Response object as it stands (complete once finish()/fail() ran). */
  response(): Json {
    const req = this.request ?? ({} as Partial<ResponsesRequest>);
    const reasoning = req.reasoning as Json | undefined;
    const u = this.status === 'in_progress' ? null : usageToResponses(this.usage);
    // Every field of the Open Responses `ResponseResource` is present, with OpenAI's defaults.
    return {
      id: this.id,
      object: 'response',
      created_at: this.createdAt,
      status: this.status,
      background: false,
      completed_at: this.completedAt,
      error: this.errorObj,
      incomplete_details: this.incompleteReason === null ? null : { reason: this.incompleteReason },
      instructions: typeof req.instructions === 'string' ? req.instructions : null,
      max_output_tokens: typeof req.max_output_tokens === 'number' ? req.max_output_tokens : null,
      max_tool_calls: typeof req.max_tool_calls === 'number' ? req.max_tool_calls : null,
      model: this.model,
      output: this.status === 'in_progress' ? [] : this.items.map((it) => this.itemJson(it)),
      parallel_tool_calls: typeof req.parallel_tool_calls === 'boolean' ? req.parallel_tool_calls : true,
      presence_penalty: typeof req.presence_penalty === 'number' ? req.presence_penalty : 0,
      frequency_penalty: typeof req.frequency_penalty === 'number' ? req.frequency_penalty : 0,
      previous_response_id: typeof req.previous_response_id === 'string' ? req.previous_response_id : null,
      prompt_cache_key: typeof req.prompt_cache_key === 'string' ? req.prompt_cache_key : null,
      reasoning: { effort: reasoning?.effort ?? null, summary: reasoning?.summary ?? null },
      safety_identifier: typeof req.safety_identifier === 'string' ? req.safety_identifier : null,
      service_tier: typeof req.service_tier === 'string' ? req.service_tier : 'default',
      store: typeof req.store === 'boolean' ? req.store : true,
      temperature: typeof req.temperature === 'number' ? req.temperature : 1,
      text: isJson(req.text) ? { format: { type: 'text' }, ...req.text } : { format: { type: 'text' } },
      tool_choice: req.tool_choice ?? 'auto',
      tools: echoTools(req.tools),
      top_logprobs: typeof req.top_logprobs === 'number' ? req.top_logprobs : 0,
      top_p: typeof req.top_p === 'number' ? req.top_p : 1,
      truncation: typeof req.truncation === 'string' ? req.truncation : 'disabled',
      usage: u,
      user: typeof req.user === 'string' ? req.user : null,
      metadata: isJson(req.metadata) ? req.metadata : {},
      // The gateway's: only when the request's stop sequences (Chat `stop`, Messages
      // `stop_sequences`, which the Responses API lacks) ended the answer.
      ...(this.stopSequence !== undefined && { stop_sequence: this.stopSequence }),
    };
  }

  // --- internals -------------------------------------------------------------------------

  private ensureStarted(out: ResponsesStreamEvent[]): void {
    if (this.startedFlag) return;
    this.startedFlag = true;
    if (!this.emit) return;
    const response = this.response();
    this.push(out, 'response.created', { response });
    this.push(out, 'response.in_progress', { response });
  }

  private push(out: ResponsesStreamEvent[], type: string, fields: Json): void {
    const event = { type, sequence_number: this.seq++, ...fields };
    // Terminal events travel parsed too: the relay adds fields to them without a second parse.
    out.push(TERMINAL_EVENTS.has(type) ? { type, data: JSON.stringify(event), parsed: event } : { type, data: JSON.stringify(event) });
  }

  private itemId(prefix: 'msg' | 'fc' | 'rs' | 'ws'): string {
    return `${prefix}_${this.stem}${(this.itemCounter++).toString(16).padStart(2, '0')}`;
  }

  private openMessage(out: ResponsesStreamEvent[]): MessageState {
    const msg: MessageState = { kind: 'message', index: this.items.length, id: this.itemId('msg'), text: '', annotations: [], partOpen: true, done: false };
    this.items.push(msg);
    this.current = msg;
    if (this.emit) {
      this.push(out, 'response.output_item.added', {
        output_index: msg.index,
        item: { id: msg.id, type: 'message', status: 'in_progress', content: [], role: 'assistant' },
      });
      this.push(out, 'response.content_part.added', { item_id: msg.id, output_index: msg.index, content_index: 0, part: textPart('') });
    }
    return msg;
  }

  private openReasoningIfNeeded(out: ResponsesStreamEvent[]): ReasoningState {
    this.ensureStarted(out);
    const cur = this.current;
    if (cur !== null && cur.kind === 'reasoning') return cur;
    this.closeAll(out);
    const r: ReasoningState = { kind: 'reasoning', index: this.items.length, id: this.itemId('rs'), summary: [], partOpen: false, encryptedContent: null, done: false };
    this.items.push(r);
    this.current = r;
    if (this.emit) this.push(out, 'response.output_item.added', { output_index: r.index, item: { id: r.id, type: 'reasoning', summary: [] } });
    return r;
  }

  private openSummaryPart(r: ReasoningState, out: ResponsesStreamEvent[]): void {
    r.summary.push('');
    r.partOpen = true;
    if (this.emit) {
      this.push(out, 'response.reasoning_summary_part.added', {
        item_id: r.id, output_index: r.index, summary_index: r.summary.length - 1, part: { type: 'summary_text', text: '' },
      });
    }
  }

  private closeCurrent(out: ResponsesStreamEvent[]): void {
    if (this.current !== null) this.closeItem(this.current, out);
  }

  private closeAll(out: ResponsesStreamEvent[]): void {
    for (const it of this.items) if (!it.done) this.closeItem(it, out);
  }

  private closeItem(it: ItemState, out: ResponsesStreamEvent[]): void {
    it.done = true;
    if (this.current === it) this.current = null;
    if (this.lastCall === it) this.lastCall = null;
    if (!this.emit) {
      if (it.kind === 'function_call' && it.args === '') it.args = '{}';
      return;
    }
    if (it.kind === 'message') {
      this.push(out, 'response.output_text.done', { item_id: it.id, output_index: it.index, content_index: 0, text: it.text, logprobs: [] });
      this.push(out, 'response.content_part.done', { item_id: it.id, output_index: it.index, content_index: 0, part: textPart(it.text, it.annotations) });
    } else if (it.kind === 'web_search_call') {
      // The stream has no event for a failed search: the item's status says it.
      this.push(out, 'response.web_search_call.completed', { item_id: it.id, output_index: it.index });
    } else if (it.kind === 'reasoning') {
      if (it.partOpen) {
        const i = it.summary.length - 1;
        const text = it.summary[i];
        this.push(out, 'response.reasoning_summary_text.done', { item_id: it.id, output_index: it.index, summary_index: i, text });
        this.push(out, 'response.reasoning_summary_part.done', { item_id: it.id, output_index: it.index, summary_index: i, part: { type: 'summary_text', text } });
      }
    } else {
      // A call without arguments (Anthropic sends an empty input_json_delta) still needs JSON text.
      if (it.args === '') {
        it.args = '{}';
        this.push(out, 'response.function_call_arguments.delta', { item_id: it.id, output_index: it.index, delta: '{}' });
      }
      this.push(out, 'response.function_call_arguments.done', { item_id: it.id, output_index: it.index, arguments: it.args });
    }
    if (it.kind === 'reasoning') it.partOpen = false;
    this.push(out, 'response.output_item.done', { output_index: it.index, item: this.itemJson(it) });
  }

  private functionCallItem(fc: FunctionCallState, status: string): Json {
    const item: Json = { id: fc.id, type: 'function_call', status, arguments: fc.args, call_id: fc.callId, name: fc.name };
    if (fc.namespace !== null) item.namespace = fc.namespace;
    return item;
  }

  private itemJson(it: ItemState): Json {
    const status = it.done ? 'completed' : this.status === 'failed' ? 'in_progress' : 'incomplete';
    if (it.kind === 'message') {
      return { id: it.id, type: 'message', status, content: [textPart(it.text, it.annotations)], role: 'assistant' };
    }
    if (it.kind === 'web_search_call') {
      return { id: it.id, type: 'web_search_call', status: it.failed ? 'failed' : 'completed', action: it.action };
    }
    if (it.kind === 'reasoning') {
      const item: Json = { id: it.id, type: 'reasoning', summary: it.summary.map((text) => ({ type: 'summary_text', text })) };
      if (it.encryptedContent !== null) item.encrypted_content = it.encryptedContent;
      return item;
    }
    return this.functionCallItem(it, status);
  }
}

/**
 * The request's tools as a Response echoes them: function tools with every field OpenAI
 * returns (`description`, `parameters`, `strict` null when not given); others as sent.
 */
export function echoTools(tools: unknown): unknown[] {
  if (!Array.isArray(tools)) return [];
  return tools.map((t: unknown) => {
    if (!isJson(t) || t.type !== 'function') return t;
    return { ...t, description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? null };
  });
}

/**
 * An `error` event's fields: flat, as OpenAI documents it and the official SDK reads it, and
 * nested under `error` with a type, as real streams and the Open Responses spec carry it.
 */
export function errorEventFields(err: BuilderError): Json {
  const code = err.code ?? null;
  const param = err.param ?? null;
  return { code, message: err.message, param, error: { type: err.type ?? 'server_error', code, message: err.message, param } };
}

function textPart(text: string, annotations: Json[] = []): Json {
  return { type: 'output_text', annotations, logprobs: [], text };
}


/** A neutral output piece for non-streaming answers; consecutive texts join one message. */
export type OutputPiece =
  /** `citations` cite the piece's whole text. */
  | { type: 'text'; text: string; citations?: UrlCitation[] }
  | { type: 'web_search_call'; action: Record<string, unknown>; failed?: boolean }
  /** An annotation on the open message's text (absolute offsets). */
  | { type: 'annotation'; annotation: Record<string, unknown> }
  | { type: 'reasoning'; text: string; encryptedContent?: string }
  | { type: 'function_call'; callId: string; name: string; arguments: string };

export interface UrlCitation {
  url: string;
  title: string | null;
}

/** `url_citation` annotations for the span [start, end) of a message's text. */
export function urlCitations(citations: readonly UrlCitation[], start: number, end: number): Json[] {
  return citations.map((c) => ({ type: 'url_citation', url: c.url, title: c.title ?? c.url, start_index: start, end_index: end }));
}

export interface BuildResponseOptions extends BuilderOptions {
  output: OutputPiece[];
  status: ResponseStatus | 'failed';
  incompleteReason?: IncompleteReason;
  error?: BuilderError;
  usage: Usage;
  stopSequence?: string | null;
}

/**
 * A translated non-streaming answer: its Response (reporting `model`, by default the one the
 * call context names, and echoing the request) and its usage.
 */
export function parsedResponse(output: OutputPiece[], usage: Usage, outcome: Outcome, ctx: CallContext | undefined, model = contextModel(ctx)): ParsedResponse {
  const response = buildResponse({
    model,
    requestBody: ctx?.requestBody,
    output,
    usage,
    status: outcome.status,
    incompleteReason: outcome.status === 'incomplete' ? outcome.reason : undefined,
    stopSequence: outcome.status === 'completed' ? outcome.stopSequence : undefined,
    error: outcome.status === 'failed' ? { code: outcome.code, message: outcome.message } : undefined,
  });
  return { response, usage };
}

/**
 * The non-streaming Response object, built by the same machinery as the stream so that
 * item shapes never diverge between the two.
 */
export function buildResponse(opts: BuildResponseOptions): Json {
  const b = new ResponsesStreamBuilder({ ...opts, emit: false });
  b.start();
  let previous: OutputPiece['type'] | null = null;
  for (const p of opts.output) {
    if (p.type === 'text') {
      const start = b.openTextLength;
      b.textDelta(p.text);
      for (const a of urlCitations(p.citations ?? [], start, start + p.text.length)) b.textAnnotation(a);
    } else if (p.type === 'web_search_call') b.webSearchCall(p.action, p.failed);
    else if (p.type === 'annotation') {
      b.textAnnotation(p.annotation);
      continue;
    }
    else if (p.type === 'reasoning') {
      // Each reasoning piece is its own item (one thinking block, one signature).
      if (previous === 'reasoning') b.closeOpenItems();
      if (p.text !== '' || p.encryptedContent === undefined) b.reasoningDelta(p.text);
      if (p.encryptedContent !== undefined) b.reasoningEncryptedContent(p.encryptedContent);
    } else {
      b.functionCallStart(p.callId, p.name);
      b.functionCallArgsDelta(p.arguments);
      b.functionCallDone(p.callId);
    }
    previous = p.type;
  }
  if (opts.status === 'failed') b.fail(opts.error ?? { message: 'upstream response failed' }, opts.usage);
  else b.finish({ status: opts.status, incompleteReason: opts.incompleteReason, usage: opts.usage, stopSequence: opts.stopSequence });
  return b.response();
}
