import { closingBrace, depthAt, isEmptyObjectAt, objectEnd, uniqueObjectAt } from './json-text';

describe('json-text', () => {
  const text = JSON.stringify({ a: { usage: { n: 1, s: '"usage":{ \\' } }, b: ['}', { c: '{' }], usage: { m: [1, { x: 2 }] } });

  it('finds an object-valued key by depth, ignoring look-alikes inside strings', () => {
    expect(uniqueObjectAt(text, 'usage', 1)).toBe(-1); // twice as a key
    const single = JSON.stringify({ t: 'x "usage":{ y', r: { usage: { n: 1 } } });
    const at = uniqueObjectAt(single, 'usage', 2);
    expect(single.slice(at, objectEnd(single, at))).toBe('{"n":1}');
    expect(uniqueObjectAt(single, 'usage', 1)).toBe(-1);
    expect(uniqueObjectAt(single, 'missing', 1)).toBe(-1);
  });

  it('measures depth and object ends across strings with braces, brackets and escapes', () => {
    const m = text.lastIndexOf('"usage":');
    expect(depthAt(text, m)).toBe(1);
    const start = m + '"usage":'.length;
    expect(JSON.parse(text.slice(start, objectEnd(text, start)))).toEqual({ m: [1, { x: 2 }] });
    expect(objectEnd('{"a":"}', 0)).toBe(-1);
  });

  it('tells empty objects and the closing brace of a top-level object', () => {
    expect(isEmptyObjectAt('{ \n}', 0)).toBe(true);
    expect(isEmptyObjectAt('{"a":1}', 0)).toBe(false);
    expect(closingBrace('{"a":1} \n')).toBe(6);
    expect(closingBrace('[1]')).toBe(-1);
  });
});
