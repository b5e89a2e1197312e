import type { IncomingHttpHeaders } from 'node:http';
import { type AnswerPlan, type Conversation, type FunctionToolSpec, type StreamOptions, countWords, readStopSequences, splitText } from './answer';
import { isJson } from '@app/common';
import { newId } from './ids';
import { FakeHttpError } from './openai-errors';
import { BAD_API_KEY, type NativeFormat, type NativeRequest } from './routing';
import { fieldPath } from './prompt-cache';

/**
 * Google Gemini API wire format (v1beta): `POST /v1beta/models/{model}:generateContent` and
 * `:streamGenerateContent?alt=sse` (SSE `data:` lines of whole GenerateContentResponses,
 * `\r\n\r\n` between them, no end marker), key in `x-goog-api-key` or `?key=`, errors as
 * `{error: {code, message, status}}`. Thought parts are sent when thinkingConfig asks for them.
 *
 * Thought signatures: a function call is answered with one when thinking is configured or the
 * model is a Gemini 3 one. A signature sent back must be the fake's own (or Google's documented
 * placeholder), and Gemini 3 models, as the real ones, refuse a function call of the current
 * turn whose signature was dropped. With Google Search offered, [[web-search]] answers with
 * groundingMetadata: the query, one page, and the whole answer supported by it.
 */
export const GEMINI_THOUGHT_SIGNATURE = 'CiQBjz1rX2Zha2UtZ2VtaW5pLXNpZ25hdHVyZQ==';
const SKIP_SIGNATURE = 'skip_thought_signature_validator';

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED', 499: 'CANCELLED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

const PATH = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

interface GeminiExtra {
  includeThoughts: boolean;
  /** Whether function calls come with a thought signature. */
  signs: boolean;
}

/** The current turn (after the last user text) must carry its function calls' signatures on Gemini 3. */
function checkThoughtSignatures(contents: unknown[], model: string): void {
  let turnStart = 0;
  contents.forEach((c, i) => {
    if (isJson(c) && c.role === 'user' && Array.isArray(c.parts) && c.parts.some((p) => isJson(p) && typeof p.text === 'string')) turnStart = i + 1;
  });
  contents.forEach((c, i) => {
    if (!isJson(c) || c.role !== 'model' || !Array.isArray(c.parts)) return;
    c.parts.forEach((p, j) => {
      if (!isJson(p) || p.thoughtSignature === undefined) return;
      if (p.thoughtSignature !== GEMINI_THOUGHT_SIGNATURE && p.thoughtSignature !== SKIP_SIGNATURE) throw new FakeHttpError(400, `Corrupted thought signature (contents[${i}].parts[${j}]).`);
    });
    const first = c.parts.find((p) => isJson(p) && isJson(p.functionCall));
    if (/gemini-3/.test(model) && i >= turnStart && isJson(first) && first.thoughtSignature === undefined) {
      throw new FakeHttpError(400, `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${String((first.functionCall as Record<string, unknown>).name)}\` , position ${i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`);
    }
  });
}

