import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type AnswerPlan, type Conversation, type FunctionToolSpec, type StreamOptions, countWords, readStopSequences, splitEvenly, splitText } from './answer';
import { isJson } from '@app/common';
import { converseEvent, converseException } from './bedrock-eventstream';
import { newId } from './ids';
import { FakeHttpError } from './openai-errors';
import { BAD_API_KEY, type NativeFormat, type NativeRequest } from './routing';
import { type CacheUse, cacheUsage, useCache } from './prompt-cache';

/**
 * Amazon Bedrock Converse wire format: `POST /model/{modelId}/converse` (JSON) and
 * `/converse-stream` (AWS binary event-stream), SigV4 auth (service `bedrock`), errors as
 * `{"message": ...}` with the type in `x-amzn-ErrorType`.
 *
 * Requests signed with FAKE_AWS_CREDENTIALS have their signature verified (by this file's own
 * SigV4, independent of the gateway's signer); other access keys only need a well-formed
 * Authorization header, so the offline demo works with any credentials. Access key
 * "bad-key" is refused.
 *
 * With Claude's thinking on (`additionalModelRequestFields.thinking`) the answer starts with
 * a signed reasoningContent block; reasoning sent back must be that block unchanged, and the
 * assistant turn of a tool loop must start with it, as Bedrock requires.
 *
 * Prompt caching: `cachePoint` blocks (type `default`, at most 4) in `toolConfig.tools`,
 * `system` and message content; the prefix before the last one is written to the fake's cache
 * the first time (cacheWriteInputTokens) and read after (cacheReadInputTokens).
 */
export const BEDROCK_THINKING_TEXT = 'Thinking it over.';
export const BEDROCK_THINKING_SIGNATURE = 'ErcBCkgIBhABGAIiQGZha2UtYmVkcm9jaw==';

interface BedrockExtra {
  thinking: boolean;
  cache?: CacheUse;
  /** additionalModelResponseFieldPaths asked for `/stop_sequence` (Claude names the sequence hit). */
  namesStop?: boolean;
}

function stopFields(req: NativeRequest, plan: AnswerPlan): Record<string, unknown> {
  const ask = (req.extra as BedrockExtra | undefined)?.namesStop === true;
  return ask && plan.stopSequence !== undefined ? { additionalModelResponseFields: { stop_sequence: plan.stopSequence } } : {};
}

const MAX_CACHE_POINTS = 4;

/** Whether the entry is a cache checkpoint, checked as Converse does. */
function isCachePoint(entry: unknown, where: string): boolean {
  if (!isJson(entry) || entry.cachePoint === undefined) return false;
  if (!isJson(entry.cachePoint) || entry.cachePoint.type !== 'default') {
    throw new FakeHttpError(400, `1 validation error detected: Value at '${where}.cachePoint.type' failed to satisfy constraint: Member must satisfy enum value set: [default]`);
  }
  return true;
}

export const FAKE_AWS_CREDENTIALS = { accessKeyId: 'AKIDFAKEUPSTREAM', secretAccessKey: 'fake-upstream-secret' };

const PATH = /^\/model\/([^/]+)\/(converse|converse-stream)$/;
const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const ERROR_TYPES: Record<number, string> = {
  400: 'ValidationException', 403: 'AccessDeniedException', 404: 'ResourceNotFoundException', 408: 'ModelTimeoutException',
  424: 'ModelErrorException', 429: 'ThrottlingException', 500: 'InternalServerException', 503: 'ServiceUnavailableException',
};


