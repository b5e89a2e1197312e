import { bearer, JoinedOnce, MAX_VALUES } from './joined-once';

describe('JoinedOnce', () => {
  it('joins prefix, value and suffix once per value, and keeps it for the next call', () => {
    const url = new JoinedOnce('', '/responses');
    const base = ['https://api.openai.com', 'v1'].join('/');
    expect(url.of(base)).toBe('https://api.openai.com/v1/responses');
    expect(url.size).toBe(1);
    // The same value again (a fresh string equal to it): found, nothing joined or kept anew.
    const kept = jest.spyOn(Map.prototype, 'set');
    try {
      for (let i = 0; i < 5; i++) expect(url.of(['https://api.openai.com', 'v1'].join('/'))).toBe('https://api.openai.com/v1/responses');
      expect(kept).not.toHaveBeenCalled();
    } finally {
      kept.mockRestore();
    }
    expect(url.size).toBe(1);
    expect(url.of('http://127.0.0.1:8080/v1')).toBe('http://127.0.0.1:8080/v1/responses');
    expect(url.size).toBe(2);
    expect(bearer('sk-test')).toBe('Bearer sk-test');
  });

  it('starts afresh after MAX_VALUES distinct values, and stays correct past it', () => {
    const url = new JoinedOnce('<', '>');
    for (let i = 0; i < MAX_VALUES; i++) expect(url.of(`v${i}`)).toBe(`<v${i}>`);
    expect(url.size).toBe(MAX_VALUES);
    expect(url.of('v0')).toBe('<v0>');
    expect(url.size).toBe(MAX_VALUES);
    expect(url.of('one more')).toBe('<one more>');
    expect(url.size).toBe(1);
    for (let i = 0; i < 3000; i++) expect(url.of(`w${i}`)).toBe(`<w${i}>`);
    expect(url.size).toBeLessThanOrEqual(MAX_VALUES);
  });
});
