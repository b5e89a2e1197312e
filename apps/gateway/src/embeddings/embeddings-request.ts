import { checkModelName, GatewayError, MAX_EMBEDDING_INPUTS, type RequestLimits } from '@app/common';
import type { EmbeddingInput } from '@app/providers';
import { checkType, parseJsonBody, takeFallbacks } from '../formats/responses/responses-request';
import type { DecodedRequest } from '../formats/wire-format';

/** What the embeddings answer needs to remember of the request. */
export interface EmbeddingsEgress {
  input: EmbeddingInput;
  encodingFormat: 'float' | 'base64';
  /** Whether `input` holds token arrays (only providers that take them can serve it). */
  tokens: boolean;
}

const MAX_DIMENSIONS = 65_536;
const INPUT_TYPES = new Set(['search_document', 'search_query', 'classification', 'clustering']);

function isTokenArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((t) => Number.isSafeInteger(t) && (t as number) >= 0);
}

/** `input` as OpenAI takes it: a string, strings, a token array or token arrays; never empty. */
function readInput(input: unknown): { values: string[] | number[][]; tokens: boolean } {
  const bad = (message: string, param = 'input') => GatewayError.invalidRequest(message, param);
  if (typeof input === 'string') {
    if (input === '') throw bad("'input' must not be an empty string.");
    return { values: [input], tokens: false };
  }
  if (!Array.isArray(input) || input.length === 0) throw bad("'input' must be a non-empty string, array of strings, or array of token arrays.");
  if (input.length > MAX_EMBEDDING_INPUTS) throw bad(`'input' may hold at most ${MAX_EMBEDDING_INPUTS} items (got ${input.length}).`);
  if (typeof input[0] === 'number') {
    if (!isTokenArray(input)) throw bad("'input' must be a token array of non-negative integers.");
    return { values: [input], tokens: true };
  }
  if (typeof input[0] === 'string') {
    input.forEach((v, i) => {
      if (typeof v !== 'string' || v === '') throw bad(`'input[${i}]' must be a non-empty string.`, `input[${i}]`);
    });
    return { values: input as string[], tokens: false };
  }
  input.forEach((v, i) => {
    if (!isTokenArray(v)) throw bad(`'input[${i}]' must be a non-empty token array of non-negative integers.`, `input[${i}]`);
  });
  return { values: input as number[][], tokens: true };
}

/**
 * An OpenAI embeddings request (`model`, `input`, `encoding_format`, `dimensions`, `user`, the
 * gateway's `fallbacks`, and Cohere's `input_type` as an extension), bounded like every other
 * front door. `body` is the canonical stand-in the shared stages read: the model, no output
 * (`max_output_tokens: 0`, so admission reserves the input alone), nothing stored.
 */
export function decodeEmbeddingsRequest(raw: Buffer, limits: RequestLimits): DecodedRequest<EmbeddingsEgress> {
  const body = parseJsonBody(raw, limits);
  const models = [checkModelName(body.model, 'model', limits.maxModelNameLength)];
  const hasRequestFallbacks = takeFallbacks(body, limits, models);
  const { values, tokens } = readInput(body.input);
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw GatewayError.invalidRequest("'encoding_format' must be float or base64.", 'encoding_format');
  checkType(body, 'dimensions', 'integer');
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : null;
  if (dimensions !== null && (dimensions < 1 || dimensions > MAX_DIMENSIONS)) {
    throw GatewayError.invalidRequest(`'dimensions' must be between 1 and ${MAX_DIMENSIONS} (got ${dimensions}).`, 'dimensions');
  }
  checkType(body, 'user', 'string');
  const inputType = body.input_type;
  if (inputType !== undefined && inputType !== null && (typeof inputType !== 'string' || !INPUT_TYPES.has(inputType))) {
    throw GatewayError.invalidRequest(`'input_type' must be one of ${[...INPUT_TYPES].join(', ')}.`, 'input_type');
  }
  const input: EmbeddingInput = {
    input: values,
    dimensions,
    user: typeof body.user === 'string' ? body.user : null,
    inputType: typeof inputType === 'string' ? inputType : null,
  };
  return {
    body: { model: models[0], max_output_tokens: 0, store: false },
    stream: false,
    models,
    hasRequestFallbacks,
    egress: { input, encodingFormat: format, tokens },
  };
}
