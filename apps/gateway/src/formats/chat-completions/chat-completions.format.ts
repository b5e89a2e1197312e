import { renderOpenAiError } from '../../edge/error-render';
import type { StreamEncoder, WireFormat } from '../wire-format';
import { type ChatEgress, decodeChatRequest } from './chat-completions-request';
import { encodeChatCompletion } from './chat-completions-response';
import { ChatCompletionStreamEncoder } from './chat-completions-stream';

/** OpenAI Chat Completions (`POST /v1/chat/completions`) at the gateway's edges; errors in OpenAI's shape. */
export const chatCompletionsFormat: WireFormat<ChatEgress> = {
  requestType: 'chat_completions',
  decode: decodeChatRequest,
  encodeResponse(response) {
    return JSON.stringify(encodeChatCompletion(response));
  },
  createStreamEncoder(egress): StreamEncoder {
    return new ChatCompletionStreamEncoder(egress);
  },
  renderError: renderOpenAiError,
};
