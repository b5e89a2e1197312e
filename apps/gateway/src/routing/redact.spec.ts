import { SecretRedactor } from './redact';

describe('SecretRedactor', () => {
  const redactor = new SecretRedactor(['sk-upstream-openai', 'plain-secret-value', 'short']);

  it.each([
    ['a masked OpenAI key', 'Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.'],
    ['an Anthropic key', 'invalid x-api-key sk-ant-api03-AbCdEfGhIjKl'],
    ['a bearer token', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload'],
    ['a Google API key', 'API key not valid: AIzaSyA1234567890abcdefghijk'],
    ['an AWS access key id', 'The security token included in the request is invalid: AKIAIOSFODNN7EXAMPLE'],
    ['a named credential', 'bad request: api_key=abcd1234efgh'],
    ['a configured secret verbatim', 'upstream said plain-secret-value was wrong'],
    ['a masked secret of any shape', 'key ab******yz rejected'],
  ])('clears %s', (_name, text) => {
    const out = redactor.redact(text);
    expect(out).toContain('[redacted]');
    expect(out).not.toMatch(/sk-proj|sk-ant-api03|eyJhbGci|AIzaSy|AKIAIOSF|abcd1234|plain-secret-value|\*\*\*/);
  });

  it('leaves ordinary error text alone (and ignores configured secrets too short to tell from words)', () => {
    const text = "The model 'gpt-5' does not exist or you do not have access to it; a short answer.";
    expect(redactor.redact(text)).toBe(text);
  });
});
