import { createHash, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isJson } from '@app/common';
import { countWords } from './answer';
import { BEDROCK_FORMAT } from './bedrock-format';
import { COHERE_FORMAT } from './cohere-format';
import { GEMINI_FORMAT } from './gemini-format';
import { FakeHttpError } from './openai-errors';
import { authenticate as openAIAuthenticate } from './routing';

/**
 * Embeddings endpoints in each provider's real wire format, as strict as the real APIs about
 * the body (unknown keys, missing or oversized fields are refused with the provider's own error
 * body). Vectors are deterministic (fakeEmbedding), tokens are words (a token array counts its
 * length):
 *   OpenAI / Azure   POST /v1/embeddings, /openai/v1/embeddings,
 *                    /openai/deployments/{d}/embeddings?api-version=
 *   Gemini           POST /v1beta/models/{m}:batchEmbedContents (at most 100 requests)
 *   Bedrock          POST /model/{id}/invoke, Titan (`inputText`) and Cohere (`texts`) bodies
 *   Cohere           POST /v2/embed (input_type required, at most 96 texts)
 * Directives in the texts ([[fail:STATUS]], [[fail-model:M:STATUS]]...) work as in chat.
 */
export interface EmbeddingCall {
  model: string;
  inputs: (string | number[])[];
  dimensions: number | null;
  base64: boolean;
}

export interface EmbeddingFormat {
  name: string;
  match(pathname: string, query: string): { model: string } | null;
  authenticate(headers: IncomingHttpHeaders, raw: Buffer, query: string, path: string): void;
  read(body: Record<string, unknown>, model: string): EmbeddingCall;
  answer(call: EmbeddingCall, vectors: number[][], tokens: number): { json: string; headers?: Record<string, string> };
  errorBody(status: number, message: string, code: string | null): { body: unknown; headers?: Record<string, string> };
}

/** Vector size when the request names none. */
export const FAKE_EMBEDDING_DIMENSIONS = 8;

/** The fake's vector for a text: from its SHA-256, in [-1, 1], unit length; the same text always gives the same vector. */
export function fakeEmbedding(input: string | number[], dimensions = FAKE_EMBEDDING_DIMENSIONS): number[] {
  const digest = createHash('sha256').update(typeof input === 'string' ? input : JSON.stringify(input)).digest();
  const raw = Array.from({ length: dimensions }, (_, i) => digest[i % digest.length] / 127.5 - 1);
  const norm = Math.hypot(...raw) || 1;
  // float32 precision, as every provider's vectors have.
  return raw.map((v) => Math.fround(v / norm));
}

/** The fake's token count of one input: words, or a token array's length. */
export function fakeEmbeddingTokens(input: string | number[]): number {
  return typeof input === 'string' ? countWords(input) : input.length;
}

function refuseExtraKeys(body: Record<string, unknown>, allowed: ReadonlySet<string>, refuse: (key: string) => never): void {
  for (const key of Object.keys(body)) if (!allowed.has(key)) refuse(key);
}

function base64(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString('base64');
}

const OPENAI_FIELDS = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user']);
const AZURE_DEPLOYMENT = /^\/openai\/deployments\/([^/]+)\/embeddings$/;

