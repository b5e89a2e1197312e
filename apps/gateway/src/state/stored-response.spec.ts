import { createdAtOfId, ensureUniqueOutputIds, gatewayItemId, idStemOf, mintedAt, mintedPlace, mintingStemOf, newResponseId, plainInputItemsJson, storedItemsOf, toInputItems, toInputItemsJson, toJsonb, toUpstreamItem } from './stored-response';
import { seededRandom } from '../../../../test/support/seeded-random';

describe('stored item ids', () => {
  const LONG = 'msg_0123456789abcdef0123456789';

  it('keeps long unique upstream ids and replaces short or repeated ones', () => {
    const output = [
      { type: 'message', id: LONG },
      { type: 'message', id: LONG },
      { type: 'function_call', id: 'fc_1', call_id: 'c' },
      { type: 'reasoning' },
    ];
    ensureUniqueOutputIds(output, 'stem');
    expect(output.map((o) => o.id)).toEqual([LONG, 'msg_stemout1', 'fc_stemout2', 'rs_stemout3']);
  });

  it('keeps the ids items were streamed under', () => {
    const output = [{ type: 'message', id: 'msg_1' }];
    ensureUniqueOutputIds(output, 'stem', ['msg_streamed']);
    expect(output[0].id).toBe('msg_streamed');
  });

  it('stores a string input as one user message and gives every item an id', () => {
    expect(toInputItems('hi', 's')).toEqual([{ type: 'message', id: 'msg_sin0', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }]);
    expect(toInputItems([{ role: 'user', content: 'a' }, { type: 'function_call_output', call_id: 'c', output: 'x' }, { type: 'message', id: LONG, role: 'assistant', content: [] }], 's')).toEqual([
      { type: 'message', id: 'msg_sin0', role: 'user', content: 'a' },
      { type: 'function_call_output', id: 'fco_sin1', call_id: 'c', output: 'x' },
      { type: 'message', id: LONG, role: 'assistant', content: [] },
    ]);
  });

  it('writes the JSON of the stored input items as JSON.stringify does, a string input included', () => {
    for (const input of ['hi', '', ' !#$%&\'()*+,-./09:;<=>?@AZ[]^_`az{|}~', 'del \x7f', 'a "quoted"\nline\t\\ </script>', '\u0000 \ud800 é 😀 \u2028', [{ role: 'user', content: 'a' }], undefined]) {
      const items = toInputItems(input, idStemOf(newResponseId()));
      expect(toInputItemsJson(input, items)).toBe(JSON.stringify(items));
    }
  });

  it('writes a plain string input\'s items as toInputItemsJson does, and no other input (its JSON then known to be ASCII)', () => {
    for (const input of ['hi', '', ' !#$%&\'()*+,-./09:;<=>?@AZ[]^_`az{|}~']) {
      const items = toInputItems(input, idStemOf(newResponseId()));
      const json = plainInputItemsJson(input, items);
      expect(json).toBe(toInputItemsJson(input, items));
      expect(Buffer.byteLength(json!)).toBe(json!.length);
    }
    for (const input of ['del \x7f', 'a "quoted"', 'back\\slash', 'line\n', 'é', '\u2028', [{ role: 'user', content: 'a' }], undefined]) {
      expect(plainInputItemsJson(input, toInputItems(input, idStemOf(newResponseId())))).toBeUndefined();
    }
  });

  it('sends items upstream with ids only where the Responses input schema has them', () => {
    expect(toUpstreamItem({ type: 'message', id: 'msg_x', role: 'user', content: 'a' })).toEqual({ type: 'message', role: 'user', content: 'a' });
    expect(toUpstreamItem({ type: 'message', id: 'msg_x', role: 'assistant', content: [] })).toMatchObject({ id: 'msg_x' });
    expect(toUpstreamItem({ type: 'function_call', id: 'fc_x', call_id: 'c', name: 'n', arguments: '{}' })).toMatchObject({ id: 'fc_x' });
    expect(toUpstreamItem({ type: 'function_call_output', id: 'fco_x', call_id: 'c', output: 'o' })).toEqual({ type: 'function_call_output', call_id: 'c', output: 'o' });
    // Reasoning can only be replayed statelessly with its encrypted content.
    expect(toUpstreamItem({ type: 'reasoning', id: 'rs_x', summary: [] })).toBeNull();
    expect(toUpstreamItem({ type: 'reasoning', id: 'rs_x', summary: [], encrypted_content: 'e' })).toMatchObject({ id: 'rs_x' });
  });
});

