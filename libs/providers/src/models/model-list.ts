import { type ProviderConfig, type UpstreamKey, type Json, isJson } from '@app/common';
import { BEDROCK_DEFAULT_BASE_URL } from '../bedrock/bedrock-endpoint';
import { signV4 } from '../bedrock/sigv4';
import type { UpstreamRequest } from '../types';
import { bearer } from '../http/joined-once';

/**
 * Each provider's own list-models API, as pure transforms (the request of one page, the parse
 * of its answer): the gateway's model catalog pages through them in the background.
 *   OpenAI, OpenAI-compatible and chat-only servers: GET {base}/models
 *   Azure OpenAI: GET {resource}/openai/deployments?api-version=2022-12-01 (the deployments)
 *   Anthropic: GET {base}/v1/models, paged by after_id
 *   Gemini: GET {base}/v1beta/models, paged by pageToken; the models that generateContent
 *   Bedrock: GET https://bedrock.{region}.amazonaws.com/foundation-models (SigV4), on-demand text models
 *   Cohere: GET {base}/v1/models?endpoint=chat, paged by page_token
 */
export interface ListedModel {
  id: string;
  /** Unix seconds, when the provider says. */
  created: number | null;
}

export interface ModelListPage {
  models: ListedModel[];
  /** The cursor of the next page, or null after the last. */
  next: string | null;
}

const ANTHROPIC_VERSION = '2023-06-01';
// The last data-plane API version that lists deployments.
const AZURE_DEPLOYMENTS_API_VERSION = '2022-12-01';

/** The request for one page of the provider's models (`cursor` from the previous page). */
export function modelListRequest(provider: ProviderConfig, key: UpstreamKey, cursor: string | null, now?: Date): UpstreamRequest {
  const base = provider.baseUrl;
  const get = (url: string, headers: Record<string, string>): UpstreamRequest => ({ url, headers: { accept: 'application/json', ...provider.headers, ...headers }, body: '', method: 'GET' });
  const auth: Record<string, string> = key.value ? { authorization: bearer(key.value) } : {};
  const page = (name: string): string => (cursor === null ? '' : `&${name}=${encodeURIComponent(cursor)}`);
  switch (provider.kind) {
    case 'anthropic':
      return get(`${base}/v1/models?limit=1000${page('after_id')}`, { 'x-api-key': key.value, 'anthropic-version': ANTHROPIC_VERSION });
    case 'gemini':
      return get(`${base}/v1beta/models?pageSize=1000${page('pageToken')}`, { 'x-goog-api-key': key.value });
    case 'cohere':
      return get(`${base}/v1/models?endpoint=chat&page_size=1000${page('page_token')}`, auth);
    case 'azure':
      return get(`${base.replace(/\/openai\/v1$/, '')}/openai/deployments?api-version=${AZURE_DEPLOYMENTS_API_VERSION}`, { 'api-key': key.value });
    case 'bedrock': {
      const aws = key.aws;
      if (aws === undefined) throw new Error(`${provider.name}: a bedrock key needs AWS credentials`);
      // The control plane (bedrock.), not the runtime (bedrock-runtime.), lists models; an overridden endpoint serves both.
      const root = base === BEDROCK_DEFAULT_BASE_URL ? `https://bedrock.${aws.region}.amazonaws.com` : base;
      const url = `${root}/foundation-models?byOutputModality=TEXT`;
      const headers = signV4({ method: 'GET', url, headers: { accept: 'application/json' }, body: '', service: 'bedrock', credentials: aws, region: aws.region, now });
      return { url, headers, body: '', method: 'GET' };
    }
    default:
      return get(`${base}/models`, auth);
  }
}

const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isJson) : []);
const cursorOf = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const seconds = (v: unknown): number | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
};
const named = (items: Json[], field: string, created?: string): ListedModel[] =>
  items.filter((m) => typeof m[field] === 'string').map((m) => ({ id: m[field] as string, created: created === undefined ? null : seconds(m[created]) }));

/** One page of the provider's answer; throws on a body that is not its list. */
export function parseModelList(kind: ProviderConfig['kind'], text: string): ModelListPage {
  const body = JSON.parse(text) as unknown;
  if (!isJson(body)) throw new Error('not a model list');
  switch (kind) {
    case 'anthropic':
      return { models: named(list(body.data), 'id', 'created_at'), next: body.has_more === true ? cursorOf(body.last_id) : null };
    case 'gemini': {
      const generating = list(body.models).filter((m) => Array.isArray(m.supportedGenerationMethods) && m.supportedGenerationMethods.includes('generateContent'));
      return { models: named(generating, 'name').map((m) => ({ ...m, id: m.id.replace(/^models\//, '') })), next: cursorOf(body.nextPageToken) };
    }
    case 'cohere':
      return { models: named(list(body.models), 'name'), next: cursorOf(body.next_page_token) };
    case 'bedrock': {
      // Models reached only through an inference profile cannot be called by their own id.
      const onDemand = list(body.modelSummaries).filter((m) => Array.isArray(m.inferenceTypesSupported) && m.inferenceTypesSupported.includes('ON_DEMAND'));
      return { models: named(onDemand, 'modelId'), next: null };
    }
    case 'azure':
      return { models: named(list(body.data).filter((d) => d.status === undefined || d.status === 'succeeded'), 'id', 'created_at'), next: null };
    default:
      if (!Array.isArray(body.data)) throw new Error('not a model list');
      return { models: named(list(body.data), 'id', 'created'), next: null };
  }
}
