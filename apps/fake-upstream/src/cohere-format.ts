import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type AnswerPlan, type Conversation, type FunctionToolSpec, type StreamOptions, contentText, countWords, readStopSequences, splitEvenly, splitText } from './answer';
import { isJson } from '@app/common';
import { newId } from './ids';
import { FakeHttpError } from './openai-errors';
import { BAD_API_KEY, type NativeFormat, type NativeRequest } from './routing';

/**
 * Cohere v2 chat wire format: `POST /v2/chat` with a bearer key; `stream: true` in the body
 * gives SSE frames `event: <type>\ndata: <json>\n\n` (message-start, content-start/delta/end,
 * tool-plan-delta, tool-call-start/delta/end, message-end with finish_reason and usage).
 * Errors are `{"id", "message"}`.
 */
export const COHERE_FORMAT: NativeFormat = {
  name: 'cohere',

  match(pathname) {
    return pathname === '/v2/chat' ? { model: '', stream: null } : null;
  },

  authenticate(headers: IncomingHttpHeaders) {
    const auth = headers.authorization;
    const token = typeof auth === 'string' && /^bearer\s/i.test(auth) ? auth.slice(7).trim() : '';
    if (token === '') throw new FakeHttpError(401, 'no api key supplied');
    if (token === BAD_API_KEY) throw new FakeHttpError(401, 'invalid api token');
  },

  read(body): NativeRequest {
    if (typeof body.model !== 'string' || body.model === '') throw new FakeHttpError(400, 'invalid request: model must be specified');
    if (!Array.isArray(body.messages)) throw new FakeHttpError(400, 'invalid request: messages must be specified');
    const conv: Conversation = { model: body.model, inputWords: 0, lastUserText: '', directiveText: '', tools: [], toolsDisabled: body.tool_choice === 'NONE', jsonMode: false };
    for (const m of body.messages) {
      if (!isJson(m)) continue;
      const text = contentText(m.content);
      conv.inputWords += countWords(text);
      if (m.role === 'tool') conv.toolOutput = text;
      else if (m.role === 'user') {
        conv.lastUserText = text;
        conv.directiveText = conv.directiveText === '' ? text : `${conv.directiveText}\n${text}`;
      }
    }
    const tools: FunctionToolSpec[] = [];
    for (const t of Array.isArray(body.tools) ? body.tools : []) {
      if (isJson(t) && isJson(t.function) && typeof t.function.name === 'string') tools.push({ name: t.function.name, parameters: t.function.parameters });
    }
    conv.tools = tools;
    const rf = isJson(body.response_format) ? body.response_format : undefined;
    if (rf?.type === 'json_object') {
      conv.jsonMode = true;
      conv.jsonSchema = rf.json_schema;
    }
    conv.stopSequences = readStopSequences(body.stop_sequences, 5, (m) => new FakeHttpError(400, `invalid request: stop_sequences: ${m}`));
    return { conversation: conv, stream: body.stream === true };
  },

  json(_req, plan) {
    const a = plan.answer;
    const message = a.kind === 'function_call'
      ? { role: 'assistant', tool_plan: `I will call ${a.name}.`, tool_calls: [{ id: newId(`${a.name}_`), type: 'function', function: { name: a.name, arguments: a.arguments } }] }
      : { role: 'assistant', content: [{ type: 'text', text: a.text }] };
    return JSON.stringify({ id: randomUUID(), message, finish_reason: finishReason(plan), usage: usage(plan) });
  },

  frames(_req, plan, opts: StreamOptions) {
    const id = randomUUID();
    const frames: string[] = [];
    const add = (type: string, fields: Record<string, unknown>): void => {
      frames.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`);
    };
    add('message-start', { id, delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } });
    const a = plan.answer;
    if (a.kind === 'function_call') {
      add('tool-plan-delta', { delta: { message: { tool_plan: `I will call ${a.name}.` } } });
      add('tool-call-start', { index: 0, delta: { message: { tool_calls: { id: newId(`${a.name}_`), type: 'function', function: { name: a.name, arguments: '' } } } } });
      for (const piece of splitEvenly(a.arguments, opts.chunks ?? Math.ceil(a.arguments.length / 8))) {
        add('tool-call-delta', { index: 0, delta: { message: { tool_calls: { function: { arguments: piece } } } } });
        if (opts.streamError) return withError(frames, add);
      }
      add('tool-call-end', { index: 0 });
    } else {
      add('content-start', { index: 0, delta: { message: { content: { type: 'text', text: '' } } } });
      for (const piece of splitText(a.text, opts.chunks)) {
        add('content-delta', { index: 0, delta: { message: { content: { text: piece } } } });
        if (opts.streamError) return withError(frames, add);
      }
      add('content-end', { index: 0 });
    }
    add('message-end', { delta: { finish_reason: finishReason(plan), usage: usage(plan) } });
    return frames;
  },

  streamContentType: 'text/event-stream',

  errorBody(_status, message) {
    return { body: { id: randomUUID(), message } };
  },
};

function withError(frames: string[], add: (type: string, fields: Record<string, unknown>) => void): string[] {
  add('message-end', { delta: { finish_reason: 'ERROR', error: 'internal server error (fake upstream)' } });
  return frames;
}

function finishReason(plan: AnswerPlan): string {
  if (plan.incomplete) return 'MAX_TOKENS';
  return plan.answer.kind === 'function_call' ? 'TOOL_CALL' : 'COMPLETE';
}

/** billed_units is the exact plan; raw tokens add the prompt template Cohere wraps around it. */
function usage(plan: AnswerPlan): Record<string, unknown> {
  const u = plan.usage;
  const out: Record<string, unknown> = {
    billed_units: { input_tokens: u.input, output_tokens: u.output },
    tokens: { input_tokens: u.input + 200, output_tokens: u.output + 2 },
  };
  if (u.cached > 0) out.cached_tokens = u.cached;
  return out;
}
