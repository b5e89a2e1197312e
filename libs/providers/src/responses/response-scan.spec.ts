import { compactUsageFromText } from '../openai/openai-usage';
import { scanTerminalEvent, terminalTemplates, type ValueChecked } from './response-scan';

/** scanTerminalEvent of a fresh module: no template made by an earlier event, the Response walked whole. */
function walked(data: string): ReturnType<typeof scanTerminalEvent> {
  let fresh: typeof scanTerminalEvent = scanTerminalEvent;
  jest.isolateModules(() => {
    fresh = (jest.requireActual('./response-scan') as { scanTerminalEvent: typeof scanTerminalEvent }).scanTerminalEvent;
  });
  return fresh(data);
}

const event = (response: Record<string, unknown> | string, sequence = 9) =>
  `{"type":"response.completed","response":${typeof response === 'string' ? response : JSON.stringify(response)},"sequence_number":${sequence}}`;

const message = (id: string, text: string) => ({ id, type: 'message', status: 'completed', content: [{ type: 'output_text', annotations: [], text }], role: 'assistant' });
const usage = { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, total_tokens: 17 };
const response = (over: Record<string, unknown> = {}) => ({
  id: 'resp_0123456789abcdef', object: 'response', created_at: 1700000000, status: 'completed', background: false, completed_at: 1700000001,
  error: null, model: 'gpt-4o-mini', output: [message('msg_0123456789abcdef0123', 'Hello there')], previous_response_id: null, store: true,
  usage, user: null, metadata: {}, ...over,
});

