import { type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AnswerPlan, type StreamOptions, planAnswer } from './answer';
import { isJson } from '@app/common';
import { type ChatRequest, buildChatCompletionJson, buildChatFrames, checkOpenAIChatRequest, readChatRequest } from './chat-format';
import { type Directives, parseDirectives } from './directives';
import { newId } from './ids';
import { FakeHttpError, injectedErrorBody } from './openai-errors';
import { type ResponsesRequest, buildResponseFrames, buildResponseJson, readResponsesRequest } from './responses-format';
import { ANTHROPIC_FORMAT } from './anthropic-format';
import { BEDROCK_FORMAT } from './bedrock-format';
import { COHERE_FORMAT } from './cohere-format';
import { GEMINI_FORMAT } from './gemini-format';
import { type EmbeddingFormat, fakeEmbedding, fakeEmbeddingTokens, matchEmbeddings } from './embeddings-format';
import { modelListFor } from './model-lists';
import { type NativeFormat, type Route, authenticate, matchRoute } from './routing';
import { type DialectRules, type FakeDialect, DialectRejection, checkDialect, dialectRules } from './dialect-rules';

type ModelRoute = Exclude<Route, { kind: 'models' }>;
/** What renders an error in a provider's own shape. */
type ErrorShape = Pick<NativeFormat, 'errorBody'>;

/**
 * A fake OpenAI / Azure OpenAI upstream on plain node:http, for e2e tests and benchmarks.
 * Endpoints: POST /v1/responses, /v1/chat/completions, GET /v1/models, and the Azure
 * paths /openai/v1/responses, /openai/responses?api-version=, /openai/v1/chat/completions,
 * /openai/deployments/{deployment}/chat/completions?api-version= (model = deployment).
 * Auth: `Authorization: Bearer <key>` or `api-key: <key>`; none, or the key "bad-key" -> 401.
 * Providers' own formats (NativeFormat, one `<provider>-format.ts` each), with the same
 * directives and their own auth and error bodies: Gemini /v1beta/models/{m}:generateContent
 * and :streamGenerateContent?alt=sse, Bedrock /model/{id}/converse[-stream] (SigV4,
 * event-stream), Cohere /v2/chat, Anthropic /v1/messages.
 *
 * Contract that tests compute costs from (details in answer.ts):
 *   text          "Hello from <model>! You said: <first 40 chars of the last user text>"
 *   input_tokens  words in all input text (string input, every message of any role,
 *                 instructions, tool outputs; directives are words too) + 10
 *   output_tokens words in the answer text, 5 for a function call, + [[reasoning:N]]
 *   total_tokens  input + output; cached/reasoning 0 unless [[cached:N]] / [[reasoning:N]];
 *                 [[usage:IN,OUT]] sets input and output exactly.
 *   tools offered and no tool output yet -> one call to the first function tool;
 *   a tool output in the input -> "Tool said: <output>".
 * Failures, delays, hangs, cut streams etc.: directives in the user text such as
 * [[fail:429]] (grammar in directives.ts), or failNext() from test code.
 */
export interface FakeUpstreamOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /**
   * Which OpenAI-compatible provider the Chat Completions and Responses endpoints impersonate,
   * refusing what that provider refuses (dialect-rules.ts). Default: OpenAI.
   */
  dialect?: FakeDialect;
}

export interface RecordedRequest {
  method: string;
  /** Path including the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when empty or malformed. */
  body: unknown;
  /** Date.now() when the body had been read. */
  at: number;
}

export interface FakeUpstreamStats {
  requests: number;
  /** Responses written to the end (errors included). */
  completed: number;
  /** The client closed the socket before the response finished (mid-stream, hang, delay). */
  aborted: number;
  /** Responses this server dropped on purpose ([[cut:N]]); neither completed nor aborted. */
  cut: number;
  /** Request count per path, without the query string. */
  byPath: Record<string, number>;
}