describe('toJsonb', () => {
  it('turns only U+0000 and unpaired surrogates into U+FFFD, leaving pairs and escaped backslashes alone', () => {
    const value = { a: 'x\u0000y', b: '\ud800z\udfff', c: '😀', d: '\\u0000 is text', e: '\\\ud800', f: 'A\n"' };
    const json = toJsonb(JSON.stringify(value));
    expect(JSON.parse(json)).toEqual({ a: 'x\ufffdy', b: '\ufffdz\ufffd', c: '😀', d: '\\u0000 is text', e: '\\\ufffd', f: 'A\n"' });
    expect(toJsonb('{"plain":1}')).toBe('{"plain":1}');
  });
});

describe('item ids of client-named types', () => {
  it('are plain ids for types that are Object.prototype names', () => {
    const [item] = toInputItems([{ type: 'constructor' }], 'stem');
    expect(item.id).toMatch(/^item_stemin0$/);
  });
});

describe('time-stamped ids', () => {
  it('carry the time they were made, asked for in any order', () => {
    for (const t of [1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_001, 0, 1_700_000_000_000, 0xffffff, 0x1000000, 2 ** 31 + 5, 2 ** 48 - 1]) {
      expect(createdAtOfId(newResponseId(t))).toBe(t);
      expect(createdAtOfId(`msg_${idStemOf(newResponseId(t))}in0`)).toBe(t);
    }
    expect(newResponseId(1)).toMatch(/^resp_0{11}1[0-9a-f]{36}$/);
  });

  it('of items minted before stems were response ids (the time, then 48 random bits) keep their time', () => {
    expect(createdAtOfId('msg_abcdef0123450123456789abin0')).toBe(0xabcdef012345);
    expect(createdAtOfId('fc_abcdef0123450123456789about12')).toBe(0xabcdef012345);
    expect(mintedPlace('msg_abcdef0123450123456789abin0')).toBeNull();
  });
});

