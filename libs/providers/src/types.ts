import type { ProviderConfig, UpstreamKey } from '@app/common';

/** An Anthropic prompt-cache breakpoint, as a Messages client marked a block. */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

/*
 * Gateway-only parts of the canonical request, which the Responses API has no field for. They
 * sit under symbol keys: JSON.stringify (every pass-through body) leaves them out, so they can
 * never reach a provider that does not understand them, and no client JSON can set them.
 */
/** On an input content part, a message item, a function_call(_output) item or a function tool: a cache breakpoint after it. */
export const CACHE_CONTROL: unique symbol = Symbol('gateway.cache_control');
/** On the request: sequences that end the answer (Chat `stop`, Messages `stop_sequences`). */
export const STOP_SEQUENCES: unique symbol = Symbol('gateway.stop_sequences');

/** A canonical object that may carry a cache breakpoint. */
export interface CacheMarkable {
  [CACHE_CONTROL]?: CacheControl;
}

/** The Responses API request as the gateway sees it: a few known fields, the rest passed through. */
export interface ResponsesRequest {
  model: string;
  input?: unknown;
  stream?: boolean;
  [STOP_SEQUENCES]?: string[];
  [field: string]: unknown;
}

/** The cache breakpoint on a canonical object, if any. */
export function cacheControlOf(value: unknown): CacheControl | null {
  return typeof value === 'object' && value !== null ? ((value as CacheMarkable)[CACHE_CONTROL] ?? null) : null;
}

/** Token counts normalised across providers so that cost works the same for all. */
export interface Usage {
  inputTokens: number;
  cachedTokens: number;
  /** Input tokens written to a prompt cache (Anthropic, Bedrock), part of inputTokens. */
  cacheWriteTokens?: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

export const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, cachedTokens: 0, outputTokens: 0, reasoningTokens: 0, totalTokens: 0 });

export interface BuildRequestInput {
  /** The client's body with `model` and gateway-only fields (`fallbacks`) removed. */
  body: ResponsesRequest;
  /** The model name the provider understands (from resolveModel). */
  upstreamModel: string;
  stream: boolean;
  provider: ProviderConfig;
  key: UpstreamKey;
}

/** Everything the shared executor needs to make the call; adapters never touch the network. */
export interface UpstreamRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /**
   * Tools the request offered that the provider has no equivalent for and that were left out
   * (the response reports them in `extra_fields.dropped_tools`).
   */
  droppedTools?: string[];
  /** POST unless said (model lists are GETs, with an empty body). */
  method?: 'GET' | 'POST';
}

/**
 * The top-level members of a Response the gateway splices around (`usage` gets the cost,
 * `extra_fields` is its own), then those a stored turn reads or sets (ResponseScan.members).
 */
export const RESPONSE_MEMBERS: readonly string[] = ['usage', 'extra_fields', 'id', 'previous_response_id', 'store', 'background', 'status', 'model', 'error', 'output'];

export interface ParsedResponse {
  /** The OpenAI Response object to return to the client (a pass-through may parse it on first read). */
  readonly response: Record<string, unknown>;
  usage: Usage;
  /**
   * The upstream body when `response` is exactly its parse (pass-through providers): the
   * gateway then splices its own fields into this text instead of re-serialising the object.
   */
  json?: string;
  /**
   * With `json`, when the adapter walked its text: where the Response's own `usage` object opens
   * in it (-1: it has none), and the text is one JSON object without `extra_fields` at its top.
   * Absent: the gateway learns these from `response`.
   */
  usageAt?: number;
  /** With a `usageAt` other than -1: where that usage object ends (exclusive), as the walk found it. */
  usageEnd?: number;
  /** With `usageAt`, when the call asked for it (CallContext.memberSpans): what the walk read of `json` for a stored turn. */
  scan?: ResponseScan;
}

