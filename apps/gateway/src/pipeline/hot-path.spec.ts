import type { IncomingMessage, ServerResponse } from 'node:http';
import { responsesFormat } from '../formats/responses/responses.format';
import type { WireFormat } from '../formats/wire-format';
import { HotPath } from './hot-path';
import type { RequestPipeline } from './request-pipeline';

describe('HotPath', () => {
  const other = { ...responsesFormat, requestType: 'chat_completions', canonical: false } as WireFormat;
  const handled: WireFormat[] = [];
  const hot = new HotPath({ handle: (format: WireFormat) => handled.push(format) } as unknown as RequestPipeline);
  hot.registerFormatRoute('/v1/responses', responsesFormat);
  hot.registerFormatRoute('/v1/chat/completions', other);
  const route = (method: string, url: string) => hot.handle({ method, url } as IncomingMessage, {} as ServerResponse);

  beforeEach(() => {
    handled.length = 0;
  });

  it('hands a POST to a registered path, query string or not, to the pipeline in its format', () => {
    expect(route('POST', '/v1/responses')).toBe(true);
    expect(route('POST', '/v1/chat/completions?x=1')).toBe(true);
    expect(handled).toEqual([responsesFormat, other]);
  });

  it('leaves everything else to Nest: other methods, sub-paths, unknown paths', () => {
    expect(route('GET', '/v1/responses')).toBe(false);
    expect(route('POST', '/v1/responses/resp_1/cancel')).toBe(false);
    expect(route('POST', '/v1/responsesx')).toBe(false);
    expect(route('POST', '/constructor')).toBe(false);
    expect(handled).toEqual([]);
  });
});