export interface FailNextOptions {
  /** Replaces the OpenAI-shaped error body. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeUpstream {
  /** Origin, e.g. http://127.0.0.1:43123 (no trailing slash). */
  url: string;
  port: number;
  /** Closes the server and destroys open sockets (hanging requests included). */
  close(): Promise<void>;
  stats: FakeUpstreamStats;
  /** The last 200 requests, oldest first. */
  requests: RecordedRequest[];
  /** The next `count` model requests (any model endpoint, after auth) fail with `status`. */
  failNext(count: number, status: number, opts?: FailNextOptions): void;
  /** Clears stats, recorded requests, queued failures and the [[fail-once]] memory. */
  reset(): void;
}

export async function createFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const upstream = new FakeUpstreamServer(dialectRules(options.dialect ?? 'openai'));
  await upstream.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return upstream;
}

const MAX_RECORDED_REQUESTS = 200;
const KEEP_ALIVE_MS = 65_000;

const MODELS_JSON = JSON.stringify({
  object: 'list',
  data: ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-5-mini', 'o3-mini'].map((id) => ({
    id,
    object: 'model',
    created: 1_715_367_049,
    owned_by: 'system',
  })),
});

const MALFORMED_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";

/** Per-request bookkeeping: the one pending timer, and whether we dropped the socket ourselves. */
interface Exchange {
  timer: NodeJS.Timeout | undefined;
  cut: boolean;
}

interface QueuedFailure {
  remaining: number;
  status: number;
  opts: FailNextOptions;
}

interface Failure {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

class FakeUpstreamServer implements FakeUpstream {
  url = '';
  port = 0;
  readonly stats: FakeUpstreamStats = { requests: 0, completed: 0, aborted: 0, cut: 0, byPath: {} };
  readonly requests: RecordedRequest[] = [];
  private readonly failureQueue: QueuedFailure[] = [];
  private readonly failOnceSeen = new Set<string>();
  private closing = false;
  private readonly server: Server;