/** A Response's text as the walk for a stored turn reads it (scanResponse). */
export interface ResponseScan {
  /**
   * Where the value of each of RESPONSE_MEMBERS starts and ends, `members[2k]` and
   * `members[2k + 1]` for the k-th (-1: absent), each a key the text has at most once.
   */
  readonly members: readonly number[];
  /**
   * Where output item i's `id` value starts and ends, `itemIds[2i]` and `itemIds[2i + 1]` (-1:
   * absent); null when the output is not an array of objects whose keys read plainly (ObjectScan).
   */
  readonly itemIds: readonly number[] | null;
  /** The text holds no backslash and no control character. */
  readonly plain: boolean;
}

/** scanResponse of a terminal event's Response, which spans `[start, end)` of the event (the scan's positions are the event's). */
export interface TerminalResponseScan extends ResponseScan {
  readonly start: number;
  readonly end: number;
}

export interface UpstreamErrorInfo {
  message: string;
  type: string | null;
  code: string | null;
  param: string | null;
}

/** One server-sent event as read off the wire. */
export interface SseEvent {
  event: string | null;
  data: string;
  /**
   * The event's text as it came, `event: ${event}\ndata: ${data}` less the data's last character,
   * when it came exactly so (its two lines adjacent, each field with one space after its colon,
   * the first ended by `\n`) within one read; else undefined. A relay that passes the event on
   * unchanged writes it from here (SseParser.push).
   */
  head?: string;
}

/** A Responses stream event ready to be framed; `data` is its JSON text. */
export interface ResponsesStreamEvent {
  type: string;
  data: string;
  /** `data` parsed, when the translator parsed it anyway (terminal events): spares the relay a second parse. */
  parsed?: Record<string, unknown>;
  /** Where a terminal event's objects lie in `data`, when the translator found its usage in the text (and so left `parsed` unset). */
  at?: TerminalEventAt;
  /** SseEvent.head of the upstream event whose type and data these are, unchanged (a pass-through translator's). */
  head?: string;
}

/** Positions in a terminal event's text, as uniqueObjectsAt and objectEnd find them, or scanTerminalEvent. */
export interface TerminalEventAt {
  /** The `{` of the event's `response` (-1: not plainly there). */
  response: number;
  /** The `{` of `response.usage`, and the end (exclusive) of that object. */
  usage: number;
  usageEnd: number;
  /**
   * With CallContext.memberSpans: the event walked whole (one JSON object, its Response an
   * object, no `extra_fields`) and its Response as a stored turn reads it; the walk found the
   * usage (`usage` is -1 when the Response's is not an object). Null: walked so and unreadable,
   * the usage found as without memberSpans (storedEvent leaves it to the parse, not walking it
   * again). Absent: not walked so.
   */
  stored?: TerminalResponseScan | null;
}

export type TerminalStatus = 'completed' | 'incomplete' | 'failed' | 'error';

/**
 * Turns one provider's stream into the Responses event sequence. Adapters for providers that
 * already speak Responses hand the events through untouched; others build the sequence.
 */
export interface StreamTranslator {
  push(event: SseEvent): ResponsesStreamEvent[];
  /** Set once the terminal event was seen; a stream that ends without it is truncated. */
  readonly terminal: TerminalStatus | null;
  /** Usage reported so far (final once `terminal` is set). */
  readonly usage: Usage;
  /** The error carried by a `response.failed` or `error` event. */
  readonly streamError: UpstreamErrorInfo | null;
  /** Characters of output streamed so far: the usage estimate of a stream cut before its usage. */
  readonly streamedChars?: number;
  /**
   * An event it returns without `parsed` carries the upstream event's own text as its `data`
   * (the relay may then take it to be as ASCII as the upstream's bytes; its type is checked).
   */
  readonly passesText?: boolean;
  /**
   * The events that end a stream the gateway cuts off before its terminal event: `error`,
   * then `response.failed` when the response had started. Absent: a bare `error` event.
   */
  abort?(err: { message: string; code: string }): ResponsesStreamEvent[];
}

