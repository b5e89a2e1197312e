import { usageFromResponses, usageFromText } from './openai-usage';

describe('usageFromText', () => {
  const cases = [
    '{"input_tokens":15,"input_tokens_details":{"cached_tokens":0},"output_tokens":10,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":25}',
    '{ "input_tokens" : 15 ,\n "output_tokens": 7, "input_tokens_details": { "cached_tokens": 3 } }',
    '{}',
    '{"input_tokens":-0,"output_tokens":1e400,"total_tokens":2.5e1}',
    '{"input_tokens":12345678901234567890,"output_tokens":0.1}',
    '{"input_tokens":999999999999999,"output_tokens":9999999999999999,"total_tokens":0}',
    '{"input_tokens":-7,"output_tokens":1E2,"total_tokens":12.0}',
    '{"input_tokens":"15","output_tokens":null,"total_tokens":true,"input_tokens_details":[{"cached_tokens":1}],"output_tokens_details":"x"}',
    '{"input_tokens_details":null,"output_tokens_details":{"reasoning_tokens":{"n":1},"other":[1,{"reasoning_tokens":9}]}}',
    '{"input_tokens_details":{"cached_tokens":"2","cached":5},"output_tokens_details":{}}',
    '{"cost":{"total":1},"input_tokens":4,"extra":{"input_tokens":99}}',
  ];

  it('reads a usage object as usageFromResponses reads its parse', () => {
    for (const json of cases) expect([json, usageFromText(json, 0)]).toEqual([json, usageFromResponses(JSON.parse(json))]);
  });

  it('reads the object where it opens in a larger text', () => {
    const text = `{"id":"r","usage":${cases[0]},"user":null}`;
    expect(usageFromText(text, text.indexOf('{', 1))).toEqual(usageFromResponses(JSON.parse(cases[0])));
  });

  it('leaves to a parse a key given twice or spelled with an escape (JSON.parse keeps the last one)', () => {
    expect(usageFromText('{"input_tokens":1,"input_tokens":2}', 0)).toBeUndefined();
    expect(usageFromText('{"input\\u005ftokens":1}', 0)).toBeUndefined();
    expect(usageFromText('{"input_tokens_details":{"cached_tokens":1,"cached_tokens":2}}', 0)).toBeUndefined();
  });
});
