import type { UpstreamKey } from '@app/common';
import { embeddingAdapterFor } from '../provider-registry';
import { AzureEmbeddingAdapter } from '../azure/azure-embeddings';
import { BedrockEmbeddingAdapter } from '../bedrock/bedrock-embeddings';
import { CohereEmbeddingAdapter } from '../cohere/cohere-embeddings';
import { GeminiEmbeddingAdapter } from '../gemini/gemini-embeddings';
import { MistralEmbeddingAdapter } from '../mistral/mistral-embeddings';
import { OpenAIEmbeddingAdapter } from '../openai/openai-embeddings';
import { rejection, testProvider } from '../testing/adapter-fixtures';
import type { EmbeddingInput } from '../types';

const key: UpstreamKey = { id: 'k', value: 'sk-up', weight: 1, models: [] };
const awsKey: UpstreamKey = { id: 'k', value: '', weight: 1, models: [], aws: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', region: 'eu-west-3' } };
const request = (fields: Partial<EmbeddingInput> = {}): EmbeddingInput => ({ input: ['first text', 'second text'], dimensions: null, user: null, inputType: null, ...fields });
const json = (body: string): unknown => JSON.parse(body);

describe('OpenAI embeddings', () => {
  const adapter = new OpenAIEmbeddingAdapter(true);
  const provider = testProvider({ name: 'openai', kind: 'openai', baseUrl: 'https://api.openai.com/v1' });

  it('asks /embeddings for floats, with dimensions and user when given, token arrays as they are', () => {
    const req = adapter.buildEmbeddingRequest({ request: request({ input: [[1, 2, 3]], dimensions: 256, user: 'u' }), upstreamModel: 'text-embedding-3-small', provider, key });
    expect(adapter.batchSize()).toBe(2048);
    expect(req.url).toBe('https://api.openai.com/v1/embeddings');
    expect(req.headers.authorization).toBe('Bearer sk-up');
    expect(json(req.body)).toEqual({ model: 'text-embedding-3-small', input: [[1, 2, 3]], encoding_format: 'float', dimensions: 256, user: 'u' });
  });

  it('reads a recorded answer back into input order', () => {
    const text = JSON.stringify({
      object: 'list',
      data: [{ object: 'embedding', index: 1, embedding: [0.3, 0.4] }, { object: 'embedding', index: 0, embedding: [0.1, -0.2] }],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 8, total_tokens: 8 },
    });
    expect(adapter.parseEmbeddings(text)).toEqual({ vectors: [[0.1, -0.2], [0.3, 0.4]], inputTokens: 8 });
    expect(() => adapter.parseEmbeddings('{"object":"list"}')).toThrow();
    expect(adapter.parseError(400, '{"error":{"message":"bad input","type":"invalid_request_error","param":"input","code":null}}')).toMatchObject({ message: 'bad input', param: 'input' });
  });
});

describe('Mistral embeddings', () => {
  it('sends only the fields Mistral defines, output_dimension for dimensions, and reads its 422 body', () => {
    const adapter = new MistralEmbeddingAdapter();
    const provider = testProvider({ name: 'mistral', kind: 'chat-completions', baseUrl: 'https://api.mistral.ai/v1' });
    const req = adapter.buildEmbeddingRequest({ request: request({ dimensions: 256, user: 'u' }), upstreamModel: 'codestral-embed', provider, key });
    expect(req.url).toBe('https://api.mistral.ai/v1/embeddings');
    expect(json(req.body)).toEqual({ model: 'codestral-embed', input: ['first text', 'second text'], encoding_format: 'float', output_dimension: 256 });
    const refused = '{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","user"],"msg":"Extra inputs are not permitted","input":"u"}]},"type":"invalid_request_error","param":null,"code":null}';
    expect(adapter.parseError(422, refused)).toMatchObject({ param: 'user', message: expect.stringContaining('Extra inputs are not permitted') });
    expect(embeddingAdapterFor('chat-completions', 'mistral')).toBeInstanceOf(MistralEmbeddingAdapter);
    expect(embeddingAdapterFor('chat-completions', 'deepseek')).not.toBeInstanceOf(MistralEmbeddingAdapter);
  });
});

describe('Azure embeddings', () => {
  it('posts to the deployment with api-version and api-key', () => {
    const provider = testProvider({ name: 'azure', kind: 'azure', baseUrl: 'https://r.openai.azure.com', apiVersion: '2024-10-21' });
    const req = new AzureEmbeddingAdapter().buildEmbeddingRequest({ request: request(), upstreamModel: 'emb-deploy', provider, key });
    expect(req.url).toBe('https://r.openai.azure.com/openai/deployments/emb-deploy/embeddings?api-version=2024-10-21');
    expect(req.headers['api-key']).toBe('sk-up');
    expect(req.headers.authorization).toBeUndefined();
  });
});