const OPENAI_EMBEDDINGS: EmbeddingFormat = {
  name: 'openai',
  match(pathname, query) {
    if (pathname === '/v1/embeddings' || pathname === '/openai/v1/embeddings') return { model: '' };
    const m = AZURE_DEPLOYMENT.exec(pathname);
    if (m === null) return null;
    if (!/(?:^|&)api-version=[^&]/.test(query)) throw new FakeHttpError(404, 'Resource not found (the api-version query parameter is required).', 'not_found');
    return { model: decodeURIComponent(m[1]) };
  },
  authenticate: (headers) => openAIAuthenticate(headers),
  read(body, deployment) {
    refuseExtraKeys(body, OPENAI_FIELDS, (key) => {
      throw new FakeHttpError(400, `Unrecognized request argument supplied: ${key}`);
    });
    const model = typeof body.model === 'string' && body.model !== '' ? body.model : deployment;
    if (model === '') throw new FakeHttpError(400, 'you must provide a model parameter', null, 'model');
    const invalid = () => new FakeHttpError(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", null, 'input');
    const input = body.input;
    let inputs: (string | number[])[];
    if (typeof input === 'string') inputs = [input];
    else if (Array.isArray(input) && input.length > 0 && input.every((t) => Number.isInteger(t))) inputs = [input as number[]];
    else if (Array.isArray(input)) inputs = input as (string | number[])[];
    else throw new FakeHttpError(400, "Missing required parameter: 'input'.", 'missing_required_parameter', 'input');
    if (inputs.length === 0 || inputs.length > 2048) throw invalid();
    for (const v of inputs) {
      if (typeof v === 'string' ? v === '' : !Array.isArray(v) || v.length === 0 || !v.every((t) => Number.isInteger(t))) throw invalid();
    }
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') {
      throw new FakeHttpError(400, `Invalid value: '${String(format)}'. Supported values are: 'float' and 'base64'.`, 'invalid_value', 'encoding_format');
    }
    let dimensions: number | null = null;
    if (body.dimensions !== undefined) {
      if (!model.startsWith('text-embedding-3')) throw new FakeHttpError(400, 'This model does not support specifying dimensions.', null, 'dimensions');
      if (!Number.isInteger(body.dimensions) || (body.dimensions as number) < 1) throw new FakeHttpError(400, 'Invalid dimensions.', null, 'dimensions');
      dimensions = body.dimensions as number;
    }
    return { model, inputs, dimensions, base64: format === 'base64' };
  },
  answer(call, vectors, tokens) {
    const data = vectors.map((v, index) => ({ object: 'embedding', index, embedding: call.base64 ? base64(v) : v }));
    return { json: JSON.stringify({ object: 'list', data, model: call.model, usage: { prompt_tokens: tokens, total_tokens: tokens } }) };
  },
  errorBody: (status, message, code) => ({ body: new FakeHttpError(status, message, code).toBody() }),
};

const GEMINI_PATH = /^\/v1beta\/models\/([^/:]+):batchEmbedContents$/;

const GEMINI_EMBEDDINGS: EmbeddingFormat = {
  name: 'gemini',
  match(pathname) {
    const m = GEMINI_PATH.exec(pathname);
    return m ? { model: decodeURIComponent(m[1]) } : null;
  },
  authenticate: (headers, raw, query, path) => GEMINI_FORMAT.authenticate(headers, raw, query, path),
  read(body, model) {
    refuseExtraKeys(body, new Set(['requests']), (key) => {
      throw new FakeHttpError(400, `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`);
    });
    const requests = body.requests;
    if (!Array.isArray(requests) || requests.length === 0) throw new FakeHttpError(400, '* BatchEmbedContentsRequest.requests: requests is not specified');
    if (requests.length > 100) throw new FakeHttpError(400, '* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch');
    let dimensions: number | null = null;
    const inputs = requests.map((r, i) => {
      if (!isJson(r) || r.model !== `models/${model}`) {
        throw new FakeHttpError(400, `Model names should be in the format models/{model}; requests[${i}].model must be models/${model}, the model of the batch.`);
      }
      const parts = isJson(r.content) && Array.isArray(r.content.parts) ? r.content.parts : null;
      const text = parts?.map((p) => (isJson(p) && typeof p.text === 'string' ? p.text : '')).join('') ?? '';
      if (text === '') throw new FakeHttpError(400, `* BatchEmbedContentsRequest.requests[${i}].content: contents is not specified`);
      if (typeof r.outputDimensionality === 'number') dimensions = r.outputDimensionality;
      return text;
    });
    return { model, inputs, dimensions, base64: false };
  },
  answer(_call, vectors) {
    return { json: JSON.stringify({ embeddings: vectors.map((values) => ({ values })) }) };
  },
  errorBody: (status, message, code) => GEMINI_FORMAT.errorBody(status, message, code),
};

const BEDROCK_PATH = /^\/model\/([^/]+)\/invoke$/;
const TITAN_FIELDS = new Set(['inputText', 'dimensions', 'normalize', 'embeddingTypes']);
const BEDROCK_COHERE_FIELDS = new Set(['texts', 'images', 'input_type', 'truncate', 'embedding_types']);

function bedrockValidation(message: string): never {
  throw new FakeHttpError(400, message, 'ValidationException');
}

