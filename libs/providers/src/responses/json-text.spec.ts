import { closingBrace, depthAt, elementSpans, findMembers, firstNonSpace, indexOfAfter, isEmptyObjectAt, isIndented, objectEnd, type ObjectScan, plainJsonString, scanObject, stringAt, uniqueObjectAt, uniqueObjectsAt, withMembers } from './json-text';

/**
 * The oracle of scanObject's element ids (ObjectScan.ids): findMembers for each element of the
 * array that opens at `start`, the spans of each element's members appended to `at` in its layout
 * (element e's key k at `2 * (e * keys.length + k)`). Returns the number of elements, or -1 when
 * one is not an object or findMembers cannot read it.
 */
function findElementMembers(text: string, start: number, keys: readonly string[], at: number[]): number {
  const skipSpace = (i: number) => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
    return i;
  };
  if (text[start] !== '[') return -1;
  let i = skipSpace(start + 1);
  if (text[i] === ']') return 0;
  const found: number[] = [];
  for (let count = 1; ; count++) {
    const close = findMembers(text, i, keys, found);
    if (close === -1) return -1;
    at.push(...found);
    i = skipSpace(close + 1);
    if (text[i] === ']') return count;
    if (text[i] !== ',') return -1;
    i = skipSpace(i + 1);
  }
}

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

  it('finds several object-valued keys in one pass, as uniqueObjectAt finds each', () => {
    const texts = [
      text,
      JSON.stringify({ t: 'x "usage":{ y', r: { usage: { n: 1 } } }),
      '{"type":"response.completed","response":{"id":"r","output":[{"usage":{"a":1}}],"usage":{"b":2}},"sequence_number":3}',
      '{"type":"response.completed","response":{"id":"r","usage":{"input_tokens":1}},"x":{"response":{}}}',
      '{"response":{"usage":{}},"a\\"usage":{},"b":"\\"response\\":{"}',
      '{"response":{"xusage":{},"usage":{"n":"\\\\"},"usage_":{}}}',
      '{"response" :{"usage": {}}}',
      '{"response":{":{":{"usage":{":{":1}}}}',
      '":{', '', '{}', '{"usage":{', '{{', ':{', '"response":{}', '{"a":{"response":{"usage":{}}},"response":{"usage":{}}}',
      // A key's name followed by a `{` not preceded by `":`: not the key.
      '{"a":"usageX:{","response":{"usage":{}}}', '{"a":["usage",{}],"response":{"usage":{}}}',
    ];
    const keys = ['response', 'usage', 'missing'];
    const at: number[] = [];
    for (const t of texts) {
      for (const depths of [[1, 2, 1], [2, 1, 1], [1, 3, 2]]) {
        uniqueObjectsAt(t, keys, depths, at);
        expect(at).toEqual(keys.map((k, i) => uniqueObjectAt(t, k, depths[i])));
      }
    }
  });

  it('finds a pattern by its rest where indexOf finds it whole, from every position', () => {
    const texts = [
      '{"usage":{"input_cost":1,"cost":{"total":2}},"x":"cost\\":","cost":3}',
      'cost":{"cost":1}',
      '"cost":',
      '{"type":"response.output_text.delta","xdelta":"a","delta":"b\\"delta\\":\\"c"}',
      '{"a":"xtra_fields\\":","b_extra_fields":1,"extra_fields":{}}',
      '{"axtra_fields":1,"e":"\\"extra_fields\\":"}', '"extra_fields":', 'extra_fields":', '', '"', 'cost"', 'aaaa', 'abc',
    ];
    // The callers' patterns, then the edges: an empty head or rest, and patterns that overlap themselves.
    const patterns = [['"', 'cost":'], ['"', 'cost"'], ['"', 'delta":"'], ['"e', 'xtra_fields":'], ['', 'cost'], ['"', ''], ['x', ''], ['aa', 'a'], ['a', 'aa'], ['c', '']];
    for (const t of texts) {
      for (const [head, rest] of patterns) {
        for (let from = -2; from <= t.length + 2; from++) expect(indexOfAfter(t, head, rest, from)).toBe(t.indexOf(head + rest, from));
      }
    }
  });

  it('measures depth and object ends across strings with braces, brackets and escapes', () => {
    const m = text.lastIndexOf('"usage":');
    expect(depthAt(text, m)).toBe(1);
    const start = m + '"usage":'.length;
    expect(JSON.parse(text.slice(start, objectEnd(text, start)))).toEqual({ m: [1, { x: 2 }] });
    expect(objectEnd('{"a":"}', 0)).toBe(-1);
  });

  it('counts the same depth from either end of the text, across strings with brackets, quotes and backslashes', () => {
    const t = JSON.stringify({ a: ['x"}]\\', { b: { c: '{[' } }], d: { e: '\\"' }, f: [[{}]], g: 'z' });
    // The depth at every index outside a string, read char by char from the start.
    let depth = 0;
    let inString = false;
    for (let i = 0; i < t.length; i++) {
      const c = t[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        continue;
      }
      expect(depthAt(t, i)).toBe(depth);
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') depth--;
    }
  });

  it('tells an indented object from a compact one', () => {
    expect(isIndented(JSON.stringify({ a: 1 }, null, 2))).toBe(true);
    expect(isIndented(' {\r\n"a":1}')).toBe(true);
    expect(isIndented('{"a":{\n"b":1}}')).toBe(false);
    expect(isIndented(JSON.stringify({ a: 1 }))).toBe(false);
    expect(isIndented('[ 1]')).toBe(false);
    expect(isIndented('')).toBe(false);
  });

  it('tells empty objects and the closing brace of a top-level object', () => {
    expect(isEmptyObjectAt('{ \n}', 0)).toBe(true);
    expect(isEmptyObjectAt('{"a":1}', 0)).toBe(false);
    expect(closingBrace('{"a":1} \n')).toBe(6);
    expect(closingBrace('[1]')).toBe(-1);
  });

  describe('scanObject', () => {
    const keys = ['usage', 'extra_fields'];
    const tricky = 'she wrote \\"usage\\":{ \\\\ \\u00e9\\n\\t\\/ {[';
    const seeds = [
      '{"id":"r","output":[{"type":"message","content":[{"type":"output_text","text":"' + tricky + '"}]}],"usage":{"input_tokens":3,"output_tokens":4},"n":[-0.5e+3,1E2,0,true,false,null,{}]}',
      '{"usage":null,"extra_fields":{"a":[[]]},"x":"\\\\"}',
      '{ "a" : [ 1 , 2 ] , "usage" : { } } ',
      '{}',
    ];
    // Pretty-printed, as OpenAI's own API answers: newlines and indentation between the tokens.
    seeds.push(JSON.stringify(JSON.parse(seeds[0]), null, 2), JSON.stringify(JSON.parse(seeds[1]), null, 2));

    /** What the scan must agree with: JSON.parse, and the values it reads. */
    const check = (text: string) => {
      const spans = scanObject(text, keys);
      if (spans === null) return false;
      const parsed = JSON.parse(text) as Record<string, unknown>;
      expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
      keys.forEach((key, k) => {
        if (spans[2 * k] === -1) expect(Object.hasOwn(parsed, key)).toBe(false);
        else expect(JSON.parse(text.slice(spans[2 * k], spans[2 * k + 1]))).toEqual(parsed[key]);
      });
      return true;
    };

    it('reads the top-level values of plain JSON objects, whatever their strings hold', () => {
      for (const seed of seeds) expect(check(seed)).toBe(true);
      const text = seeds[0];
      const [start, end] = scanObject(text, keys)!;
      expect(text.slice(start, end)).toBe('{"input_tokens":3,"output_tokens":4}');
    });

    it('finds keys of every length among keys of other lengths, 31 characters and longer too', () => {
      const long = ['k'.repeat(30), 'k'.repeat(31), 'k'.repeat(40), 'm'.repeat(40)];
      const text = `{${long.map((key, i) => `"${key}":${i}`).join(',')},"k":9,"${'k'.repeat(32)}":8}`;
      expect(scanObject(text, long)).toEqual(long.flatMap((key) => [text.indexOf(`"${key}":`) + key.length + 3, text.indexOf(`"${key}":`) + key.length + 4]));
      expect(scanObject(text, ['k', 'kk'])).toEqual([text.indexOf('"k":9') + 4, text.indexOf('"k":9') + 5, -1, -1]);
    });

    it('finds the end of keys and values of every length, short and long, escapes at any place', () => {
      for (let n = 0; n <= 40; n++) {
        const plain = 'x'.repeat(n);
        const escaped = n === 0 ? '\\"' : `${'y'.repeat(n - 1)}\\"`;
        for (const s of [plain, escaped]) {
          // A top-level key spelled with escapes is left to a full parse: only plain ones there.
          expect(check(`{"${plain}":"${s}","usage":{"${s}":[1]},"z":1}`)).toBe(true);
          // Never closed: from the quote of the key or of the value.
          expect(scanObject(`{"${s}`, keys)).toBeNull();
          expect(scanObject(`{"a":"${s}`, keys)).toBeNull();
        }
      }
    });

    it('never passes text JSON.parse refuses: every truncation, and garbled bytes', () => {
      let seed = 15;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % n;
      };
      const alphabet = ['"', '{', '}', '[', ']', ',', ':', '\\', ' ', '0', '1', '-', '.', 'e', '+', 't', 'n', 'u', 'x', '\n', '\u0001', '\u00e9'];
      let passed = 0;
      const wronglyPassed: string[] = [];
      for (const text of seeds) {
        for (let cut = 0; cut < text.trimEnd().length; cut++) if (scanObject(text.slice(0, cut), keys) !== null) wronglyPassed.push(text.slice(0, cut));
        for (let t = 0; t < 3000; t++) {
          const at = random(text.length);
          const ch = alphabet[random(alphabet.length)];
          const op = random(3);
          const garbled = op === 0 ? text.slice(0, at) + ch + text.slice(at + 1) : op === 1 ? text.slice(0, at) + ch + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
          let valid = true;
          try {
            JSON.parse(garbled);
          } catch {
            valid = false;
          }
          if (scanObject(garbled, keys) === null) continue;
          if (!valid) wronglyPassed.push(garbled);
          else if (passed++ % 20 === 0) check(garbled);
        }
      }
      expect(wronglyPassed).toEqual([]);
      expect(passed).toBeGreaterThan(100); // the fuzz reaches valid variants too
    });

    it("reads an array member's elements' ids in the same walk, as findElementMembers finds them, and whether the text is plain", () => {
      const withOutput = ['output', ...keys];
      const items = [
        '{"output":[{"id":"a","type":"m","content":[{"id":"inner"}]},{"type":"f","id":"b\\u0062"}],"usage":{}}',
        '{"output":[{"type":"m"},{"id":7,"x":{"id":"y"}}]}',
        '{"output":[]}', '{"a":1}', '{"output":{"id":"x"}}', '{"output":[{"id":"a"},1]}', '{"output":[[{"id":"a"}]]}',
        '{"output":[{"id":"a","id":"b"}]}', '{"output":[{"\\u0069d":"a"}]}', '{"output":[{"x":{"\\u0069d":"a"},"id":"b"}]}',
      ];
      const texts = [...items, ...items.map((t) => JSON.stringify(JSON.parse(t), null, 2)), ...seeds];
      let seed = 3;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return (seed >>> 16) % n;
      };
      const alphabet = ['"', '{', '}', '[', ']', ',', ':', '\\', ' ', 'i', 'd', '\n'];
      for (const text of [...texts]) {
        for (let t = 0; t < 300; t++) {
          const at = random(text.length);
          texts.push(text.slice(0, at) + alphabet[random(alphabet.length)] + text.slice(at + random(2)));
        }
      }
      let read = 0;
      for (const text of texts) {
        const found: ObjectScan = { elementsOf: 0, ids: null, plain: false };
        const spans = scanObject(text, withOutput, found);
        if (spans === null) continue;
        expect(found.plain).toBe(!/[\\\n]/.test(text));
        const at: number[] = [];
        const count = spans[0] === -1 ? 0 : findElementMembers(text, spans[0], ['id'], at);
        expect(found.ids).toEqual(count === -1 ? null : at);
        if (count > 0) read++;
      }
      expect(read).toBeGreaterThan(50);
    });

    it('walks an object inside a larger text in place as it walks the object alone, up to where it must end', () => {
      const [before, after] = ['{"type":"response.completed","response":', ',"sequence_number":9}'];
      const withOutput = ['output', ...keys];
      const objects = [...seeds.map((t) => t.trimEnd()), '{"output":[{"id":"a"},{"x":1,"id":"b"}]}'];
      let seed = 5;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return (seed >>> 16) % n;
      };
      for (const object of [...objects]) {
        for (let t = 0; t < 500; t++) {
          const at = random(object.length);
          objects.push(object.slice(0, at) + ['"', '{', '}', ']', '\\', ' ', '\n'][random(7)] + object.slice(at + random(2)));
        }
      }
      let read = 0;
      for (const object of objects) {
        const found: ObjectScan = { elementsOf: 0, ids: null, plain: false };
        const alone = scanObject(object, withOutput, found);
        const inPlace: ObjectScan = { elementsOf: 0, ids: null, plain: false };
        const text = before + object + after;
        const spans = scanObject(text, withOutput, inPlace, before.length, before.length + object.length);
        const shift = (at: number[] | null) => at && at.map((p) => (p === -1 ? -1 : p + before.length));
        // (a raw control character in the object fails both; whitespace before `to` is the object's)
        expect(spans).toEqual(shift(alone));
        if (spans === null) continue;
        read++;
        expect([inPlace.ids, inPlace.plain]).toEqual([shift(found.ids), found.plain]);
        // It must end at `to`: one short, or past it, is not that object.
        expect(scanObject(text, withOutput, undefined, before.length, before.length + object.length - 1)).toBeNull();
        expect(scanObject(text, withOutput, undefined, before.length, before.length + object.length + 1)).toBeNull();
      }
      expect(read).toBeGreaterThan(100);
    });

    it('leaves to a full parse what it cannot tell', () => {
      expect(scanObject('{\n  "usage": {}\n}', keys)).toEqual([13, 15, -1, -1]); // pretty-printed: read
      expect(scanObject('{\t"usage": {}\r\n}', keys)).toBeNull(); // tabs and carriage returns: parsed whole
      expect(scanObject('{\n  "a": "x\ny",\n  "usage": {}\n}', keys)).toBeNull(); // a raw newline in a string is not JSON
      expect(scanObject('{\n  "a\nb": 1\n}', keys)).toBeNull(); // nor in a key
      // nor after lines that hold no string (brackets, numbers), whose newlines the search passes at once
      expect(scanObject('{\n  "a": [\n    [\n      1\n    ]\n  ],\n  "b": "x\ny"\n}', keys)).toBeNull();
      expect(scanObject('{\n  "a": [\n    [\n      1\n    ]\n  ],\n  "b\n": 1\n}', keys)).toBeNull();
      expect(scanObject('{\n  "a": [\n    [\n      1\n    ]\n  ],\n  "usage": "x y"\n}', keys)).toEqual([47, 52, -1, -1]);
      expect(scanObject(' {}', keys)).toBeNull();
      expect(scanObject('[1]', keys)).toBeNull();
      expect(scanObject('{"usage":1,"usage":2}', keys)).toBeNull();
      expect(scanObject('{"us\\u0061ge":1}', keys)).toBeNull();
      expect(scanObject(`{"a":${'['.repeat(40)}${']'.repeat(40)}}`, keys)).toBeNull();
      expect(scanObject(`{"a":${'['.repeat(30)}${']'.repeat(30)}}`, keys)).toEqual([-1, -1, -1, -1]);
      expect(scanObject('{"a":"\\x"}', keys)).toBeNull();
      expect(scanObject('{"a":01}', keys)).toBeNull();
    });

    describe('whitespace between tokens', () => {
      let seed = 7;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return (seed >>> 16) % n;
      };
      const pick = <T>(options: readonly T[]): T => options[random(options.length)];
      const NUMBERS = ['0', '-0', '7', '-12', '0.5', '-3.25', '1e5', '1E+2', '2e-3', '-0.0E-0', '123456789.000001e10'];
      const STRINGS = ['', 'x', 'usage', 'a b', 'tab\\tnew\\nline', '\\"q\\" \\\\ \\/', '\\u00e9\\uD83D\\uDE00', 'é ✓ 😀', '\\b\\f\\r'];
      const KEYS = ['usage', 'extra_fields', 'id', 'a', 'é', 'k\\u0031'];

      /**
       * Random JSON text with `space()` wherever JSON allows whitespace; `gaps` collects the index
       * of every such place (after the space), `spans` the top-level values of `keys`.
       */
      const generate = (space: () => string) => {
        let out = '';
        const gaps: number[] = [];
        const gap = () => {
          out += space();
          gaps.push(out.length);
        };
        const value = (depth: number): void => {
          const kind = depth > 4 ? random(3) : random(6);
          if (kind === 0) out += pick(NUMBERS);
          else if (kind === 1) out += `"${pick(STRINGS)}"`;
          else if (kind === 2) out += pick(['true', 'false', 'null']);
          else if (kind === 3) {
            out += '[';
            gap();
            for (let n = random(4), e = 0; e < n; e++) {
              if (e > 0) {
                out += ',';
                gap();
              }
              value(depth + 1);
              gap();
            }
            out += ']';
          } else object(depth + 1);
        };
        const spans = [-1, -1, -1, -1];
        const object = (depth: number) => {
          out += '{';
          gap();
          const used = new Set<string>();
          for (let n = random(5), m = 0; m < n; m++) {
            const key = pick(KEYS);
            // A key given twice, or spelled with escapes at the top level, is left to a full parse.
            if (used.has(key) || (depth === 1 && key.includes('\\'))) continue;
            used.add(key);
            if (m > 0 && out.trimEnd().at(-1) !== '{') {
              out += ',';
              gap();
            }
            out += `"${key}"`;
            gap();
            out += ':';
            gap();
            const start = out.length;
            value(depth);
            if (depth === 1 && keys.includes(key)) spans.splice(2 * keys.indexOf(key), 2, start, out.length);
            gap();
          }
          out += '}';
        };
        object(1);
        return { text: out, gaps, spans };
      };
      const indent = () => pick(['', ' ', '\n', '\n  ', '\n      ', '  \n\n ', ' \n']);

      it('reads text spaced with spaces and newlines anywhere JSON allows them, compact or indented, as JSON.parse does', () => {
        for (let t = 0; t < 3000; t++) {
          const { text, spans } = generate(t % 3 === 0 ? () => '' : indent);
          expect(scanObject(text, keys)).toEqual(spans);
          expect(check(text)).toBe(true);
          const pretty = JSON.stringify(JSON.parse(text), null, t % 2 === 0 ? 2 : 4);
          if (!/\\u0031|"é"/.test(pretty)) expect(check(pretty)).toBe(true);
        }
      });

      it('refuses tabs and carriage returns, which it leaves to a full parse, and every character JSON does not allow as whitespace', () => {
        const notSpace = ['\u000b', '\u000c', '\u0000', '\u001f', '\u00a0', '\u2028', '\u2029', '\ufeff', '\u0085', '\u3000', 'x', '/'];
        for (let t = 0; t < 2000; t++) {
          const { text, gaps } = generate(indent);
          const at = pick(gaps);
          for (const ch of ['\t', '\r', pick(notSpace)]) {
            const spaced = text.slice(0, at) + pick(['', ' ', '\n ']) + ch + pick(['', ' ', '\n']) + text.slice(at);
            expect([ch, scanObject(spaced, keys)]).toEqual([ch, null]);
          }
        }
      });

      it('refuses whitespace inside numbers, literals and strings', () => {
        for (const token of [...NUMBERS, 'true', 'false', 'null']) {
          for (let cut = 1; cut < token.length; cut++) {
            for (const space of [' ', '\n', '\n  ', '\t', '\r']) {
              const broken = token.slice(0, cut) + space + token.slice(cut);
              expect(scanObject(`{"a":${broken}}`, keys)).toBeNull();
              expect(scanObject(`{\n  "a": [\n    ${broken}\n  ]\n}`, keys)).toBeNull();
            }
          }
        }
        for (const space of ['\n', '\n  ', '\t', '\r']) {
          expect(scanObject(`{\n  "a": "x${space}y",\n  "usage": 1\n}`, keys)).toBeNull();
          expect(scanObject(`{\n  "a${space}": 1\n}`, keys)).toBeNull();
          expect(scanObject(`{\n  "usage": {\n    "k${space}": 1\n  }\n}`, keys)).toBeNull();
          expect(scanObject(`{\n  "a": [\n    "${space}"\n  ]\n}`, keys)).toBeNull();
        }
      });
    });
  });

  it('finds members of one object only, skipping nested values whole', () => {
    const t = ' {"a":{"id":1,"b":"}"},"id":"x\\"y","n":-1.5e3,"l":[{"id":2}],"z":null}';
    const at: number[] = [];
    const close = findMembers(t, firstNonSpace(t), ['id', 'n', 'missing', 'z'], at);
    expect(close).toBe(t.length - 1);
    expect(t.slice(at[0], at[1])).toBe('"x\\"y"');
    expect(t.slice(at[2], at[3])).toBe('-1.5e3');
    expect([at[4], at[5]]).toEqual([-1, -1]);
    expect(t.slice(at[6], at[7])).toBe('null');
    expect(findMembers('{ }', 0, ['id'], at)).toBe(2);
  });

  it('refuses what it cannot edit as text: a repeated or escaped key, no object, text cut short', () => {
    const at: number[] = [];
    expect(findMembers('{"id":1,"id":2}', 0, ['id'], at)).toBe(-1);
    expect(findMembers('{"\\u0069d":1}', 0, ['id'], at)).toBe(-1);
    expect(findMembers('[1]', 0, ['id'], at)).toBe(-1);
    expect(findMembers('{"id":1', 0, ['id'], at)).toBe(-1);
    expect(findMembers('{"id":"1}', 0, ['id'], at)).toBe(-1);
    expect(findMembers('{"id" 1}', 0, ['id'], at)).toBe(-1);
    expect(withMembers('{"id":1,"id":2}', 0, ['id'], ['3'])).toBeUndefined();
  });

  it('finds members or refuses the object exactly as its parts say: escaped keys (after backslashes in values or not), repeats, spacing, cuts', () => {
    // Keys as written (escaped ones are refused wherever they are), values with and without backslashes.
    const rawKeys = ['id', 'n', 'z', 'other', 'i\\u0064', 'a\\"b', 'x\\\\', '\\n'];
    const values = ['1', '"v"', '"b\\\\s"', '"q\\"t"', '{"id":"\\u0021","k\\"":[1]}', '[{"a\\\\":2},"\\\\"]', 'null', '-2.5e1', '{}'];
    const wanted = ['id', 'n', 'z', 'missing'];
    const spaces = ['', ' ', '\n  '];
    let seed = 11;
    const pick = <T>(list: readonly T[]): T => list[(seed = (seed * 48271) % 2147483647) % list.length];
    const at: number[] = [];
    for (let round = 0; round < 400; round++) {
      const sp = pick(spaces);
      const members: { key: string; value: string; at: number }[] = [];
      let text = `${sp}{${sp}`;
      const count = round % 6;
      for (let m = 0; m < count; m++) {
        const key = pick(rawKeys);
        const value = pick(values);
        text += `${m === 0 ? '' : `,${sp}`}"${key}"${sp}:${sp}`;
        members.push({ key, value, at: text.length });
        text += value;
      }
      text += `${sp}}`;
      const start = firstNonSpace(text);
      const close = findMembers(text, start, wanted, at);
      const escaped = members.some((m) => m.key.includes('\\'));
      const repeated = wanted.some((k) => members.filter((m) => m.key === k).length > 1);
      if (escaped || repeated) {
        expect(close).toBe(-1);
        continue;
      }
      expect(close).toBe(text.length - 1);
      wanted.forEach((key, k) => {
        const member = members.find((m) => m.key === key);
        expect([at[2 * k], at[2 * k + 1]]).toEqual(member === undefined ? [-1, -1] : [member.at, member.at + member.value.length]);
      });
      // Cut short anywhere, it is refused.
      for (let cut = start + 1; cut < text.length - 1; cut++) expect(findMembers(text.slice(0, cut), start, wanted, at)).toBe(-1);
    }
  });

  it("finds the members of each object of an array (the spec's oracle), and refuses an element that is not one", () => {
    const t = '[ {"id":"a","x":{"id":"n"}} ,\n {"y":[{"id":"m"}]},{"id":"b\\u0021"} ]';
    const at: number[] = [];
    expect(findElementMembers(t, 0, ['id'], at)).toBe(3);
    expect([0, 1, 2].map((e) => stringAt(t, at[2 * e], at[2 * e + 1]))).toEqual(['a', undefined, 'b!']);
    expect(findElementMembers('[]', 0, ['id'], [])).toBe(0);
    expect(findElementMembers('[ ]', 0, ['id'], [])).toBe(0);
    expect(findElementMembers('[{"id":1},null]', 0, ['id'], [])).toBe(-1);
    expect(findElementMembers('[{"id":1,"id":2}]', 0, ['id'], [])).toBe(-1);
    expect(findElementMembers('{"id":1}', 0, ['id'], [])).toBe(-1);
    expect(stringAt('{"a":1}', 5, 6)).toBeUndefined();
    expect(stringAt('{"a":1}', -1, -1)).toBeUndefined();
  });

  it('reads a string as JSON.parse does, short ones (its own slice) as long ones', () => {
    const parse = (json: string): string | undefined => {
      try {
        const v: unknown = JSON.parse(json);
        return typeof v === 'string' ? v : undefined;
      } catch {
        return undefined;
      }
    };
    const cases = ['""', '"a"', '"completed"', '"gpt-4o-mini"', '"twelve chars"', '"thirteen char"', '"a\\u0041"', '"a\\"', '"\\n"', '"a\tb"', '"a\u0000"',
      '"a\u001f"', '"\ud800"', '"é"', '"a"b"', '"ab', 'ab"', '"'];
    for (const json of cases) {
      const text = `{"k":${json}}`;
      expect([json, stringAt(text, 5, 5 + json.length)]).toEqual([json, parse(json)]);
    }
  });

  it('finds where each element of an array starts and ends, whatever it is, and refuses what is not an array or is cut short', () => {
    const t = '{"a": [ {"b":"]"} ,\n"x\\"",-1.5e3,[1,[]],null ,{} ]}';
    const spans = elementSpans(t, t.indexOf('['));
    expect(spans).not.toBeNull();
    const elements = [];
    for (let e = 0; 2 * e < spans!.length; e++) elements.push(t.slice(spans![2 * e], spans![2 * e + 1]));
    expect(elements).toEqual(['{"b":"]"}', '"x\\""', '-1.5e3', '[1,[]]', 'null', '{}']);
    expect(elementSpans('[ ]', 0)).toEqual([]);
    expect(elementSpans('{"a":1}', 0)).toBeNull();
    expect(elementSpans('[1,{"a":2}', 0)).toBeNull();
    expect(elementSpans('[1 2]', 0)).toBeNull();
    expect(elementSpans('[1,', 0)).toBeNull();
  });

  it('sets members as JSON.stringify writes them after assigning them to the parsed object', () => {
    const keys = ['id', 'previous_response_id', 'store', 'background'];
    const values = ['resp_gw', null, true, false];
    const texts = [
      '{"type":"response.created","response":{"id":"resp_up","status":"in_progress","background":false,"output":[],"previous_response_id":null,"store":true,"metadata":{"id":"m"}},"sequence_number":0}',
      '{"type":"response.created","response":{"store":false,"id":"resp_up","text":{"format":{"type":"text"}}}}',
      '{"type":"response.created","response":{"status":"in_progress"}}',
      '{"type":"response.created","response":{}}',
    ];
    for (const text of texts) {
      const event = JSON.parse(text) as { response: Record<string, unknown> };
      keys.forEach((k, i) => (event.response[k] = values[i]));
      const at: number[] = [];
      findMembers(text, 0, ['response'], at);
      const edited = withMembers(text, at[0], keys, values.map((v) => JSON.stringify(v)));
      expect(text.slice(0, at[0]) + edited?.json + text.slice(edited?.end)).toBe(JSON.stringify(event));
    }
  });

  it('names added members as JSON.stringify does, each time it adds them', () => {
    const keys = ['plain', 'q"uote', 'back\\slash', 'new\nline', '\u0001', 'é', '\ud800', ''];
    for (let round = 0; round < 2; round++) {
      for (const key of keys) expect(withMembers('{"a":1}', 0, [key], ['2'])?.json).toBe(JSON.stringify({ a: 1, [key]: 2 }));
    }
  });

  it('plainJsonString is JSON.stringify of printable ASCII without a quote or backslash, undefined for anything else', () => {
    for (let c = 0; c < 0x300; c++) {
      const s = `id_${String.fromCharCode(c)}x`;
      const plain = c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c;
      expect(plainJsonString(s)).toBe(plain ? JSON.stringify(s) : undefined);
    }
    expect(plainJsonString('')).toBe('""');
    expect(plainJsonString('a\uD800')).toBeUndefined();
  });
});