/**
 * What the call was, for translating adapters whose upstream does not echo it (Bedrock's
 * Converse names no model; the Response object echoes the request's instructions and tools).
 */
export interface CallContext {
  /** The client's body as given to buildRequest. */
  requestBody?: ResponsesRequest | null;
  /** The model name sent upstream (BuildRequestInput.upstreamModel). */
  upstreamModel?: string;
  /**
   * The caller reads the Response object itself (another wire format's encoder, a stored turn
   * it cannot edit as text), not only the upstream's text: a pass-through adapter parses the
   * body at once.
   */
  needsResponse?: boolean;
  /**
   * The caller edits a stored turn's Response as text: a pass-through adapter that walked the
   * body reports what the walk read (ParsedResponse.scan), and its stream translator walks a
   * finished terminal event so (TerminalEventAt.stored).
   */
  memberSpans?: boolean;
}

/**
 * Splits a non-SSE upstream stream (Bedrock's AWS binary event-stream) into events for the
 * translator, in place of SseParser. Bytes may be split anywhere.
 */
export interface StreamDecoder {
  push(chunk: Buffer): SseEvent[];
  /** Every byte read so far was ASCII, and so is every event's text (absent: not known). */
  readonly ascii?: boolean;
  /** At end of input: whether a partial frame was left over (the stream was cut). */
  end(): { incomplete: boolean };
}

export interface ProviderAdapter {
  /** The name the upstream knows a requested model by (aliases; Azure: deployment). */
  resolveModel(provider: ProviderConfig, model: string): string;
  buildRequest(input: BuildRequestInput): UpstreamRequest;
  parseResponse(text: string, context?: CallContext): ParsedResponse;
  parseError(status: number, text: string): UpstreamErrorInfo;
  createStreamTranslator(context?: CallContext): StreamTranslator;
  /** Framing of the upstream stream when it is not SSE; absent = `new SseParser()`. */
  createStreamDecoder?(): StreamDecoder;
}

/**
 * An embeddings request, provider-neutral: OpenAI's `/v1/embeddings` body as the gateway read it.
 * `input` is never empty; token arrays only reach providers that take them.
 */
export interface EmbeddingInput {
  input: string[] | number[][];
  /** Output size, where the model can shorten its vectors. */
  dimensions: number | null;
  user: string | null;
  /**
   * Cohere's `input_type` (search_document, search_query, classification, clustering), a field
   * OpenAI's format lacks: the gateway takes it as an extension, default search_document.
   */
  inputType: string | null;
}

export interface BuildEmbeddingInput {
  request: EmbeddingInput;
  upstreamModel: string;
  provider: ProviderConfig;
  key: UpstreamKey;
}

/** One upstream call's vectors (floats, in input order) and the input tokens it used. */
export interface ParsedEmbeddings {
  vectors: number[][];
  /** Null when the provider reports none (Gemini): the gateway then estimates. */
  inputTokens: number | null;
}

/**
 * Embeddings through one provider: pure transforms like ProviderAdapter. A batch may need
 * several upstream calls (Titan embeds one text per call, Gemini and Cohere cap a batch): the
 * gateway splits the input by batchSize, makes the calls in order and joins their vectors.
 */
export interface EmbeddingAdapter {
  /** Whether this provider can take token arrays as input (OpenAI's format can). */
  readonly acceptsTokens: boolean;
  /** How many inputs one call may carry for this model (Titan: 1). */
  batchSize(upstreamModel: string): number;
  /** One call for `input.request.input`, which holds at most batchSize inputs. */
  buildEmbeddingRequest(input: BuildEmbeddingInput): UpstreamRequest;
  /** `headers`: Bedrock reports Cohere models' token counts in a header only. */
  parseEmbeddings(text: string, headers: Record<string, string | string[] | undefined>): ParsedEmbeddings;
  parseError(status: number, text: string): UpstreamErrorInfo;
}
