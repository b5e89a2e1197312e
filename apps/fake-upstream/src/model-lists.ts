import type { IncomingHttpHeaders } from 'node:http';
import { ANTHROPIC_FORMAT } from './anthropic-format';
import { BEDROCK_FORMAT } from './bedrock-format';
import { COHERE_FORMAT } from './cohere-format';
import { GEMINI_FORMAT } from './gemini-format';
import { authenticate } from './routing';

/**
 * Each provider's list-models endpoint, in its real shape: Anthropic `GET /v1/models` (paged by
 * `after_id`), Gemini `GET /v1beta/models` (paged by `pageToken`, with the methods each model
 * supports), Bedrock `GET /foundation-models` (SigV4), Cohere `GET /v1/models?endpoint=chat`,
 * Azure `GET /openai/deployments?api-version=`. OpenAI's `GET /v1/models` is in fake-upstream.ts.
 * Anthropic and Cohere share OpenAI's path on their own hosts: here the `anthropic-version`
 * header and Cohere's `endpoint` filter tell them apart.
 */
export interface ModelList {
  status: number;
  json: string;
}

const ANTHROPIC_MODELS = [
  { id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' },
  { id: 'claude-haiku-4-5', display_name: 'Claude Haiku 4.5', created_at: '2025-10-01T00:00:00Z' },
  { id: 'claude-opus-4-1', display_name: 'Claude Opus 4.1', created_at: '2025-08-05T00:00:00Z' },
];

const GEMINI_MODELS = [
  { name: 'models/gemini-2.5-flash', displayName: 'Gemini 2.5 Flash', supportedGenerationMethods: ['generateContent', 'countTokens'] },
  { name: 'models/gemini-2.5-pro', displayName: 'Gemini 2.5 Pro', supportedGenerationMethods: ['generateContent', 'countTokens'] },
  { name: 'models/text-embedding-004', displayName: 'Text Embedding 004', supportedGenerationMethods: ['embedContent'] },
];

const BEDROCK_MODELS = [
  { modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0', providerName: 'Anthropic', outputModalities: ['TEXT'], inferenceTypesSupported: ['ON_DEMAND'] },
  { modelId: 'amazon.nova-pro-v1:0', providerName: 'Amazon', outputModalities: ['TEXT'], inferenceTypesSupported: ['ON_DEMAND'] },
  // Reached through an inference profile only: not callable by its model id.
  { modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0', providerName: 'Anthropic', outputModalities: ['TEXT'], inferenceTypesSupported: ['INFERENCE_PROFILE'] },
  { modelId: 'amazon.titan-embed-text-v2:0', providerName: 'Amazon', outputModalities: ['EMBEDDING'], inferenceTypesSupported: ['ON_DEMAND'] },
];

const COHERE_MODELS = [
  { name: 'command-a-03-2025', endpoints: ['generate', 'chat', 'summarize'], context_length: 256000 },
  { name: 'command-r7b-12-2024', endpoints: ['generate', 'chat', 'summarize'], context_length: 128000 },
  { name: 'embed-v4.0', endpoints: ['embed'], context_length: 128000 },
];

const AZURE_DEPLOYMENTS = [
  { id: 'prod-gpt4o', model: 'gpt-4o', owner: 'organization-owner', status: 'succeeded', created_at: 1_715_000_000, object: 'deployment' },
  { id: 'gpt-4o-mini', model: 'gpt-4o-mini', owner: 'organization-owner', status: 'succeeded', created_at: 1_721_000_000, object: 'deployment' },
];

const param = (query: string, name: string): string | null => new URLSearchParams(query).get(name);

/** The list a GET asks for, after the provider's own authentication; null when the path is no list. */
export function modelListFor(method: string | undefined, pathname: string, query: string, headers: IncomingHttpHeaders): ModelList | null {
  if (method !== 'GET') return null;
  if (pathname === '/v1/models' && typeof headers['anthropic-version'] === 'string') {
    ANTHROPIC_FORMAT.authenticate(headers, Buffer.alloc(0), query, pathname);
    // One model a page, so that paging is exercised.
    const after = param(query, 'after_id');
    const start = after === null ? 0 : ANTHROPIC_MODELS.findIndex((m) => m.id === after) + 1;
    const page = ANTHROPIC_MODELS.slice(start, start + 1).map((m) => ({ type: 'model', ...m }));
    return ok({ data: page, has_more: start + 1 < ANTHROPIC_MODELS.length, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null });
  }
  if (pathname === '/v1/models' && param(query, 'endpoint') !== null) {
    COHERE_FORMAT.authenticate(headers, Buffer.alloc(0), query, pathname);
    const endpoint = param(query, 'endpoint')!;
    return ok({ models: COHERE_MODELS.filter((m) => m.endpoints.includes(endpoint)) });
  }
  if (pathname === '/v1beta/models') {
    GEMINI_FORMAT.authenticate(headers, Buffer.alloc(0), query, pathname);
    const start = Number(param(query, 'pageToken') ?? '0');
    const page = GEMINI_MODELS.slice(start, start + 2);
    return ok({ models: page, ...(start + 2 < GEMINI_MODELS.length ? { nextPageToken: String(start + 2) } : {}) });
  }
  if (pathname === '/foundation-models') {
    BEDROCK_FORMAT.authenticate(headers, Buffer.alloc(0), query, pathname, 'GET');
    const modality = param(query, 'byOutputModality');
    return ok({ modelSummaries: BEDROCK_MODELS.filter((m) => modality === null || m.outputModalities.includes(modality)) });
  }
  if (pathname === '/openai/deployments') {
    authenticate(headers);
    if (param(query, 'api-version') === null) return { status: 404, json: JSON.stringify({ error: { code: '404', message: 'Resource not found' } }) };
    return ok({ data: AZURE_DEPLOYMENTS, object: 'list' });
  }
  return null;
}

function ok(body: unknown): ModelList {
  return { status: 200, json: JSON.stringify(body) };
}