export const GEMINI_FORMAT: NativeFormat = {
  name: 'gemini',

  match(pathname, query) {
    const m = PATH.exec(pathname);
    if (!m) return null;
    const stream = m[2] === 'streamGenerateContent';
    if (stream && !/(?:^|&)alt=sse(?:&|$)/.test(query)) {
      throw new FakeHttpError(400, 'The fake upstream streams Gemini only as SSE (alt=sse).');
    }
    return { model: decodeURIComponent(m[1]), stream };
  },

  authenticate(headers: IncomingHttpHeaders, _raw: Buffer, query: string) {
    const header = headers['x-goog-api-key'];
    const key = typeof header === 'string' && header !== '' ? header : /(?:^|&)key=([^&]+)/.exec(query)?.[1];
    if (key === undefined) {
      throw new FakeHttpError(403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.');
    }
    // Gemini answers a wrong key with 400, not 401.
    if (key === BAD_API_KEY) throw new FakeHttpError(400, 'API key not valid. Please pass a valid API key.');
  },

  read(body, model): NativeRequest {
    const leaked = fieldPath(body, 'cache_control');
    if (leaked !== null) throw new FakeHttpError(400, `Invalid JSON payload received. Unknown name "cache_control" at '${leaked.replace(/\.cache_control$/, '')}': Cannot find field.`);
    const conv: Conversation = { model, inputWords: 0, lastUserText: '', directiveText: '', tools: [], toolsDisabled: false, jsonMode: false };
    if (!Array.isArray(body.contents)) throw new FakeHttpError(400, '* GenerateContentRequest.contents: contents is not specified');
    checkThoughtSignatures(body.contents, model);
    const sys = isJson(body.systemInstruction) && Array.isArray(body.systemInstruction.parts) ? body.systemInstruction.parts : [];
    for (const p of sys) if (isJson(p) && typeof p.text === 'string') conv.inputWords += countWords(p.text);
    for (const c of body.contents) {
      if (!isJson(c) || !Array.isArray(c.parts)) continue;
      if (c.role !== 'user' && c.role !== 'model') throw new FakeHttpError(400, `Please use a valid role: user, model (got ${String(c.role)}).`);
      const texts: string[] = [];
      for (const p of c.parts) {
        if (!isJson(p)) continue;
        if (typeof p.text === 'string') texts.push(p.text);
        if (isJson(p.functionResponse)) {
          const r = p.functionResponse.response;
          const output = isJson(r) && typeof r.output === 'string' ? r.output : JSON.stringify(r);
          conv.inputWords += countWords(output);
          conv.toolOutput = output;
        }
      }
      const text = texts.join(' ');
      conv.inputWords += countWords(text);
      if (c.role === 'user' && texts.length > 0) {
        conv.lastUserText = text;
        conv.directiveText = conv.directiveText === '' ? text : `${conv.directiveText}\n${text}`;
      }
    }
    const tools: FunctionToolSpec[] = [];
    for (const t of Array.isArray(body.tools) ? body.tools : []) {
      if (isJson(t) && (isJson(t.googleSearch) || isJson(t.google_search))) conv.webSearch = true;
      if (!isJson(t) || !Array.isArray(t.functionDeclarations)) continue;
      for (const d of t.functionDeclarations) if (isJson(d) && typeof d.name === 'string') tools.push({ name: d.name, parameters: d.parameters ?? d.parametersJsonSchema });
    }
    conv.tools = tools;
    const fcc = isJson(body.toolConfig) && isJson(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : {};
    conv.toolsDisabled = fcc.mode === 'NONE';
    if (fcc.mode === 'ANY' && Array.isArray(fcc.allowedFunctionNames) && typeof fcc.allowedFunctionNames[0] === 'string') {
      conv.forcedTool = fcc.allowedFunctionNames[0];
    }
    const gen = isJson(body.generationConfig) ? body.generationConfig : {};
    if (gen.responseMimeType === 'application/json') {
      conv.jsonMode = true;
      conv.jsonSchema = gen.responseSchema ?? gen.responseJsonSchema;
    }
    conv.stopSequences = readStopSequences(gen.stopSequences, 5, (m) => new FakeHttpError(400, `Invalid value at 'generation_config.stop_sequences': ${m}`));
    const thinking = isJson(gen.thinkingConfig) ? gen.thinkingConfig : {};
    const extra: GeminiExtra = { includeThoughts: thinking.includeThoughts === true, signs: isJson(gen.thinkingConfig) || /gemini-3/.test(model) };
    return { conversation: conv, extra };
  },

  json(req, plan) {
    return JSON.stringify({
      candidates: [{
        content: { role: 'model', parts: [...thoughtParts(req, plan), ...answerParts(req, plan)] }, finishReason: finishReason(plan), index: 0, ...grounding(plan),
      }],
      usageMetadata: usageMetadata(plan),
      modelVersion: req.conversation.model,
      responseId: newId('gem_'),
    });
  },

  frames(req, plan, opts: StreamOptions) {
    const envelope = { modelVersion: req.conversation.model, responseId: newId('gem_') };
    const frames: string[] = [];
    const frame = (parts: unknown[], last: boolean): void => {
      const candidate: Record<string, unknown> = { content: { role: 'model', parts }, index: 0 };
      if (last) Object.assign(candidate, { finishReason: finishReason(plan), ...grounding(plan) });
      // Intermediate chunks carry the prompt count; the last one the whole usage.
      const usage = last ? usageMetadata(plan) : { promptTokenCount: plan.usage.input, totalTokenCount: plan.usage.input };
      frames.push(`data: ${JSON.stringify({ candidates: [candidate], usageMetadata: usage, ...envelope })}\r\n\r\n`);
    };
    const thoughts = thoughtParts(req, plan);
    if (thoughts.length > 0) frame(thoughts, false);
    const answer = plan.answer;
    if (answer.kind === 'function_call') {
      frame(answerParts(req, plan), true);
      return frames;
    }
    const pieces = splitText(answer.text, opts.chunks);
    if (pieces.length === 0) pieces.push('');
    if (opts.streamError) {
      frame([{ text: pieces[0] }], false);
      frames.push(`data: ${JSON.stringify(geminiError(500, 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting'))}\r\n\r\n`);
      return frames;
    }
    pieces.forEach((piece, i) => frame([{ text: piece }], i === pieces.length - 1));
    return frames;
  },

  streamContentType: 'text/event-stream',

  errorBody(status, message) {
    return { body: geminiError(status, message) };
  },
};

function geminiError(status: number, message: string): Record<string, unknown> {
  return { error: { code: status, message, status: STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') } };
}

function finishReason(plan: AnswerPlan): string {
  return plan.incomplete ? 'MAX_TOKENS' : 'STOP';
}

function answerParts(req: NativeRequest, plan: AnswerPlan): Record<string, unknown>[] {
  const a = plan.answer;
  if (a.kind === 'function_call') {
    const part: Record<string, unknown> = { functionCall: { name: a.name, args: JSON.parse(a.arguments) as unknown } };
    if ((req.extra as GeminiExtra | undefined)?.signs) part.thoughtSignature = GEMINI_THOUGHT_SIGNATURE;
    return [part];
  }
  return [{ text: a.text }];
}

/** Grounding with Google Search as Gemini reports it: offsets in UTF-8 bytes of the answer. */
function grounding(plan: AnswerPlan): Record<string, unknown> {
  const s = plan.search;
  if (s === undefined || plan.answer.kind !== 'text') return {};
  return {
    groundingMetadata: {
      webSearchQueries: [s.query],
      groundingChunks: [{ web: { uri: s.url, title: s.title } }],
      groundingSupports: [{ segment: { startIndex: 0, endIndex: Buffer.byteLength(plan.answer.text), text: plan.answer.text }, groundingChunkIndices: [0] }],
    },
  };
}

function thoughtParts(req: NativeRequest, plan: AnswerPlan): Record<string, unknown>[] {
  const extra = req.extra as GeminiExtra | undefined;
  if (!extra?.includeThoughts || plan.usage.reasoning === 0) return [];
  return [{ text: `Thinking about ${req.conversation.model}.`, thought: true }];
}

/** Gemini counts thoughts apart: candidatesTokenCount excludes them. */
function usageMetadata(plan: AnswerPlan): Record<string, unknown> {
  const u = plan.usage;
  const meta: Record<string, unknown> = {
    promptTokenCount: u.input,
    candidatesTokenCount: u.output - u.reasoning,
    totalTokenCount: u.input + u.output,
  };
  if (u.cached > 0) meta.cachedContentTokenCount = u.cached;
  if (u.reasoning > 0) meta.thoughtsTokenCount = u.reasoning;
  return meta;
}
