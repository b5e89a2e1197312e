import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { matchTemplate, MAX_TEMPLATE_TEXT, movedAll, moves, sequenceSlot, SlotKind, type TextTemplate, TemplateList, textTemplate } from './text-template';

/** The position `p` of the template's text in a text that matched it, worked out directly: the reference `moves` is checked against. */
function moved(p: number, t: TextTemplate, spans: readonly number[]): number {
  if (p === -1) return -1;
  const old = t.spans;
  let shift = 0;
  for (let k = 0; k < old.length; k += 2) {
    if (p < old[k]) break;
    if (p === old[k]) return spans[k];
    if (p === old[k + 1]) return spans[k + 1];
    shift = spans[k + 1] - old[k + 1];
  }
  return p + shift;
}

describe('text templates', () => {
  const text = '{"id":"resp_1","n":12,"out":[1,2],"end":true}';
  // The spans of "resp_1", 12 and [1,2].
  const slots = [6, 14, 19, 21, 28, 33];
  const kinds = [SlotKind.String, SlotKind.Digits, SlotKind.Value];
  const template = textTemplate(text, slots, kinds)!;

  it('matches a text that is the same but for its slots, and moves positions by their lengths', () => {
    expect(template.pieces).toEqual(['{"id":', ',"n":', ',"out":', ',"end":true}']);
    const spans: number[] = [];
    const other = '{"id":"resp_longer","n":7,"out":{"a":"b"},"end":true}';
    expect(matchTemplate(other, template, spans)).toBe(true);
    expect(spans).toEqual([6, 19, 24, 25, 32, 41]);
    // A slot's ends become its new ones; a position after a slot moves with it; -1 stays.
    const end = text.indexOf('true');
    expect(movedAll(moves([19, 21, end, 1, -1], template), spans)).toEqual([24, 25, other.indexOf('true'), 1, -1]);
  });

  it('moves positions worked out once (moves, movedAll) as moved moves them, every position of the text and -1', () => {
    const all = [-1, ...Array.from({ length: text.length + 1 }, (_, p) => p)];
    const m = moves(all, template);
    for (const other of ['{"id":"resp_longer","n":7,"out":{"a":"b"},"end":true}', '{"id":"r","n":123456,"out":0,"end":true}', text]) {
      const spans: number[] = [];
      expect(matchTemplate(other, template, spans)).toBe(true);
      expect(movedAll(m, spans)).toEqual(all.map((p) => moved(p, template, spans)));
    }
  });

  it("reads the last slot's Value up to the last piece, even when the value spells that piece", () => {
    const last = textTemplate('{"a":1,"v":[2]}', [11, 14], [SlotKind.Value])!;
    expect(last.pieces).toEqual(['{"a":1,"v":', '}']);
    const spans: number[] = [];
    expect(matchTemplate('{"a":1,"v":{"b":{}}}', last, spans)).toBe(true);
    expect(spans).toEqual([11, 19]);
    expect(matchTemplate('{"a":1,"v":}', last, spans)).toBe(true);
    expect(spans).toEqual([11, 11]);
    expect(matchTemplate('{"a":1,"v":', last, spans)).toBe(false);
    expect(matchTemplate('{"a":1,"v":[2]', last, spans)).toBe(false);
    // The value spelling the last piece: the whole of it, where a search would stop at the first.
    const spelling = '{"id":"r","n":1,"out":{"x":1,"end":true},"end":true}';
    expect(matchTemplate(spelling, template, spans)).toBe(true);
    expect(spelling.slice(spans[4], spans[5])).toBe('{"x":1,"end":true}');
  });

  it('reads a Value with only digits after it up to where the end puts the next piece, and checks what follows', () => {
    const before = textTemplate('{"v":[2],"n":12,"m":3}', [5, 8, 13, 15, 20, 21], [SlotKind.Value, SlotKind.Digits, SlotKind.Digits])!;
    expect(before.pieces).toEqual(['{"v":', ',"n":', ',"m":', '}']);
    const spans: number[] = [];
    const spelling = '{"v":{"a":[1],"n":1},"n":345,"m":0}';
    expect(matchTemplate(spelling, before, spans)).toBe(true);
    expect(spans).toEqual([5, 20, 25, 28, 33, 34]);
    for (const other of ['{"v":{},"n":,"m":1}', '{"v":{},"n":1,"m":01}', '{"v":{},"n":1,"m":1', '{"v":{},"n":1;"m":1}', '{"v"', '"n":1,"m":1}']) {
      expect(matchTemplate(other, before, spans)).toBe(false);
    }
    // An empty value is the caller's to refuse, as before a searched piece.
    expect(matchTemplate('{"v":,"n":1,"m":1}', before, spans)).toBe(true);
  });

  it('refuses a text whose pieces differ, or whose values are not of their slot\'s kind', () => {
    const spans: number[] = [];
    for (const other of [
      '{"id":"resp_1","n":12,"out":[1,2],"end":false}',
      '{"id":"resp_1","n":12,"out":[1,2],"end":true} ',
      '{"id":"re\\"sp","n":12,"out":[1,2],"end":true}',
      '{"id":"re\u0001sp","n":12,"out":[1,2],"end":true}',
      '{"id":"resp_1,"n":12,"out":[1,2],"end":true}',
      '{"id":"resp_1',
      '{"id":7,"n":12,"out":[1,2],"end":true}',
      '{"id":"resp_1","n":-12,"out":[1,2],"end":true}',
      '{"id":"resp_1","n":,"out":[1,2],"end":true}',
      '{"id":"resp_1","n":012,"out":[1,2],"end":true}',
      '{"id":"resp_1","n":12,"out":[1,2]}',
    ]) {
      expect(matchTemplate(other, template, spans)).toBe(false);
    }
  });

  it('compares a last piece longer than the tail it checks first, and a searched piece only where it was found', () => {
    const tail = `,"end":"${'x'.repeat(100)}"}`;
    const long = textTemplate(`{"id":"a","v":[1],"w":2${tail}`, [6, 9, 14, 17], [SlotKind.String, SlotKind.Value])!;
    expect(long.pieces[2]).toBe(`,"w":2${tail}`);
    const spans: number[] = [];
    expect(matchTemplate(`{"id":"b","v":{},"w":2${tail}`, long, spans)).toBe(true);
    // Differing before the last 64 characters of the last piece, or in a piece after a searched Value.
    expect(matchTemplate(`{"id":"b","v":{},"w":3${tail}`, long, spans)).toBe(false);
    expect(matchTemplate(`{"id":"b","v":{},"w":2${tail.replace('end', 'End')}`, long, spans)).toBe(false);
    const searched = textTemplate('{"v":[1],"w":2,"id":"a"}', [5, 8, 20, 23], [SlotKind.Value, SlotKind.String])!;
    expect(matchTemplate('{"v":{"w":2},"w":2,"id":"b"}', searched, spans)).toBe(true);
    expect(spans).toEqual([5, 12, 24, 27]);
    expect(matchTemplate('{"v":{"w":3},"w":3,"id":"b"}', searched, spans)).toBe(false);
    // The piece's first characters inside the value, not the whole piece: the search goes on past them.
    const partly = '{"v":[1,"w":2,"x"],"w":2,"id":"b"}';
    expect(matchTemplate(partly, searched, spans)).toBe(true);
    expect(spans).toEqual([5, partly.indexOf(',"w":2,"id"'), partly.length - 4, partly.length - 1]);
    // So many times that the search goes on for the whole piece.
    const often = `{"v":[1${',"w":2,"x"'.repeat(9)}],"w":2,"id":"b"}`;
    expect(matchTemplate(often, searched, spans)).toBe(true);
    expect(spans).toEqual([5, often.indexOf(',"w":2,"id"'), often.length - 4, often.length - 1]);
  });

  it('refuses a last piece of the length the tail check compares whole, or one longer, that differs at its first character', () => {
    for (const length of [63, 64, 65]) {
      const last = `,"end":"${'x'.repeat(length - 10)}"}`;
      expect(last.length).toBe(length);
      const t = textTemplate(`{"id":"a"${last}`, [6, 9], [SlotKind.String])!;
      const spans: number[] = [];
      expect(matchTemplate(`{"id":"b"${last}`, t, spans)).toBe(true);
      expect(matchTemplate(`{"id":"b";${last.slice(1)}`, t, spans)).toBe(false);
      expect(matchTemplate(`{"id":"b"${last.slice(0, -2)}y"}`, t, spans)).toBe(false);
    }
  });

  it('makes no template of values that are not of their kind', () => {
    expect(textTemplate(text, [6, 14, 18, 21], [SlotKind.String, SlotKind.Digits])).toBeNull();
    expect(textTemplate(text, [5, 14], [SlotKind.String])).toBeNull();
    expect(textTemplate('{"id":"a\\"b"}', [6, 12], [SlotKind.String])).toBeNull();
  });

  it("finds an event's sequence number wherever it is, passing over a skipped part, without walking it", () => {
    expect(sequenceSlot('{"a":1,"sequence_number":12}')).toEqual([25, 27]);
    expect(sequenceSlot('{"a":1,"sequence_number":0} ')).toEqual([25, 26]);
    // OpenAI's order: right after the type, before the Response.
    expect(sequenceSlot('{"type":"t","sequence_number" : 7,"response":{}}')).toEqual([32, 33]);
    // One inside the skipped part (here 12..33, the Response) is not the event's, before or after it.
    const inside = '{"response":{"sequence_number":1},"sequence_number":23}';
    expect(sequenceSlot(inside, 12, 33)).toEqual([52, 54]);
    expect(sequenceSlot('{"sequence_number":4,"response":{"sequence_number":1}}', 32, 53)).toEqual([19, 20]);
    expect(sequenceSlot('{"response":{"sequence_number":1}}', 12, 33)).toBeNull();
    for (const other of ['{"a":1,"sequence_number":012}', '{"a":1,"sequence_number":-1}', '{"a":1,"sequence_number":}', '{"a":1,"number":1}']) {
      expect(sequenceSlot(other)).toBeNull();
    }
  });

  it('makes no template of a text longer than its bound', () => {
    const long = `{"id":"resp_1","pad":"${'x'.repeat(MAX_TEMPLATE_TEXT)}"}`;
    expect(textTemplate(long, [6, 14], [SlotKind.String])).toBeNull();
  });

  it('tries templates that matched first, a new one after them, up to its bound', () => {
    const list = new TemplateList<{ template: typeof template; n: number }>(3);
    for (let n = 0; n < 3; n++) list.add({ template, n });
    expect(list.toTry().map((t) => t.n)).toEqual([2, 1, 0]);
    // The oldest matches: it goes before those that never matched, which are replaced before it.
    list.hit(2);
    expect(list.toTry().map((t) => t.n)).toEqual([0, 1, 2]);
    list.add({ template, n: 3 });
    list.add({ template, n: 4 });
    expect(list.toTry().map((t) => t.n)).toEqual([0, 4, 3]);
    // Matched once, it stays second; matched again, it changes places with the one before it.
    list.hit(1);
    expect(list.toTry().map((t) => t.n)).toEqual([0, 4, 3]);
    list.hit(1);
    expect(list.toTry().map((t) => t.n)).toEqual([4, 0, 3]);
    expect(list.matched).toBe(3);
  });

  it('copies a template when it first matches, so that it keeps no slice of the upstream text', () => {
    const list = new TemplateList<{ template: typeof template }>();
    const kept = { template };
    list.add(kept);
    list.hit(0);
    expect(kept.template).not.toBe(template);
    expect(kept.template.pieces).toEqual(template.pieces);
    const copied = kept.template;
    list.hit(0);
    expect(kept.template).toBe(copied);
  });

  it('copies a template when added, with copyOnAdd, so that it keeps no more than its text of the read it was sliced from', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const list = new TemplateList<{ template: typeof template }>(4, true);
    // A piece long enough that V8 slices it rather than copy it.
    const event = '{"type":"response.output_item.added","id":"msg_1"}';
    const at = event.indexOf('"msg_1"');
    gc();
    const before = process.memoryUsage().heapUsed;
    (() => {
      const read = `${'x'.repeat(8e6)}${event}`;
      list.add({ template: textTemplate(read.slice(8e6), [at, at + 7], [SlotKind.String])! });
    })();
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(1e6);
    expect(list.toTry()[0].template.pieces).toEqual([event.slice(0, at), '}']);
  });

  it('rests after a window of texts of which too few matched, then tries its templates again', () => {
    // Windows of 4 texts, at least 2 matched, else a rest of 3 texts.
    const list = new TemplateList<{ template: typeof template }>(4, false, 4, 2, 3);
    list.add({ template });
    list.hit(0);
    list.hit(0);
    expect([list.missed(), list.missed()]).toEqual([true, true]);
    // Next window: one match in four.
    list.hit(0);
    expect([list.missed(), list.missed(), list.missed()]).toEqual([true, true, false]);
    // Resting: nothing to try, nothing to make, for three texts.
    for (let k = 0; k < 3; k++) expect([list.toTry().length, list.missed()]).toEqual([0, false]);
    expect(list.toTry().length).toBe(1);
    expect(list.missed()).toBe(true);
  });

  it('after a window of too few matches, replaces the templates that had matched before', () => {
    // Windows of 2 texts, at least 1 matched, else a rest of 1 text.
    const list = new TemplateList<{ template: typeof template; n: number }>(2, false, 2, 1, 1);
    for (let n = 0; n < 2; n++) {
      list.add({ template, n });
      list.hit(n);
    }
    expect(list.toTry().map((t) => t.n)).toEqual([0, 1]);
    // Traffic changed: two new texts in turn match neither template.
    expect([list.missed(), list.missed()]).toEqual([true, false]);
    list.toTry();
    list.missed();
    list.add({ template, n: 2 });
    list.add({ template, n: 3 });
    expect(list.toTry().map((t) => t.n)).toEqual([3, 2]);
  });

  it('reset, for specs: no templates, no count', () => {
    const list = new TemplateList<{ template: typeof template }>();
    list.add({ template });
    list.hit(0);
    list.reset();
    expect([list.toTry().length, list.matched]).toEqual([0, 0]);
  });
});