describe('scanTerminalEvent', () => {
  beforeEach(() => terminalTemplates.reset());

  it('reads a Response that differs from an earlier one only in its id, times, output and usage as the walk reads it', () => {
    const first = event(response());
    expect(scanTerminalEvent(first)).toEqual(walked(first));
    const variants: (Record<string, unknown> | string)[] = [
      response({ id: 'resp_a_much_longer_id_than_the_first_one', created_at: 99, completed_at: 17000000001234 }),
      response({ output: [message('msg_1', 'a longer answer, "quoted", with ] and } in it'), message('msg_2', 'two')] }),
      response({ output: [] }),
      response({ output: [{ type: 'message' }, 'not an object'] }),
      response({ usage: null }),
      response({ usage: { ...usage, output_tokens_details: { reasoning_tokens: 3 } } }),
      response({ output: [message('msg_1', 'escaped \\ "quotes" and\nnewlines')] }),
      response({ output: [message('msg_1', 'spells the next piece: ],"previous_response_id":null,')] }),
      response({ id: 'resp_with\\backslash' }),
      response({ id: 'resp_with\u0001control' }),
      response({ created_at: 1.5 }),
      response({ completed_at: null }),
      response({ status: 'incomplete' }),
      response({ model: 'other' }),
    ];
    variants.push(event(response()).replace('"sequence_number":9', '"sequence_number":-1'));
    for (const r of variants) {
      const data = typeof r === 'string' ? r : event(r, 3);
      expect(scanTerminalEvent(data)).toEqual(walked(data));
    }
    // The first eight (other ids, times, outputs, usage) read from the template; the rest (an
    // escaped or control character in the id, times that are not plain digits, another status or
    // model, a negative sequence number) are walked.
    expect(terminalTemplates.matched).toBe(8);
    // Members added after a walked value, before the template's text goes on: one of them given twice.
    const text = JSON.stringify(response());
    for (const added of ['"extra":1', '"store":false', '"id":"resp_x"']) {
      const data = event(text.replace('],"previous_response_id"', `],${added},"previous_response_id"`));
      expect(scanTerminalEvent(data)).toEqual(walked(data));
    }
  });

  it('refuses text that is not JSON where the template reads values, as the walk does', () => {
    const text = JSON.stringify(response());
    expect(scanTerminalEvent(event(text))).not.toBeNull();
    const broken = [
      text.replace('"output":[', '"output":[[').replace('],"previous_response_id"', ']],"previous_response_id"').replace('[[', '[{'),
      text.replace('"Hello there"', '"Hello\tthere"'),
      text.replace('"Hello there"', '"Hello there'),
      text.replace('"total_tokens":17}', '"total_tokens":17,}'),
      text.replace('"total_tokens":17}', '"total_tokens":17}}'),
      text.replace('"output":[', '"output":[01,'),
      text.replace('"created_at":1700000000', '"created_at":17e'),
      text.replace('"id":"resp_0123456789abcdef"', '"id":"resp_0123456789abcdef'),
      // Digits JSON does not read as a number where the template has a number's digits.
      text.replace('"created_at":1700000000', '"created_at":0123'),
      text.replace('"completed_at":1700000001', '"completed_at":00'),
    ];
    const events = broken.map((t) => event(t));
    // The event's own members: `extra_fields` already there, or given twice.
    events.push(event(text).replace('"sequence_number":9', '"sequence_number":9,"extra_fields":{}'));
    events.push(event(text).replace('"sequence_number":9', '"response":{},"sequence_number":9'));
    events.push(event(text).replace('"sequence_number":9', '"sequence_number":09'));
    // Each broken event comes after one that matched the template, which is still there to try.
    const valid = event(text, 5);
    for (const data of events) {
      expect(scanTerminalEvent(valid)).not.toBeNull();
      expect(walked(data)).toBeNull();
      expect(scanTerminalEvent(data)).toBeNull();
    }
    expect(terminalTemplates.matched).toBe(events.length);
  });

  it("reads from a template events with the sequence number anywhere outside the Response (OpenAI's: right after the type)", () => {
    const openAi = (r: Record<string, unknown>, sequence: number) => `{"type":"response.completed","sequence_number":${sequence},"response":${JSON.stringify(r)}}`;
    const first = openAi(response(), 41);
    expect(scanTerminalEvent(first)).toEqual(walked(first));
    const variants = [
      openAi(response({ id: 'resp_other', created_at: 1700000123 }), 7),
      openAi(response({ output: [message('msg_1', 'another answer')] }), 1234),
      openAi(response({ usage: { ...usage, output_tokens: 50 } }), 9),
    ];
    for (const data of variants) expect(scanTerminalEvent(data)).toEqual(walked(data));
    expect(terminalTemplates.matched).toBe(variants.length);
  });

  it('leaves out of the walk a usage the caller checked (ValueChecked), with the result of walking it', () => {
    const openAiUsage = { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 17 };
    const accepted: string[] = [];
    const checked: ValueChecked = (text, start, end) => {
      const read = compactUsageFromText(text, start);
      if (read === undefined || read.end !== end) return false;
      accepted.push(text.slice(start, end));
      return true;
    };
    const first = event(response({ usage: openAiUsage }));
    expect(scanTerminalEvent(first, checked)).toEqual(walked(first));
    const text = JSON.stringify(response({ usage: openAiUsage }));
    const compact = JSON.stringify(openAiUsage);
    const cases: [string, boolean][] = [
      // Other counts, as long and longer: read by the check.
      [text.replace('"input_tokens":12', '"input_tokens":34'), true],
      [text.replace('"total_tokens":17', '"total_tokens":1700000'), true],
      // Escaped text and a newline in the output, which the walk still reads.
      [JSON.stringify(response({ usage: openAiUsage, output: [message('msg_1', 'escaped \\ "quotes", \u00e9 and\nnewlines')] })), true],
      // The output spelling the piece after it and a usage: the output's value ends at the first, which the walk refuses.
      [JSON.stringify(response({ usage: openAiUsage, output: [message('msg_1', `],"previous_response_id":null,"store":true,"usage":${compact},"user":null`)] })), true],
      // Spaced: not compact, walked.
      [text.replace(compact, JSON.stringify(openAiUsage, null, 1)), false],
      // Another member, or another shape: walked.
      [text.replace('"total_tokens":17}', '"total_tokens":17,"extra":1}'), false],
      [text.replace(compact, JSON.stringify(usage)), false],
    ];
    for (const [r, read] of cases) {
      accepted.length = 0;
      const data = event(r, 3);
      expect(scanTerminalEvent(data, checked)).toEqual(walked(data));
      expect(accepted.length > 0).toBe(read);
    }
    // A compact usage with more after it up to the next piece: refused by the check, and by the walk.
    const broken = event(text.replace(`${compact},"user"`, `${compact}},"user"`));
    expect(walked(broken)).toBeNull();
    expect(scanTerminalEvent(broken, checked)).toBeNull();
    const spaced = event(text.replace(`${compact},"user"`, `${compact} ,"user"`));
    expect(scanTerminalEvent(spaced, checked)).toEqual(walked(spaced));
    expect(accepted).toEqual([]);
  });
});