describe('Gemini embeddings', () => {
  const adapter = new GeminiEmbeddingAdapter();
  const provider = testProvider({ name: 'gemini', kind: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com' });

  it('one batchEmbedContents request per text, each naming the model, 100 per call', () => {
    expect(adapter.batchSize()).toBe(100);
    const req = adapter.buildEmbeddingRequest({ request: request({ dimensions: 768 }), upstreamModel: 'gemini-embedding-001', provider, key });
    expect(req.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(req.headers['x-goog-api-key']).toBe('sk-up');
    expect(json(req.body)).toEqual({
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'first text' }] }, outputDimensionality: 768 },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'second text' }] }, outputDimensionality: 768 },
      ],
    });
  });

  it('reads values in order and reports no token count', () => {
    expect(adapter.parseEmbeddings('{"embeddings":[{"values":[0.1,0.2]},{"values":[0.3,0.4]}]}')).toEqual({ vectors: [[0.1, 0.2], [0.3, 0.4]], inputTokens: null });
  });
});

describe('Bedrock embeddings', () => {
  const adapter = new BedrockEmbeddingAdapter(() => new Date('2026-01-01T00:00:00Z'));
  const provider = testProvider({ name: 'bedrock', kind: 'bedrock', baseUrl: 'http://127.0.0.1:4010' });

  it('Titan: one signed invoke call per input', () => {
    expect(adapter.batchSize('amazon.titan-embed-text-v2:0')).toBe(1);
    const req = adapter.buildEmbeddingRequest({ request: request({ input: ['first text'], dimensions: 512 }), upstreamModel: 'amazon.titan-embed-text-v2:0', provider, key: awsKey });
    expect(req.url).toBe('http://127.0.0.1:4010/model/amazon.titan-embed-text-v2%3A0/invoke');
    expect(json(req.body)).toEqual({ inputText: 'first text', dimensions: 512 });
    expect(req.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260101\/eu-west-3\/bedrock\/aws4_request/);
    expect(adapter.parseEmbeddings('{"embedding":[0.5,0.25],"embeddingsByType":{"float":[0.5,0.25]},"inputTextTokenCount":3}', {})).toEqual({ vectors: [[0.5, 0.25]], inputTokens: 3 });
    expect(rejection(() => adapter.buildEmbeddingRequest({ request: request({ dimensions: 100 }), upstreamModel: 'amazon.titan-embed-text-v2:0', provider, key: awsKey })).param).toBe('dimensions');
  });

  it('Cohere: texts batched with input_type, tokens from the header', () => {
    expect(adapter.batchSize('cohere.embed-english-v3')).toBe(96);
    const req = adapter.buildEmbeddingRequest({ request: request({ inputType: 'search_query' }), upstreamModel: 'cohere.embed-english-v3', provider, key: awsKey });
    expect(json(req.body)).toEqual({ texts: ['first text', 'second text'], input_type: 'search_query' });
    const answer = '{"embeddings":[[0.1],[0.2]],"id":"e1","response_type":"embeddings_floats","texts":["first text","second text"]}';
    expect(adapter.parseEmbeddings(answer, { 'x-amzn-bedrock-input-token-count': '4' })).toEqual({ vectors: [[0.1], [0.2]], inputTokens: 4 });
    expect(adapter.parseEmbeddings(answer, {}).inputTokens).toBeNull();
  });

  it('refuses a model that is no known embedding model', () => {
    expect(rejection(() => adapter.buildEmbeddingRequest({ request: request(), upstreamModel: 'anthropic.claude-3-haiku', provider, key: awsKey })).param).toBe('model');
  });
});

describe('Cohere embeddings', () => {
  const adapter = new CohereEmbeddingAdapter();
  const provider = testProvider({ name: 'cohere', kind: 'cohere', baseUrl: 'https://api.cohere.com' });

  it('posts /v2/embed with input_type and float types, 96 texts per call', () => {
    expect(adapter.batchSize()).toBe(96);
    const req = adapter.buildEmbeddingRequest({ request: request({ dimensions: 512 }), upstreamModel: 'embed-v4.0', provider, key });
    expect(req.url).toBe('https://api.cohere.com/v2/embed');
    expect(json(req.body)).toEqual({ model: 'embed-v4.0', texts: ['first text', 'second text'], input_type: 'search_document', embedding_types: ['float'], output_dimension: 512 });
  });

  it('reads float vectors and billed input tokens', () => {
    const text = JSON.stringify({ id: 'x', embeddings: { float: [[0.1, 0.2]] }, texts: ['hi'], meta: { api_version: { version: '2' }, billed_units: { input_tokens: 2 } }, response_type: 'embeddings_by_type' });
    expect(adapter.parseEmbeddings(text)).toEqual({ vectors: [[0.1, 0.2]], inputTokens: 2 });
  });
});

describe('embeddingAdapterFor', () => {
  it('has none for anthropic; token arrays only for OpenAI and Azure', () => {
    expect(embeddingAdapterFor('anthropic')).toBeNull();
    expect(embeddingAdapterFor('openai')?.acceptsTokens).toBe(true);
    expect(embeddingAdapterFor('azure')?.acceptsTokens).toBe(true);
    expect(embeddingAdapterFor('chat-completions')?.acceptsTokens).toBe(false);
  });
});
