import { createdAtOfId, ensureUniqueOutputIds, gatewayItemId, idStemOf, mintedAt, mintedPlace, mintingStemOf, newResponseId, storedItemsOf, toInputItems, toInputItemsJson, toJsonb, toUpstreamItem } from './stored-response';

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
    for (const input of ['hi', '', 'a "quoted"\nline\t\\ </script>', '\u0000 \ud800 é 😀 \u2028', [{ role: 'user', content: 'a' }], undefined]) {
      const items = toInputItems(input, idStemOf(newResponseId()));
      expect(toInputItemsJson(input, items)).toBe(JSON.stringify(items));
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