export const BEDROCK_FORMAT: NativeFormat = {
  name: 'bedrock',

  match(pathname) {
    const m = PATH.exec(pathname);
    return m ? { model: decodeURIComponent(m[1]), stream: m[2] === 'converse-stream' } : null;
  },

  authenticate(headers: IncomingHttpHeaders, raw: Buffer, query: string, path: string, method = 'POST') {
    const auth = headers.authorization;
    if (typeof auth !== 'string') throw new FakeHttpError(403, 'Missing Authentication Token', 'MissingAuthenticationTokenException');
    const m = AUTH.exec(auth);
    const date = headers['x-amz-date'];
    if (!m || typeof date !== 'string') {
      throw new FakeHttpError(403, 'Authorization header requires Credential, SignedHeaders and Signature, and x-amz-date must be set.', 'IncompleteSignatureException');
    }
    const [, accessKeyId, day, region, service, signedHeaders, signature] = m;
    if (accessKeyId === BAD_API_KEY) throw new FakeHttpError(403, 'The security token included in the request is invalid.', 'UnrecognizedClientException');
    if (service !== 'bedrock' || !date.startsWith(day)) {
      throw new FakeHttpError(403, `Credential should be scoped to a valid region and service 'bedrock' on ${date.slice(0, 8)}.`, 'InvalidSignatureException');
    }
    if (accessKeyId !== FAKE_AWS_CREDENTIALS.accessKeyId) return;
    const expected = sigV4Signature({ method, path, query, headers, signedHeaders, body: raw, date, region, service }, FAKE_AWS_CREDENTIALS.secretAccessKey);
    if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
      throw new FakeHttpError(403, 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.', 'InvalidSignatureException');
    }
  },

  read(body, model): NativeRequest {
    const conv: Conversation = { model, inputWords: 0, lastUserText: '', directiveText: '', tools: [], toolsDisabled: false, jsonMode: false };
    if (!Array.isArray(body.messages)) throw new FakeHttpError(400, '1 validation error detected: Value null at \'messages\' failed to satisfy constraint: Member must not be null');
    // Cache checkpoints: how many, and the prefix (and its words) before the last one.
    let points = 0;
    let prefix: unknown[] | null = null;
    let prefixWords = 0;
    const tc0 = isJson(body.toolConfig) ? body.toolConfig : {};
    const toolList = Array.isArray(tc0.tools) ? tc0.tools : [];
    toolList.forEach((t, i) => {
      if (isCachePoint(t, `toolConfig.tools.${i}`)) {
        points++;
        prefix = [model, toolList.slice(0, i)];
      }
    });
    const systemList = Array.isArray(body.system) ? body.system : [];
    systemList.forEach((s, i) => {
      if (isJson(s) && typeof s.text === 'string') conv.inputWords += countWords(s.text);
      if (isCachePoint(s, `system.${i}`)) {
        points++;
        prefix = [model, toolList, systemList.slice(0, i)];
        prefixWords = conv.inputWords;
      }
    });
    let expect: 'user' | 'assistant' = 'user';
    let lastAssistantReasoningFirst = false;
    let lastFirstIsToolResult = false;
    body.messages.forEach((msg, i) => {
      if (!isJson(msg) || !Array.isArray(msg.content)) return;
      if (msg.role !== expect) throw new FakeHttpError(400, 'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.');
      expect = expect === 'user' ? 'assistant' : 'user';
      const first: unknown = msg.content[0];
      lastFirstIsToolResult = isJson(first) && 'toolResult' in first;
      if (msg.role === 'assistant') lastAssistantReasoningFirst = isJson(first) && 'reasoningContent' in first;
      const texts: string[] = [];
      for (const block of msg.content) {
        if (!isJson(block)) continue;
        if (typeof block.text === 'string') texts.push(block.text);
        if (isJson(block.reasoningContent)) {
          const rt = block.reasoningContent.reasoningText;
          const signed = isJson(rt) && rt.text === BEDROCK_THINKING_TEXT && rt.signature === BEDROCK_THINKING_SIGNATURE;
          if (!signed && typeof block.reasoningContent.redactedContent !== 'string') {
            throw new FakeHttpError(400, `messages.${i}: The reasoning content signature is invalid (the reasoning block was modified).`);
          }
        }
        if (isJson(block.toolResult) && Array.isArray(block.toolResult.content)) {
          const output = block.toolResult.content
            .map((c: unknown) => (isJson(c) ? (typeof c.text === 'string' ? c.text : JSON.stringify(c.json)) : ''))
            .join(' ');
          conv.inputWords += countWords(output);
          conv.toolOutput = output;
        }
      }
      const text = texts.join(' ');
      conv.inputWords += countWords(text);
      const marked = (msg.content as unknown[]).filter((b, j) => isCachePoint(b, `messages.${i}.content.${j}`)).length;
      if (marked > 0) {
        // The fake caches whole messages: the prefix ends with the marked one.
        points += marked;
        prefix = [model, toolList, systemList, (body.messages as unknown[]).slice(0, i + 1)];
        prefixWords = conv.inputWords;
      }
      if (msg.role === 'user' && texts.length > 0) {
        conv.lastUserText = text;
        conv.directiveText = conv.directiveText === '' ? text : `${conv.directiveText}\n${text}`;
      }
    });
    const inference = isJson(body.inferenceConfig) ? body.inferenceConfig : {};
    conv.stopSequences = readStopSequences(inference.stopSequences, 4, (m) => new FakeHttpError(400, `1 validation error detected: Value at 'inferenceConfig.stopSequences' failed to satisfy constraint: ${m}`));
    const amrf = isJson(body.additionalModelRequestFields) ? body.additionalModelRequestFields : {};
    const thinking = isJson(amrf.thinking) && amrf.thinking.type === 'enabled';
    if (thinking && lastFirstIsToolResult && !lastAssistantReasoningFirst) {
      throw new FakeHttpError(400, 'The model returned the following errors: messages: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block.');
    }
    const tc = isJson(body.toolConfig) ? body.toolConfig : {};
    const tools: FunctionToolSpec[] = [];
    for (const t of Array.isArray(tc.tools) ? tc.tools : []) {
      if (isJson(t) && isJson(t.toolSpec) && typeof t.toolSpec.name === 'string') {
        tools.push({ name: t.toolSpec.name, parameters: isJson(t.toolSpec.inputSchema) ? t.toolSpec.inputSchema.json : undefined });
      }
    }
    conv.tools = tools;
    if (isJson(tc.toolChoice) && isJson(tc.toolChoice.tool) && typeof tc.toolChoice.tool.name === 'string') conv.forcedTool = tc.toolChoice.tool.name;
    if (points > MAX_CACHE_POINTS) throw new FakeHttpError(400, `The number of cache points (${points}) exceeds the maximum of ${MAX_CACHE_POINTS}.`);
    const extra: BedrockExtra = { thinking };
    if (prefix !== null) extra.cache = useCache(prefix, prefixWords);
    if (Array.isArray(body.additionalModelResponseFieldPaths) && body.additionalModelResponseFieldPaths.includes('/stop_sequence')) extra.namesStop = true;
    return { conversation: conv, extra };
  },

  json(req, plan) {
    const a = plan.answer;
    const content: Record<string, unknown>[] = a.kind === 'function_call'
      ? [{ toolUse: { toolUseId: newId('tooluse_'), name: a.name, input: JSON.parse(a.arguments) as unknown } }]
      : [{ text: a.text }];
    if ((req.extra as BedrockExtra | undefined)?.thinking) content.unshift({ reasoningContent: { reasoningText: { text: BEDROCK_THINKING_TEXT, signature: BEDROCK_THINKING_SIGNATURE } } });
    return JSON.stringify({ output: { message: { role: 'assistant', content } }, stopReason: stopReason(plan), ...stopFields(req, plan), usage: usage(plan, req.extra), metrics: { latencyMs: 1 } });
  },

  frames(req, plan, opts: StreamOptions) {
    const frames: Buffer[] = [converseEvent('messageStart', { role: 'assistant' })];
    let index = 0;
    if ((req.extra as BedrockExtra | undefined)?.thinking) {
      frames.push(converseEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: BEDROCK_THINKING_TEXT } } }));
      frames.push(converseEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: BEDROCK_THINKING_SIGNATURE } } }));
      frames.push(converseEvent('contentBlockStop', { contentBlockIndex: 0 }));
      index = 1;
    }
    const a = plan.answer;
    if (a.kind === 'function_call') {
      frames.push(converseEvent('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId: newId('tooluse_'), name: a.name } } }));
      for (const piece of splitEvenly(a.arguments, opts.chunks ?? Math.ceil(a.arguments.length / 8))) {
        frames.push(converseEvent('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: piece } } }));
        if (opts.streamError) return withException(frames);
      }
    } else {
      for (const piece of splitText(a.text, opts.chunks)) {
        frames.push(converseEvent('contentBlockDelta', { contentBlockIndex: index, delta: { text: piece } }));
        if (opts.streamError) return withException(frames);
      }
    }
    frames.push(converseEvent('contentBlockStop', { contentBlockIndex: index }));
    frames.push(converseEvent('messageStop', { stopReason: stopReason(plan), ...stopFields(req, plan) }));
    frames.push(converseEvent('metadata', { usage: usage(plan, req.extra), metrics: { latencyMs: 1 } }));
    return frames;
  },

  streamContentType: 'application/vnd.amazon.eventstream',

  errorBody(status, message, code) {
    const type = code !== null && /^[A-Z]\w*Exception$/.test(code) ? code : (ERROR_TYPES[status] ?? (status >= 500 ? 'InternalServerException' : 'ValidationException'));
    return { body: { message }, headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` } };
  },
};

function withException(frames: Buffer[]): Buffer[] {
  frames.push(converseException('modelStreamErrorException', 'The model stream failed (fake upstream).'));
  return frames;
}

function stopReason(plan: AnswerPlan): string {
  if (plan.incomplete) return 'max_tokens';
  if (plan.stopSequence !== undefined) return 'stop_sequence';
  return plan.answer.kind === 'function_call' ? 'tool_use' : 'end_turn';
}

/** Bedrock counts cache reads and writes apart from inputTokens. */
function usage(plan: AnswerPlan, extra: unknown): Record<string, number> {
  const u = plan.usage;
  const c = cacheUsage(plan, (extra as BedrockExtra | undefined)?.cache);
  const out: Record<string, number> = { inputTokens: c.uncached, outputTokens: u.output, totalTokens: u.input + u.output };
  if (c.read > 0) out.cacheReadInputTokens = c.read;
  if (c.write > 0) out.cacheWriteInputTokens = c.write;
  return out;
}

interface SignedRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  signedHeaders: string;
  body: Buffer;
  date: string;
  region: string;
  service: string;
}

const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** SigV4 as AWS services other than S3 compute it: the path as sent, each segment encoded again. */
export function sigV4Signature(r: SignedRequest, secretAccessKey: string): string {
  const canonicalUri = r.path.split('/').map(rfc3986).join('/');
  const canonicalQuery = r.query === '' ? '' : r.query.split('&').map((kv) => kv.split('=').map((x) => rfc3986(decodeURIComponent(x))).join('=')).sort().join('&');
  const names = r.signedHeaders.split(';');
  const canonicalHeaders = names.map((n) => `${n}:${String(r.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = typeof r.headers['x-amz-content-sha256'] === 'string' ? r.headers['x-amz-content-sha256'] : sha256(r.body);
  const canonical = [r.method, canonicalUri, canonicalQuery, canonicalHeaders, r.signedHeaders, payloadHash].join('\n');
  const scope = `${r.date.slice(0, 8)}/${r.region}/${r.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', r.date, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, r.date.slice(0, 8));
  for (const part of [r.region, r.service, 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(toSign).digest('hex');
}
