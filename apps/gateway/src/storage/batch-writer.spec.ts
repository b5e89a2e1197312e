import { copyField, copyLine } from './batch-writer';

describe('COPY text', () => {
  it('escapes backslashes, newlines, carriage returns and tabs, and replaces U+0000', () => {
    expect(copyField('plain')).toBe('plain');
    expect(copyField('{"text":"a\\nb \\"q\\" \\\\"}')).toBe('{"text":"a\\\\nb \\\\"q\\\\" \\\\\\\\"}');
    expect(copyField('a\tb\nc\rd\0e\\f')).toBe('a\\tb\\nc\\rd\uFFFDe\\\\f');
    expect(copyField('\n')).toBe('\\n');
    expect(copyField('')).toBe('');
  });

  it('writes null, booleans, numbers and dates in the text format', () => {
    expect(copyLine([null, true, false, 3, new Date(0), 'x'])).toBe('\\N\tt\tf\t3\t1970-01-01T00:00:00.000Z\tx\n');
  });
});