  constructor(private readonly dialect: DialectRules) {
    this.server = createServer({ keepAlive: true, noDelay: true }, (req, res) => this.onRequest(req, res));
    // Longer than typical client pools (undici 4 s, Node agents 5 s) so the client, not
    // the server, closes idle sockets: avoids ECONNRESET races under benchmark load.
    this.server.keepAliveTimeout = KEEP_ALIVE_MS;
    this.server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        this.url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    this.closing = true;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  failNext(count: number, status: number, opts: FailNextOptions = {}): void {
    if (count > 0) this.failureQueue.push({ remaining: count, status, opts });
  }

  reset(): void {
    this.stats.requests = 0;
    this.stats.completed = 0;
    this.stats.aborted = 0;
    this.stats.cut = 0;
    for (const key of Object.keys(this.stats.byPath)) delete this.stats.byPath[key];
    this.requests.length = 0;
    this.failureQueue.length = 0;
    this.failOnceSeen.clear();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const stats = this.stats;
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
    stats.requests++;
    stats.byPath[pathname] = (stats.byPath[pathname] ?? 0) + 1;

    const exchange: Exchange = { timer: undefined, cut: false };
    res.on('finish', () => stats.completed++);
    res.on('close', () => {
      clearTimeout(exchange.timer);
      if (res.writableFinished) return;
      if (exchange.cut) stats.cut++;
      else if (!this.closing) stats.aborted++;
    });

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      let body: unknown;
      let malformed = false;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          malformed = true;
        }
      }
      this.record({ method: req.method ?? '', path: url, headers: req.headers, body, at: Date.now() });
      const query = queryStart === -1 ? '' : url.slice(queryStart + 1);
      let native: NativeCall | undefined;
      let embeddings: { format: EmbeddingFormat; model: string } | undefined;
      try {
        const list = modelListFor(req.method, pathname, query, req.headers);
        if (list !== null) {
          sendJson(res, list.status, list.json);
          return;
        }
        embeddings = matchEmbeddings(req.method, pathname, query);
        if (embeddings !== undefined) {
          embeddings.format.authenticate(req.headers, raw, query, pathname);
          if (malformed || !isJson(body)) throw new FakeHttpError(400, malformed ? MALFORMED_JSON_MESSAGE : 'The request body must be a JSON object.');
          this.answerEmbeddings(embeddings.format, embeddings.model, body, res, exchange);
          return;
        }
        native = matchNative(req.method, pathname, query);
        if (native !== undefined) {
          native.format.authenticate(req.headers, raw, query, pathname);
          if (malformed || !isJson(body)) throw new FakeHttpError(400, 'Invalid JSON payload received.');
          this.answerNative(native, body, res, exchange);
          return;
        }
        const route = matchRoute(req.method, pathname, query);
        authenticate(req.headers);
        if (route.kind === 'models') {
          sendJson(res, 200, MODELS_JSON);
          return;
        }
        if (malformed || !isJson(body)) throw new FakeHttpError(400, MALFORMED_JSON_MESSAGE);
        if (route.kind === 'chat' && this.dialect.openAIChatChecks) checkOpenAIChatRequest(body);
        checkDialect(this.dialect, route.kind, body);
        this.answerModelCall(route, body, res, exchange);
      } catch (error) {
        if (error instanceof DialectRejection) {
          sendJson(res, error.status, JSON.stringify(error.body));
          return;
        }
        const failure =
          error instanceof FakeHttpError ? error : new FakeHttpError(500, 'The fake upstream failed unexpectedly.');
        const shapedBy = native?.format ?? embeddings?.format;
        if (shapedBy !== undefined) {
          const shaped = shapedBy.errorBody(failure.status, failure.message, failure.code);
          sendJson(res, failure.status, JSON.stringify(shaped.body), shaped.headers);
        } else sendJson(res, failure.status, JSON.stringify(failure.toBody()));
      }
    });
  }

  private answerModelCall(route: ModelRoute, body: Record<string, unknown>, res: ServerResponse, exchange: Exchange): void {
    const call = readModelCall(route, body, this.dialect);
    const conv = call.request.conversation;
    const d = parseDirectives(conv.directiveText);
    if (d.hang) return; // The close handler counts the abort when the client gives up.

    const failure = this.takeQueuedFailure(conv.model) ?? this.directiveFailure(conv.directiveText, conv.model, d);
    if (failure) {
      this.later(exchange, d.delayMs, () => sendJson(res, failure.status, JSON.stringify(failure.body), failure.headers));
      return;
    }

    const plan = planAnswer(conv, d);
    if (call.request.stream) {
      const frames = renderFrames(call, plan, { chunks: d.chunks, streamError: d.streamError });
      this.later(exchange, d.delayMs, () => this.writeStream(res, exchange, frames, d));
      return;
    }
    const compact = renderJson(call, plan);
    const json = d.pretty ? JSON.stringify(JSON.parse(compact), null, 2) : compact;
    this.later(exchange, d.delayMs, () => answerJson(res, exchange, json, d));
  }

  /** Gemini, Bedrock and Cohere: the same directives, in the provider's own wire format. */
  private answerNative(native: NativeCall, body: Record<string, unknown>, res: ServerResponse, exchange: Exchange): void {
    const request = native.format.read(body, native.model);
    const conv = request.conversation;
    const d = parseDirectives(conv.directiveText);
    if (d.hang) return;
    const failure = this.takeQueuedFailure(conv.model, native.format) ?? this.directiveFailure(conv.directiveText, conv.model, d, native.format);
    if (failure) {
      this.later(exchange, d.delayMs, () => sendJson(res, failure.status, JSON.stringify(failure.body), failure.headers));
      return;
    }
    const plan = planAnswer(conv, d);
    if (native.stream ?? request.stream === true) {
      const frames = native.format.frames(request, plan, { chunks: d.chunks, streamError: d.streamError });
      this.later(exchange, d.delayMs, () => this.writeStream(res, exchange, frames, d, native.format.streamContentType));
      return;
    }
    const json = native.format.json(request, plan);
    this.later(exchange, d.delayMs, () => answerJson(res, exchange, json, d));
  }

  /** Deterministic vectors in the provider's format; failure directives apply as for chat. */
  private answerEmbeddings(format: EmbeddingFormat, pathModel: string, body: Record<string, unknown>, res: ServerResponse, exchange: Exchange): void {
    if (format.name === 'openai' && this.dialect.embeddingsAllowed) {
      checkDialect(this.dialect, 'embeddings', body);
      // Mistral's names for what OpenAI's reader knows; its other fields change nothing here.
      const { output_dimension: dimensions, output_dtype: _dtype, metadata: _metadata, ...rest } = body;
      body = dimensions === undefined ? rest : { ...rest, dimensions };
    }
    const call = format.read(body, pathModel);
    const text = call.inputs.filter((v): v is string => typeof v === 'string').join('\n');
    const d = parseDirectives(text);
    if (d.hang) return;
    const failure = this.takeQueuedFailure(call.model, format) ?? this.directiveFailure(text, call.model, d, format);
    if (failure) {
      this.later(exchange, d.delayMs, () => sendJson(res, failure.status, JSON.stringify(failure.body), failure.headers));
      return;
    }
    const vectors = call.inputs.map((v) => fakeEmbedding(v, call.dimensions ?? undefined));
    const tokens = call.inputs.reduce((n, v) => n + fakeEmbeddingTokens(v), 0);
    const { json, headers } = format.answer(call, vectors, tokens);
    this.later(exchange, d.delayMs, () => sendJson(res, 200, json, headers));
  }

  /** Without a chunk delay the whole stream goes out in one write: the benchmark path. */
  private writeStream(
    res: ServerResponse, exchange: Exchange, frames: (string | Buffer)[], d: Readonly<Directives>, contentType = 'text/event-stream; charset=utf-8',
  ): void {
    res.writeHead(200, {
      'content-type': contentType,
      'cache-control': 'no-cache',
      'x-request-id': newId('req_'),
    });
    const cutAfter = d.cutAfterFrames;
    const limit = cutAfter === undefined ? frames.length : Math.min(cutAfter, frames.length);
    const finish = (): void => {
      if (cutAfter === undefined) res.end();
      else dropSocket(res, exchange);
    };
    const delay = d.chunkDelayMs ?? 0;
    if (delay === 0) {
      if (cutAfter === undefined) {
        res.end(joinFrames(frames));
        return;
      }
      if (limit > 0) res.write(joinFrames(frames.slice(0, limit)));
      else res.flushHeaders();
      finish();
      return;
    }
    res.flushHeaders();
    let next = 0;
    const writeNext = (): void => {
      exchange.timer = undefined;
      if (next < limit) res.write(frames[next++]);
      if (next >= limit) finish();
      else exchange.timer = setTimeout(writeNext, delay);
    };
    writeNext();
  }

  private later(exchange: Exchange, delayMs: number | undefined, send: () => void): void {
    if (delayMs === undefined || delayMs === 0) send();
    else exchange.timer = setTimeout(send, delayMs);
  }

  private takeQueuedFailure(model: string, format?: ErrorShape): Failure | undefined {
    const queued = this.failureQueue[0];
    if (queued === undefined) return undefined;
    if (--queued.remaining === 0) this.failureQueue.shift();
    const injected = injectedFailure(queued.status, model, format);
    return {
      status: queued.status,
      body: queued.opts.body ?? injected.body,
      headers: { ...retryAfterHeader(queued.status, undefined), ...injected.headers, ...queued.opts.headers },
    };
  }

  private directiveFailure(text: string, model: string, d: Readonly<Directives>, format?: ErrorShape): Failure | undefined {
    let status = d.fail ?? d.failModels?.get(model);
    if (status === undefined && d.failOnce !== undefined && !this.failOnceSeen.has(text)) {
      this.failOnceSeen.add(text);
      status = d.failOnce;
    }
    if (status === undefined) return undefined;
    const injected = injectedFailure(status, model, format);
    return { status, body: injected.body, headers: { ...retryAfterHeader(status, d.retryAfterSeconds), ...injected.headers } };
  }

  private record(entry: RecordedRequest): void {
    this.requests.push(entry);
    if (this.requests.length > MAX_RECORDED_REQUESTS) this.requests.shift();
  }
}

