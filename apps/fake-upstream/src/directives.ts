import { FakeHttpError } from './openai-errors';

/**
 * Behaviour directives that tests embed in the request's user text, e.g.
 * "hi [[fail-once:503]] [[chunks:3]]". Grammar: `[[name]]` or `[[name:args]]`, name in
 * [a-z-], args without `]`. Several may appear anywhere, in any user message or the string
 * input. An unknown name or a bad argument is a 400, so a typo never passes silently.
 *
 *   fail:STATUS         answer STATUS (400..599) with an OpenAI error body
 *   fail-once:STATUS    like fail, but only the first time this exact text is seen
 *   fail-model:M:STATUS answer STATUS to every request for model M (as the upstream sees it:
 *                       gpt-4o-mini, claude-sonnet-4-5), retries included, so a fallback to
 *                       another model shows even with retries on; may be repeated
 *   retry-after:S       `retry-after` header on the failure (429 gets 1 by default)
 *   delay:MS            wait before sending headers
 *   hang                never answer (the client must give up)
 *   chunk-delay:MS      wait between stream frames
 *   chunks:N            number of text / argument deltas in a stream
 *   cut:N               stream: headers + first N frames, then drop the socket;
 *                       non-stream: drop the socket right after the headers
 *   stream-error        stream: an error event after the first delta, then end
 *   incomplete          status incomplete / finish_reason length
 *   usage:IN,OUT        exact input and output token counts
 *   cached:N            input_tokens_details.cached_tokens
 *   reasoning:N         output_tokens_details.reasoning_tokens (added to output_tokens)
 *   no-tool             answer with text even when function tools are offered
 *   tool:NAME           call the function tool NAME (as the provider sees it; a 400 when
 *                       no offered tool has that name) instead of the first one
 *   tool-args:JSON      the call's arguments, instead of ones sampled from its schema
 *                       (JSON without `]`, e.g. {"cmd":"echo hi"})
 *   web-search          when the request offers the provider's own web search (Anthropic's
 *                       server tool, Gemini's Google Search), search first and cite the
 *                       result in the answer
 *   json                answer with a JSON object (from the requested schema, if any)
 *   reply:TEXT          answer exactly TEXT
 *   words:N             answer with N words ("lorem lorem ..."), for large bodies
 *   prose:N             answer with N (at most 100,000) words of varied prose, the same for the same user text,
 *                       compressing like real text (prose.ts), for realistic large bodies
 *   pretty              non-stream: the body indented by two spaces, as OpenAI's own API sends it
 */
export interface Directives {
  fail?: number;
  failOnce?: number;
  /** Upstream model name -> status (fail-model). */
  failModels?: Map<string, number>;
  retryAfterSeconds?: number;
  delayMs?: number;
  hang: boolean;
  chunkDelayMs?: number;
  chunks?: number;
  cutAfterFrames?: number;
  streamError: boolean;
  incomplete: boolean;
  usage?: { input: number; output: number };
  cachedTokens?: number;
  reasoningTokens?: number;
  noTool: boolean;
  tool?: string;
  toolArgs?: string;
  webSearch: boolean;
  json: boolean;
  reply?: string;
  words?: number;
  prose?: number;
  pretty: boolean;
}

/** Shared result for the common case (no `[[` in the text): no allocation, no regex. */
export const NO_DIRECTIVES: Readonly<Directives> = Object.freeze({
  hang: false,
  streamError: false,
  incomplete: false,
  noTool: false,
  webSearch: false,
  json: false,
  pretty: false,
});

const DIRECTIVE_PATTERN = /\[\[([a-z][a-z-]*)(?::([^\]]*))?\]\]/g;

export function parseDirectives(text: string): Readonly<Directives> {
  if (!text.includes('[[')) return NO_DIRECTIVES;
  const found: Directives = { ...NO_DIRECTIVES };
  for (const match of text.matchAll(DIRECTIVE_PATTERN)) {
    applyDirective(found, match[1], match[2]);
  }
  return found;
}

function applyDirective(d: Directives, name: string, arg: string | undefined): void {
  switch (name) {
    case 'fail':
      d.fail = status(name, arg);
      return;
    case 'fail-once':
      d.failOnce = status(name, arg);
      return;
    case 'fail-model': {
      const colon = (arg ?? '').lastIndexOf(':');
      const model = colon > 0 ? (arg ?? '').slice(0, colon).trim() : '';
      if (model === '') throw invalid(name, arg);
      d.failModels = new Map(d.failModels ?? []).set(model, status(name, (arg ?? '').slice(colon + 1)));
      return;
    }
    case 'retry-after':
      d.retryAfterSeconds = count(name, arg);
      return;
    case 'delay':
      d.delayMs = count(name, arg);
      return;
    case 'hang':
      d.hang = true;
      return;
    case 'chunk-delay':
      d.chunkDelayMs = count(name, arg);
      return;
    case 'chunks':
      d.chunks = Math.max(1, count(name, arg));
      return;
    case 'cut':
      d.cutAfterFrames = count(name, arg);
      return;
    case 'stream-error':
      d.streamError = true;
      return;
    case 'incomplete':
      d.incomplete = true;
      return;
    case 'usage': {
      const [input, output, extra] = (arg ?? '').split(',');
      if (extra !== undefined) throw invalid(name, arg);
      d.usage = { input: count(name, input), output: count(name, output) };
      return;
    }
    case 'cached':
      d.cachedTokens = count(name, arg);
      return;
    case 'reasoning':
      d.reasoningTokens = count(name, arg);
      return;
    case 'no-tool':
      d.noTool = true;
      return;
    case 'pretty':
      d.pretty = true;
      return;
    case 'tool':
      if (arg === undefined || arg === '') throw invalid(name, arg);
      d.tool = arg;
      return;
    case 'tool-args':
      if (!isJsonObject(arg)) throw invalid(name, arg);
      d.toolArgs = arg;
      return;
    case 'web-search':
      d.webSearch = true;
      return;
    case 'json':
      d.json = true;
      return;
    case 'reply':
      d.reply = arg ?? '';
      return;
    case 'words':
      d.words = count(name, arg);
      return;
    case 'prose':
      // Bounded: prose is built word by word, and a huge N would hold the fake's event loop for seconds.
      d.prose = count(name, arg);
      if (d.prose > MAX_PROSE_WORDS) throw invalid(name, arg);
      return;
    default:
      throw new FakeHttpError(400, `Unknown fake-upstream directive [[${name}]].`);
  }
}

function isJsonObject(text: string | undefined): text is string {
  try {
    const v: unknown = JSON.parse(text ?? '');
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

const MAX_PROSE_WORDS = 100_000;

function count(name: string, arg: string | undefined): number {
  const trimmed = arg?.trim() ?? '';
  const value = trimmed === '' ? NaN : Number(trimmed);
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(name, arg);
  return value;
}

function status(name: string, arg: string | undefined): number {
  const value = count(name, arg);
  if (value < 400 || value > 599) throw invalid(name, arg);
  return value;
}

function invalid(name: string, arg: string | undefined): FakeHttpError {
  return new FakeHttpError(400, `Invalid argument for fake-upstream directive [[${name}:${arg ?? ''}]].`);
}