describe('minted item ids', () => {
  it('name the response, source and position of their item', () => {
    const id = newResponseId();
    expect(idStemOf(id)).toMatch(/^[0-9a-f]{48}$/);
    expect(mintedPlace(gatewayItemId('message', idStemOf(id), 0, 'in'))).toEqual({ responseId: id, source: 'input', position: 0 });
    expect(mintedPlace(gatewayItemId('function_call', idStemOf(id), 12, 'out'))).toEqual({ responseId: id, source: 'output', position: 12 });
    // An upstream's id of OpenAI's shape, and ids only resembling minted ones.
    for (const other of [`msg_${idStemOf(id)}`, `msg_${idStemOf(id)}in01`, `msg_${idStemOf(id)}in`, `msg_${idStemOf(id)}x0`, `${idStemOf(id)}in0`]) expect(mintedPlace(other)).toBeNull();
  });

  it("need no stored_items row in their own turn; everyone else's ids do", () => {
    const id = newResponseId();
    const earlier = newResponseId();
    const input = toInputItems([{ role: 'user', content: 'hi' }, { type: 'message', id: `msg_${idStemOf(earlier)}out0`, role: 'assistant', content: [] }, { role: 'user', content: 'x', id: 'client_id' }], idStemOf(id));
    expect(input[0].id).toBe(`msg_${idStemOf(id)}in0`);
    const output = [{ type: 'message', id: 'msg_trusted_upstream_0123456789', role: 'assistant', content: [] }, { type: 'function_call', call_id: 'c', name: 'n', arguments: '{}' }];
    ensureUniqueOutputIds(output, idStemOf(id), []);
    expect(output[1].id).toBe(`fc_${idStemOf(id)}out1`);
    expect(storedItemsOf(mintingStemOf(id), input, { output })).toEqual([
      { source: 'input', position: 1, itemId: `msg_${idStemOf(earlier)}out0` },
      { source: 'input', position: 2, itemId: 'client_id' },
      { source: 'output', position: 0, itemId: 'msg_trusted_upstream_0123456789' },
    ]);
    // The same ids stored under another response (a copy) all need rows.
    expect(storedItemsOf(mintingStemOf(earlier), input, { output })).toHaveLength(5);
    // So do ids at another place than they name, and under a response id the gateway did not make.
    expect(storedItemsOf(mintingStemOf(id), [input[1], input[0]], { output: [] })).toHaveLength(2);
    expect(storedItemsOf(mintingStemOf(id), [{ type: 'message', id: `MSG_${idStemOf(id)}in0` }], { output: [] })).toHaveLength(1);
    expect(storedItemsOf(mintingStemOf('resp_ours'), [{ type: 'message', id: 'msg_oursin0' }], { output: [] })).toHaveLength(1);
    expect(mintingStemOf(`resp_${'g'.repeat(48)}`)).toBeNull();
  });

  it('sit at their index in the output array, as a minted id and `response -> \'output\' -> n` count it, whatever else the array holds', () => {
    const id = newResponseId();
    const output = [null, 'text', { type: 'message', id: 'msg_trusted_upstream_0123456789' }, { type: 'message', id: `msg_${idStemOf(id)}out3` }];
    expect(storedItemsOf(mintingStemOf(id), [], { output })).toEqual([{ source: 'output', position: 2, itemId: 'msg_trusted_upstream_0123456789' }]);
  });

  it('are read alike where a turn skips their row (mintedAt) and where a lookup finds their place (mintedPlace)', () => {
    // A fixed pseudo-random sequence: the same cases on every run.
    let seed = 1;
    const next = (n: number): number => {
      seed = (seed * 48271) % 0x7fffffff;
      return seed % n;
    };
    const chars = '0123456789abcdefgxyzAF_-in out';
    const stems = [idStemOf(newResponseId()), idStemOf(newResponseId(0)), 'f'.repeat(48)];
    const positions = [0, 1, 9, 10, 99, 123_456_789, 999_999_999, 1_000_000_000, 2 ** 31, 2 ** 53 + 2];
    const mutants = (id: string): string[] => {
      const out = [id, `${id}0`, `0${id}`, id.toUpperCase(), id.replace(/(in|out)(\d)/, '$10$2')];
      for (let k = 0; k < 12; k++) {
        const at = next(id.length + 1);
        const c = chars[next(chars.length)];
        out.push(id.slice(0, at) + c + id.slice(at + 1), id.slice(0, at) + c + id.slice(at), id.slice(0, at) + id.slice(at + 1));
      }
      return out;
    };
    const disagreeing: unknown[] = [];
    let minted = 0;
    let checked = 0;
    for (const stem of stems) {
      for (const position of positions) {
        for (const [type, source, tag] of [['message', 'input', 'in'], ['function_call', 'output', 'out'], ['weird', 'input', 'in']] as const) {
          for (const id of mutants(gatewayItemId(type, stem, position, tag))) {
            const place = mintedPlace(id);
            for (const [s, p] of [[source, position], [source, position + 1], [source, Math.max(0, position - 1)], [source === 'input' ? 'output' : 'input', position]] as const) {
              const same = place !== null && place.responseId === `resp_${stem}` && place.source === s && place.position === p;
              if (mintedAt(id, stem, s, p) !== same) disagreeing.push([id, s, p]);
              checked++;
              if (same) minted++;
            }
          }
        }
      }
    }
    expect(disagreeing).toEqual([]);
    // Both answers occur: ids at their place, and ids that are not.
    expect(minted).toBeGreaterThan(stems.length * 3 * 7);
    expect(checked - minted).toBeGreaterThan(minted);
    // The longest position a minted id names; one digit more is not read as minted at all.
    expect(mintedPlace(gatewayItemId('message', stems[0], 999_999_999, 'in'))).toMatchObject({ position: 999_999_999 });
    expect(mintedPlace(gatewayItemId('message', stems[0], 1_000_000_000, 'in'))).toBeNull();
    expect(mintedAt(gatewayItemId('message', stems[0], 1_000_000_000, 'in'), stems[0], 'input', 1_000_000_000)).toBe(false);
  });
});