const BEDROCK_EMBEDDINGS: EmbeddingFormat = {
  name: 'bedrock',
  match(pathname) {
    const m = BEDROCK_PATH.exec(pathname);
    return m ? { model: decodeURIComponent(m[1]) } : null;
  },
  authenticate: (headers, raw, query, path) => BEDROCK_FORMAT.authenticate(headers, raw, query, path),
  read(body, model) {
    const extraneous = (key: string): never => bedrockValidation(`Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`);
    if (model.includes('amazon.titan-embed')) {
      refuseExtraKeys(body, TITAN_FIELDS, extraneous);
      if (typeof body.inputText !== 'string' || body.inputText === '') bedrockValidation('Malformed input request: #: required key [inputText] not found, please reformat your input and try again.');
      const dims = body.dimensions;
      if (dims !== undefined && dims !== 256 && dims !== 512 && dims !== 1024) bedrockValidation('Malformed input request: #/dimensions: 256, 512 or 1024 expected, please reformat your input and try again.');
      return { model, inputs: [body.inputText as string], dimensions: typeof dims === 'number' ? dims : null, base64: false };
    }
    if (model.includes('cohere.embed')) {
      refuseExtraKeys(body, BEDROCK_COHERE_FIELDS, extraneous);
      if (typeof body.input_type !== 'string') bedrockValidation('Malformed input request: #: required key [input_type] not found, please reformat your input and try again.');
      const texts = body.texts;
      if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string')) bedrockValidation('Malformed input request: #: required key [texts] not found, please reformat your input and try again.');
      if (texts.length > 96) bedrockValidation('Malformed input request: #/texts: expected maximum item count: 96, found: ' + texts.length + ', please reformat your input and try again.');
      return { model, inputs: texts as string[], dimensions: null, base64: false };
    }
    throw new FakeHttpError(400, `The provided model identifier is invalid: ${model} is no embedding model of the fake.`, 'ValidationException');
  },
  answer(call, vectors, tokens) {
    if (call.model.includes('amazon.titan-embed')) {
      return { json: JSON.stringify({ embedding: vectors[0], embeddingsByType: { float: vectors[0] }, inputTextTokenCount: tokens }) };
    }
    const json = JSON.stringify({ embeddings: vectors, id: randomUUID(), response_type: 'embeddings_floats', texts: call.inputs });
    return { json, headers: { 'x-amzn-bedrock-input-token-count': String(tokens) } };
  },
  errorBody: (status, message, code) => BEDROCK_FORMAT.errorBody(status, message, code),
};

const COHERE_FIELDS = new Set(['model', 'texts', 'images', 'inputs', 'input_type', 'embedding_types', 'truncate', 'output_dimension', 'max_tokens']);

const COHERE_EMBEDDINGS: EmbeddingFormat = {
  name: 'cohere',
  match: (pathname) => (pathname === '/v2/embed' ? { model: '' } : null),
  authenticate: (headers, raw, query, path) => COHERE_FORMAT.authenticate(headers, raw, query, path),
  read(body) {
    refuseExtraKeys(body, COHERE_FIELDS, (key) => {
      throw new FakeHttpError(400, `invalid request: unknown field "${key}"`);
    });
    if (typeof body.model !== 'string' || body.model === '') throw new FakeHttpError(400, 'invalid request: model must be specified');
    if (typeof body.input_type !== 'string') throw new FakeHttpError(400, 'invalid request: input_type is a required field for embed models v3 and higher');
    const texts = body.texts;
    if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string')) throw new FakeHttpError(400, 'invalid request: texts must be a non-empty array of strings');
    if (texts.length > 96) throw new FakeHttpError(400, `invalid request: total number of texts must be at most 96 - received ${texts.length}`);
    const types = body.embedding_types;
    if (types !== undefined && (!Array.isArray(types) || !types.includes('float'))) throw new FakeHttpError(400, 'invalid request: the fake answers float embeddings only');
    return { model: body.model, inputs: texts as string[], dimensions: typeof body.output_dimension === 'number' ? body.output_dimension : null, base64: false };
  },
  answer(call, vectors, tokens) {
    return {
      json: JSON.stringify({
        id: randomUUID(), embeddings: { float: vectors }, texts: call.inputs,
        meta: { api_version: { version: '2' }, billed_units: { input_tokens: tokens } }, response_type: 'embeddings_by_type',
      }),
    };
  },
  errorBody: (status, message, code) => COHERE_FORMAT.errorBody(status, message, code),
};

const EMBEDDING_FORMATS: readonly EmbeddingFormat[] = [OPENAI_EMBEDDINGS, GEMINI_EMBEDDINGS, BEDROCK_EMBEDDINGS, COHERE_EMBEDDINGS];

export function matchEmbeddings(method: string | undefined, pathname: string, query: string): { format: EmbeddingFormat; model: string } | undefined {
  if (method !== 'POST') return undefined;
  for (const format of EMBEDDING_FORMATS) {
    const m = format.match(pathname, query);
    if (m !== null) return { format, model: m.model };
  }
  return undefined;
}
