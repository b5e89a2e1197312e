import { matchTemplate, moved, sequenceSlot, SlotKind, TemplateList, textTemplate } from './text-template';

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
    expect([moved(19, template, spans), moved(21, template, spans), moved(end, template, spans), moved(1, template, spans), moved(-1, template, spans)]).toEqual([24, 25, other.indexOf('true'), 1, -1]);
  });

  it('refuses a text whose pieces differ, or whose values are not of their slot\'s kind', () => {
    const spans: number[] = [];
    for (const other of [
      '{"id":"resp_1","n":12,"out":[1,2],"end":false}',
      '{"id":"resp_1","n":12,"out":[1,2],"end":true} ',
      '{"id":"re\\"sp","n":12,"out":[1,2],"end":true}',
      '{"id":"re\u0001sp","n":12,"out":[1,2],"end":true}',
      '{"id":7,"n":12,"out":[1,2],"end":true}',
      '{"id":"resp_1","n":-12,"out":[1,2],"end":true}',
      '{"id":"resp_1","n":,"out":[1,2],"end":true}',
      '{"id":"resp_1","n":012,"out":[1,2],"end":true}',
      '{"id":"resp_1","n":12,"out":[1,2]}',
    ]) {
      expect(matchTemplate(other, template, spans)).toBe(false);
    }
  });

  it('makes no template of values that are not of their kind', () => {
    expect(textTemplate(text, [6, 14, 18, 21], [SlotKind.String, SlotKind.Digits])).toBeNull();
    expect(textTemplate(text, [5, 14], [SlotKind.String])).toBeNull();
    expect(textTemplate('{"id":"a\\"b"}', [6, 12], [SlotKind.String])).toBeNull();
  });

  it("finds an event's sequence number as its last member without walking it", () => {
    expect(sequenceSlot('{"a":1,"sequence_number":12}')).toEqual([25, 27]);
    expect(sequenceSlot('{"a":1,"sequence_number":0}')).toEqual([25, 26]);
    for (const other of ['{"a":1,"sequence_number":012}', '{"a":1,"sequence_number":-1}', '{"a":1,"sequence_number":1} ', '{"a":1,"sequence_number":}', '{"a":1,"number":1}']) {
      expect(sequenceSlot(other)).toBeNull();
    }
  });

  it('keeps the most recent templates, up to its bound', () => {
    const list = new TemplateList<{ template: typeof template; n: number }>(2);
    for (let n = 0; n < 3; n++) list.add({ template, n });
    expect(list.toTry().map((t) => t.n)).toEqual([2, 1]);
  });

  it('rests after a run of texts that matched none, then tries its templates again', () => {
    const list = new TemplateList<{ template: typeof template }>(4, 3, 2);
    list.add({ template });
    // A hit ends a run of misses.
    expect([list.missed(), list.missed()]).toEqual([true, true]);
    list.hit();
    expect([list.missed(), list.missed(), list.missed()]).toEqual([true, true, false]);
    // Resting: nothing to try, nothing to make, for two texts.
    expect([list.toTry().length, list.missed(), list.toTry().length, list.missed()]).toEqual([0, false, 0, false]);
    expect(list.toTry().length).toBe(1);
    expect(list.missed()).toBe(true);
  });
});
