import { uuidv7 } from '@app/common';
import type { RequestLogRow } from '../../apps/gateway/src/request-log/request-log.writer';

/** A complete request-log row as the gateway enqueues it: a success of 12 + 20 tokens, with `fields` over it. */
export function requestLogRow(fields: Partial<RequestLogRow> = {}): RequestLogRow {
  return {
    id: uuidv7(),
    requestId: uuidv7(),
    clientRequestId: null,
    createdAt: new Date(),
    virtualKeyId: null,
    requestType: 'responses',
    provider: 'openai',
    model: 'gpt-4o-mini',
    modelRequested: 'openai/gpt-4o-mini',
    fallbackIndex: 0,
    status: 'success',
    httpStatus: 200,
    errorCode: null,
    errorMessage: null,
    stream: false,
    inputTokens: 12,
    cachedTokens: 0,
    outputTokens: 20,
    reasoningTokens: 0,
    totalTokens: 32,
    costUsd: '0.0000138000',
    latencyMs: 3,
    ttftMs: null,
    ...fields,
  };
}
