import { sseFrame } from '@app/providers';
import { renderOpenAiError } from '../../edge/error-render';
import type { StreamEncoder, WireFormat } from '../wire-format';
import { parseResponsesRequest } from './responses-request';

/** The Responses API: the canonical form itself, so nothing to translate on either side. */
export const responsesFormat: WireFormat<null> = {
  requestType: 'responses',
  canonical: true,
  decode(raw, limits) {
    const d = parseResponsesRequest(raw, limits);
    // Built field by field: a spread with added fields is slow in V8 (bench/PROFILE.md).
    return { body: d.body, bodyText: d.text, stream: d.stream, models: d.models, hasRequestFallbacks: d.hasRequestFallbacks, egress: null };
  },
  encodeResponse(response) {
    return JSON.stringify(response);
  },
  createStreamEncoder(): StreamEncoder {
    return { event: (type, data) => sseFrame(type, JSON.stringify(data)), end: () => '' };
  },
  renderError: renderOpenAiError,
};
