import { BEDROCK_DEFAULT_BASE_URL } from '../bedrock/bedrock-endpoint';
import type { ProviderKind } from '../provider-registry';
import { testProvider } from '../testing/adapter-fixtures';
import { modelListRequest, parseModelList } from './model-list';

const key = { id: 'k', value: 'secret', weight: 1, models: [] };
const provider = (kind: ProviderKind, baseUrl: string) => testProvider({ name: kind, kind, baseUrl });

describe('list-models requests', () => {
  it('asks each provider its own way', () => {
    expect(modelListRequest(provider('openai', 'https://api.openai.com/v1'), key, null)).toMatchObject({ method: 'GET', url: 'https://api.openai.com/v1/models', headers: { authorization: 'Bearer secret' } });
    expect(modelListRequest(provider('chat-completions', 'https://api.mistral.ai/v1'), key, null).url).toBe('https://api.mistral.ai/v1/models');
    expect(modelListRequest(provider('anthropic', 'https://api.anthropic.com'), key, 'claude-x')).toMatchObject({
      url: 'https://api.anthropic.com/v1/models?limit=1000&after_id=claude-x', headers: { 'x-api-key': 'secret', 'anthropic-version': '2023-06-01' },
    });
    expect(modelListRequest(provider('gemini', 'https://generativelanguage.googleapis.com'), key, 'tok')).toMatchObject({
      url: 'https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000&pageToken=tok', headers: { 'x-goog-api-key': 'secret' },
    });
    expect(modelListRequest(provider('cohere', 'https://api.cohere.com'), key, null).url).toBe('https://api.cohere.com/v1/models?endpoint=chat&page_size=1000');
    for (const base of ['https://res.openai.azure.com', 'https://res.openai.azure.com/openai/v1']) {
      expect(modelListRequest(provider('azure', base), key, null)).toMatchObject({ url: 'https://res.openai.azure.com/openai/deployments?api-version=2022-12-01', headers: { 'api-key': 'secret' } });
    }
    const aws = { ...key, value: '', aws: { accessKeyId: 'AKID', secretAccessKey: 'S', region: 'eu-west-1' } };
    const bedrock = modelListRequest(provider('bedrock', BEDROCK_DEFAULT_BASE_URL), aws, null, new Date('2026-01-02T03:04:05Z'));
    expect(bedrock.url).toBe('https://bedrock.eu-west-1.amazonaws.com/foundation-models?byOutputModality=TEXT');
    expect(bedrock.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/20260102\/eu-west-1\/bedrock\/aws4_request/);
  });
});

describe('list-models answers', () => {
  it('reads each shape, its paging cursor, and keeps only what the gateway can call', () => {
    expect(parseModelList('openai', '{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"}]}')).toEqual({ models: [{ id: 'gpt-4o', created: 1715367049 }], next: null });
    expect(parseModelList('anthropic', '{"data":[{"type":"model","id":"claude-sonnet-4-5","created_at":"2025-09-29T00:00:00Z"}],"has_more":true,"last_id":"claude-sonnet-4-5"}')).toEqual({ models: [{ id: 'claude-sonnet-4-5', created: 1759104000 }], next: 'claude-sonnet-4-5' });
    expect(parseModelList('gemini', JSON.stringify({ models: [{ name: 'models/gemini-2.5-flash', supportedGenerationMethods: ['generateContent'] }, { name: 'models/text-embedding-004', supportedGenerationMethods: ['embedContent'] }], nextPageToken: 'n2' }))).toEqual({ models: [{ id: 'gemini-2.5-flash', created: null }], next: 'n2' });
    expect(parseModelList('cohere', '{"models":[{"name":"command-a-03-2025","endpoints":["chat"]}],"next_page_token":""}')).toEqual({ models: [{ id: 'command-a-03-2025', created: null }], next: null });
    expect(parseModelList('bedrock', JSON.stringify({ modelSummaries: [{ modelId: 'amazon.nova-pro-v1:0', inferenceTypesSupported: ['ON_DEMAND'] }, { modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0', inferenceTypesSupported: ['INFERENCE_PROFILE'] }] })).models).toEqual([{ id: 'amazon.nova-pro-v1:0', created: null }]);
    expect(parseModelList('azure', JSON.stringify({ data: [{ id: 'prod', model: 'gpt-4o', status: 'succeeded', created_at: 5 }, { id: 'new', status: 'creating' }] })).models).toEqual([{ id: 'prod', created: 5 }]);
    expect(() => parseModelList('openai', '{"error":{"message":"nope"}}')).toThrow();
    expect(() => parseModelList('anthropic', 'not json')).toThrow();
  });
});
