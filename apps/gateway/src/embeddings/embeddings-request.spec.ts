import { DEFAULT_REQUEST_LIMITS, GatewayError } from '@app/common';
import { decodeEmbeddingsRequest } from './embeddings-request';
import { base64Vector } from './embeddings-response';

const decode = (body: unknown) => decodeEmbeddingsRequest(Buffer.from(JSON.stringify(body)), DEFAULT_REQUEST_LIMITS);

function paramOf(body: unknown): string | null {
  try {
    decode(body);
  } catch (err) {
    if (err instanceof GatewayError && err.status === 400) return err.param;
    throw err;
  }
  throw new Error('expected a 400');
}

describe('decodeEmbeddingsRequest', () => {
  it('reads strings, token arrays, options and fallbacks; the canonical stand-in reserves no output', () => {
    const d = decode({ model: 'openai/text-embedding-3-small', input: 'hi', encoding_format: 'base64', dimensions: 256, user: 'u', fallbacks: ['azure/e'], input_type: 'search_query' });
    expect(d.models).toEqual(['openai/text-embedding-3-small', 'azure/e']);
    expect(d.body).toEqual({ model: 'openai/text-embedding-3-small', max_output_tokens: 0, store: false });
    expect(d.egress).toEqual({ input: { input: ['hi'], dimensions: 256, user: 'u', inputType: 'search_query' }, encodingFormat: 'base64', tokens: false });
    expect(decode({ model: 'openai/x', input: [1, 2] }).egress).toMatchObject({ input: { input: [[1, 2]] }, tokens: true, encodingFormat: 'float' });
    expect(decode({ model: 'openai/x', input: [[1], [2, 3]] }).egress.input.input).toEqual([[1], [2, 3]]);
  });

  it.each([
    [{ input: 'x' }, 'model'],
    [{ model: 'openai/x' }, 'input'],
    [{ model: 'openai/x', input: [] }, 'input'],
    [{ model: 'openai/x', input: ['a', ''] }, 'input[1]'],
    [{ model: 'openai/x', input: [[1], [-1]] }, 'input[1]'],
    [{ model: 'openai/x', input: Array(2049).fill('a') }, 'input'],
    [{ model: 'openai/x', input: 'a', encoding_format: 'hex' }, 'encoding_format'],
    [{ model: 'openai/x', input: 'a', dimensions: 0 }, 'dimensions'],
    [{ model: 'openai/x', input: 'a', dimensions: 1.5 }, 'dimensions'],
    [{ model: 'openai/x', input: 'a', input_type: 'poetry' }, 'input_type'],
  ])('refuses %j naming %s', (body, param) => {
    expect(paramOf(body)).toBe(param);
  });
});

describe('base64Vector', () => {
  it('is the little-endian float32 bytes, as OpenAI encodes them', () => {
    const bytes = Buffer.from(base64Vector([1, -0.5]), 'base64');
    expect([...bytes]).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xbf]);
  });
});