type ModelCall = { format: 'responses'; request: ResponsesRequest } | { format: 'chat'; request: ChatRequest };

function readModelCall(route: ModelRoute, body: Record<string, unknown>, dialect: DialectRules): ModelCall {
  return route.kind === 'responses'
    ? { format: 'responses', request: readResponsesRequest(body) }
    : { format: 'chat', request: { ...readChatRequest(body, route.deployment), usageOnFinish: dialect.usageOnFinishChunk } };
}

function renderJson(call: ModelCall, plan: AnswerPlan): string {
  return call.format === 'responses'
    ? buildResponseJson(call.request, plan)
    : buildChatCompletionJson(call.request, plan);
}

function renderFrames(call: ModelCall, plan: AnswerPlan, opts: StreamOptions): string[] {
  return call.format === 'responses'
    ? buildResponseFrames(call.request, plan, opts)
    : buildChatFrames(call.request, plan, opts);
}

interface NativeCall {
  format: NativeFormat;
  model: string;
  /** null: the body's `stream` decides (Cohere). */
  stream: boolean | null;
}

const NATIVE_FORMATS: readonly NativeFormat[] = [GEMINI_FORMAT, BEDROCK_FORMAT, COHERE_FORMAT, ANTHROPIC_FORMAT];

function matchNative(method: string | undefined, pathname: string, query: string): NativeCall | undefined {
  if (method !== 'POST') return undefined;
  for (const format of NATIVE_FORMATS) {
    const m = format.match(pathname, query);
    if (m !== null) return { format, model: m.model, stream: m.stream };
  }
  return undefined;
}

