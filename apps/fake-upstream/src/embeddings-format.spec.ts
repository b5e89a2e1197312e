import { fakeEmbedding } from './embeddings-format';
import { createFakeUpstream } from './fake-upstream';
import { useFakeUpstream } from './testing/use-fake-upstream';

/** The fake's embeddings endpoints: the official SDK for OpenAI's, fetch for the strictness of each. */
describe('fake upstream embeddings', () => {
  const up = useFakeUpstream();

  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    fetch(up.fake.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('OpenAI: deterministic vectors, word-count usage, base64 as little-endian float32', async () => {
    const floats = await up.client.embeddings.create({ model: 'text-embedding-3-small', input: ['one two', 'three'], encoding_format: 'float' });
    expect(floats.data.map((d) => d.embedding)).toEqual([fakeEmbedding('one two'), fakeEmbedding('three')]);
    expect(floats.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    // The SDK asks for base64 by default and decodes it to floats itself.
    const decoded = await up.client.embeddings.create({ model: 'text-embedding-3-small', input: 'one two', dimensions: 4 });
    expect(decoded.data[0].embedding).toEqual(fakeEmbedding('one two', 4));
  });

  it('OpenAI: unknown arguments, empty input and dimensions on an older model are refused as OpenAI does', async () => {
    const auth = { authorization: 'Bearer k' };
    const unknown = await post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'x', input_type: 'query' }, auth);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe('Unrecognized request argument supplied: input_type');
    expect((await post('/v1/embeddings', { model: 'text-embedding-3-small', input: '' }, auth)).status).toBe(400);
    expect((await post('/v1/embeddings', { model: 'text-embedding-ada-002', input: 'x', dimensions: 8 }, auth)).status).toBe(400);
  });

  it('Mistral dialect: extra fields are a 422 extra_forbidden; output_dimension is its own', async () => {
    const mistral = await createFakeUpstream({ dialect: 'mistral' });
    try {
      const send = (body: unknown) => fetch(`${mistral.url}/v1/embeddings`, { method: 'POST', headers: { authorization: 'Bearer m', 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const refused = await send({ model: 'mistral-embed', input: ['x'], user: 'u' });
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({ object: 'error', message: { detail: [{ type: 'extra_forbidden', loc: ['body', 'user'] }] } });
      expect((await send({ model: 'mistral-embed', input: ['x'], encoding_format: 'float' })).status).toBe(200);
    } finally {
      await mistral.close();
    }
  });

  it('Gemini batchEmbedContents: values per request; a request naming another model is refused', async () => {
    const key = { 'x-goog-api-key': 'g' };
    const ok = await post('/v1beta/models/gemini-embedding-001:batchEmbedContents', { requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'hi' }] } }] }, key);
    expect(await ok.json()).toEqual({ embeddings: [{ values: fakeEmbedding('hi') }] });
    const wrong = await post('/v1beta/models/gemini-embedding-001:batchEmbedContents', { requests: [{ model: 'models/other', content: { parts: [{ text: 'hi' }] } }] }, key);
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });

  it('Cohere /v2/embed: input_type required, at most 96 texts, billed units', async () => {
    const auth = { authorization: 'Bearer c' };
    const ok = await post('/v2/embed', { model: 'embed-v4.0', texts: ['a b c'], input_type: 'search_document', embedding_types: ['float'] }, auth);
    expect(await ok.json()).toMatchObject({ embeddings: { float: [fakeEmbedding('a b c')] }, meta: { billed_units: { input_tokens: 3 } } });
    expect((await post('/v2/embed', { model: 'embed-v4.0', texts: ['a'] }, auth)).status).toBe(400);
    expect((await post('/v2/embed', { model: 'embed-v4.0', texts: Array(97).fill('a'), input_type: 'search_query' }, auth)).status).toBe(400);
  });
});