describe('stored input items written from the body text', () => {
  const CHARS = ['a', 'Z', ' ', '"', '\\', '/', '\u0000', '\n', '\t', '\u001f', 'é', '€', '\u2028', '😀', '\ud800', '\udc00', '\ufeff', '{', '}', '[', ']', ',', ':'];
  // An item holding any number is serialised (hasNumber): these only check that it is.
  const NUMBERS = ['0', '7', '-12', '3.25', '2.50', '1e3', '1E-2', '0.1e1', '1e-400', '1e-20000', '123456789012345678901234567890', '-0', '-0.0', '1e400', '-1e400'];
  const SPACES = ['', '', '', ' ', '\n', '\n    ', '\t', '\r\n  '];
  const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

  /** A client's JSON text, written at random: spacing, escapes, keys given twice, odd items. */
  function writer(r: () => number) {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const space = () => pick(SPACES);
    const unicode = (c: number) => {
      const hex = c.toString(16).padStart(4, '0');
      return `\\u${r() < 0.5 ? hex : hex.toUpperCase()}`;
    };
    // Keys are spelled with escapes less often: an escaped `input` is not read off the text.
    const quote = (s: string, escapes = 0.15) => {
      let out = '"';
      for (let i = 0; i < s.length; i++) {
        const ch = s[i];
        const c = s.charCodeAt(i);
        if (ch in SHORT_ESCAPES || c < 0x20) out += r() < 0.5 && ch in SHORT_ESCAPES ? SHORT_ESCAPES[ch] : unicode(c);
        else if (ch === '/' && r() < 0.5) out += '\\/';
        else out += r() < escapes ? unicode(c) : ch;
      }
      return `${out}"`;
    };
    const text = () => Array.from({ length: Math.floor(r() * 8) }, () => pick(CHARS)).join('');
    const members = (pairs: [string, string][]) => `{${space()}${pairs.map(([k, v]) => `${quote(k, 0.01)}${space()}:${space()}${v}`).join(`${space()},${space()}`)}${space()}}`;
    const value = (depth: number): string => {
      const kind = depth > 2 ? Math.floor(r() * 3) : Math.floor(r() * 5);
      if (kind === 0) return quote(text());
      if (kind === 1) return r() < 0.3 ? pick(NUMBERS) : pick(['true', 'false', 'null']);
      if (kind === 2) return pick(['true', 'false', 'null']);
      if (kind === 3) return `[${space()}${Array.from({ length: Math.floor(r() * 3) }, () => value(depth + 1)).join(`${space()},${space()}`)}${space()}]`;
      return members(Array.from({ length: Math.floor(r() * 3) }, () => [pick(['text', 'x', '__proto__', 'id', 'type', text()]), value(depth + 1)] as [string, string]));
    };
    const item = (): string => {
      const odd = r();
      if (odd < 0.02) return pick(['null', '1', '"x"', '[]', '{}', '{ }']);
      const pairs: [string, string][] = [];
      const t = r();
      if (t < 0.5) pairs.push(['type', t < 0.05 ? pick(['null', '5', '{}']) : quote(pick(['message', 'function_call', 'function_call_output', 'reasoning', 'web_search_call', 'constructor', text()]))]);
      const id = r();
      if (id < 0.5) pairs.push(['id', id < 0.2 ? pick(['""', 'null', '7', '{}', '[]', 'false']) : quote(pick(['msg_0123456789abcdef0123456789', 'x', text() + '_client_id']))]);
      pairs.push(['role', quote(pick(['user', 'assistant', 'system']))]);
      pairs.push(['content', r() < 0.5 ? quote(text()) : `[${space()}${Array.from({ length: Math.floor(r() * 3) }, () => members([['type', '"input_text"'], ['text', quote(text())]])).join(',')}]`]);
      for (let n = Math.floor(r() * 3); n > 0; n--) pairs.push([pick(['call_id', 'arguments', '__proto__', 'constructor', 'encrypted_content', text()]), value(1)]);
      // A key given twice: JSON.parse keeps the first one's place and the last one's value.
      if (r() < 0.2) pairs.push([pick(['id', 'type', 'role', 'x']), pick(['""', '"msg_repeated_0123456789abcdef"', '"message"', '3'])]);
      for (let i = pairs.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
      }
      return members(pairs);
    };
    return (): string => {
      const items = Array.from({ length: Math.floor(r() * 6) }, item);
      const input = `[${space()}${items.join(`${space()},${space()}`)}${space()}]`;
      const pairs: [string, string][] = [['model', '"m"'], ['instructions', quote(text())], ['input', input]];
      // `input` given twice, or under an escaped key: not read off the text.
      if (r() < 0.05) pairs.unshift(['input', '[{"role":"user","content":"first"}]']);
      if (r() < 0.05) pairs.push([pick(['tools', 'metadata']), value(1)]);
      const body = members(pairs);
      return r() < 0.03 ? body.replace('"input"', '"\\u0069nput"') : body;
    };
  }

  const holdsNumber = (v: unknown): boolean => typeof v === 'number' || (typeof v === 'object' && v !== null && Object.values(v).some(holdsNumber));

  /** Equal JSON values: numbers by Object.is (-0 is not 0), objects' keys in the same order. */
  function sameJson(a: unknown, b: unknown): boolean {
    if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const keys = Object.keys(a);
    const bKeys = Object.keys(b);
    return keys.length === bKeys.length && keys.every((k, i) => k === bKeys[i] && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }

  it('parse to what the items JSON.stringify writes do, in value, key order and in jsonb, over many client texts', () => {
    const r = seededRandom(15);
    const body = writer(r);
    let fromText = 0;
    const cases = 3000;
    for (let n = 0; n < cases; n++) {
      // As the gateway decodes a body: lone surrogates sent raw arrive as U+FFFD.
      const text = Buffer.from(body(), 'utf8').toString('utf8');
      const input = (JSON.parse(text) as { input: unknown }).input;
      const items = toInputItems(input, idStemOf(newResponseId()));
      const expected = JSON.stringify(items);
      const json = toInputItemsJson(input, items, text);
      const same = sameJson(JSON.parse(json), JSON.parse(expected)) && sameJson(JSON.parse(toJsonb(json)), JSON.parse(toJsonb(expected)));
      // With the text: a failure shows it.
      if (!same) expect({ text, json }).toEqual({ text, json: expected });
      if (json !== expected) fromText++;
      // An item holding a number is left to JSON.stringify, whose spelling of it Postgres reads as JavaScript does.
      if (holdsNumber(items)) expect(json).toBe(expected);
    }
    // Many texts are written from the text (spacing or escapes make them differ from JSON.stringify's); those with numbers are not.
    expect(fromText).toBeGreaterThan(cases / 3);
  });

  it("keep the client's text, with the type and id added where missing, and serialise what they cannot read", () => {
    const stem = idStemOf(newResponseId());
    const json = (text: string) => {
      const input = (JSON.parse(text) as { input: unknown }).input;
      return toInputItemsJson(input, toInputItems(input, stem), text);
    };
    expect(json('{"input":[ {"role":"user", "content":"\\u00e9"}, {"type":"function_call_output","id":"","output":"x"}, {"id":"","type":"reasoning"} ]}')).toBe(
      `[{"type":"message","role":"user", "content":"\\u00e9","id":"msg_${stem}in0"},{"type":"function_call_output","id":"","output":"x","id":"fco_${stem}in1"},` +
        `{"type":"message","id":"","type":"reasoning","id":"rs_${stem}in2"}]`,
    );
    expect(json('{"input":[{"type":"message","id":"msg_0123456789abcdef0123456789",\n "role":"user","content":"a"}]}')).toBe('[{"type":"message","id":"msg_0123456789abcdef0123456789",\n "role":"user","content":"a"}]');
    expect(json('{"input":[]}')).toBe('[]');
    const items = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'n', n: 0 }], id: `msg_${stem}in0` }];
    expect(json('{"input":[{"role":"user","content":[{"type":"input_text","text":"n","n":-0}]}]}')).toBe(JSON.stringify(items));
    const out = (x: number) => [{ type: 'message', role: 'user', content: 'a', x, id: `msg_${stem}in0` }];
    expect(json('{"input":[{"role":"user", "content":"a", "x":1e-20000}]}')).toBe(JSON.stringify(out(0)));
    expect(json('{"input":[{"role":"user", "content":"a", "x":1.50}]}')).toBe(JSON.stringify(out(1.5)));
    expect(json('{"input":[{"role":"user", "content":"a"}],"input":[{"role":"user","content":"b"}]}')).toBe(`[{"type":"message","role":"user","content":"b","id":"msg_${stem}in0"}]`);
  });
});