/** An injected failure's body: OpenAI's, or the same message in the native format's shape. */
function injectedFailure(status: number, model: string, format?: ErrorShape): { body: unknown; headers: Record<string, string> } {
  const openai = injectedErrorBody(status, model);
  if (format === undefined) return { body: openai, headers: {} };
  const shaped = format.errorBody(status, openai.error.message, null);
  return { body: shaped.body, headers: shaped.headers ?? {} };
}

function joinFrames(frames: (string | Buffer)[]): string | Buffer {
  if (frames.every((f) => typeof f === 'string')) return (frames as string[]).join('');
  return Buffer.concat(frames.map((f) => (typeof f === 'string' ? Buffer.from(f) : f)));
}

function retryAfterHeader(status: number, seconds: number | undefined): Record<string, string> {
  if (seconds !== undefined) return { 'retry-after': String(seconds) };
  return status === 429 ? { 'retry-after': '1' } : {};
}

function sendJson(res: ServerResponse, status: number, json: string, headers?: Record<string, string>): void {
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
    'x-request-id': newId('req_'),
  });
  res.end(json);
}

/**
 * Ends the connection mid-response. end() rather than destroy(): it flushes what was
 * written (headers, first frames) before the FIN, so the client really receives them.
 */
function dropSocket(res: ServerResponse, exchange: Exchange): void {
  exchange.cut = true;
  const socket = res.socket;
  if (!socket) return;
  socket.end();
  socket.once('finish', () => socket.destroy());
}

/** A whole JSON answer, or (`[[cut:N]]`) its headers and then a dropped socket. */
function answerJson(res: ServerResponse, exchange: Exchange, json: string, d: Directives): void {
  if (d.cutAfterFrames === undefined) {
    sendJson(res, 200, json);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.flushHeaders();
  dropSocket(res, exchange);
}
