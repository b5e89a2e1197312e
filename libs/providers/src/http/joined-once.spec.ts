import { bearer, JoinedOnce } from './joined-once';

describe('JoinedOnce', () => {
  it('joins prefix, value and suffix, and hands back the same string for the same value', () => {
    const url = new JoinedOnce('', '/responses');
    const base = ['https://api.openai.com', 'v1'].join('/');
    const first = url.of(base);
    expect(first).toBe('https://api.openai.com/v1/responses');
    expect(url.of(base)).toBe(first);
    expect(url.of('http://127.0.0.1:8080/v1')).toBe('http://127.0.0.1:8080/v1/responses');
    expect(bearer('sk-test')).toBe('Bearer sk-test');
  });

  it('stays correct past its bound', () => {
    const url = new JoinedOnce('<', '>');
    for (let i = 0; i < 3000; i++) expect(url.of(`v${i}`)).toBe(`<v${i}>`);
    expect(url.of('v1')).toBe('<v1>');
  });
});
