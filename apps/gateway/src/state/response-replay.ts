import { isJson, type Json } from './stored-response';

export interface ReplayEvent {
  type: string;
  data: Json;
}

const TERMINAL_EVENT: Record<string, string> = {
  completed: 'response.completed',
  incomplete: 'response.incomplete',
  failed: 'response.failed',
  cancelled: 'response.failed',
};

/**
 * A stored Response replayed as the event sequence OpenAI streams (GET /v1/responses/{id}
 * ?stream=true): created, in_progress, per output item added / deltas / done, then the
 * terminal event with the stored object. Each text arrives as one delta. A response still
 * queued or in progress replays what is known (its start) and ends. Events are made one at a
 * time as they are written, so a large response is never held as a list of copies.
 */
export function* streamReplayEvents(response: Json, startingAfter: number | null = null): Generator<ReplayEvent> {
  let seq = 0;
  const pending: ReplayEvent[] = [];
  const push = (type: string, fields: Json) => {
    const sequence = seq++;
    if (startingAfter === null || sequence > startingAfter) pending.push({ type, data: { type, sequence_number: sequence, ...fields } });
  };
  const status = typeof response.status === 'string' ? response.status : 'completed';
  const start = { ...response, status: status === 'queued' ? 'queued' : 'in_progress', output: [], usage: null };
  if (status === 'queued') {
    push('response.queued', { response: start });
  } else {
    push('response.created', { response: start });
    push('response.in_progress', { response: start });
  }
  yield* pending.splice(0);
  const terminal = Object.hasOwn(TERMINAL_EVENT, status) ? TERMINAL_EVENT[status] : undefined;
  if (terminal === undefined) return;
  const output = Array.isArray(response.output) ? response.output : [];
  for (let outputIndex = 0; outputIndex < output.length; outputIndex++) {
    const item: unknown = output[outputIndex];
    if (isJson(item)) replayItem(item, outputIndex, push);
    yield* pending.splice(0);
  }
  push(terminal, { response });
  yield* pending.splice(0);
}

/** The whole sequence at once (tests, small responses). */
export function replayEvents(response: Json, startingAfter: number | null = null): ReplayEvent[] {
  return [...streamReplayEvents(response, startingAfter)];
}

function replayItem(item: Json, outputIndex: number, push: (type: string, fields: Json) => void): void {
  const itemId = item.id;
  switch (item.type) {
    case 'message': {
      const content = Array.isArray(item.content) ? (item.content as unknown[]).filter(isJson) : [];
      push('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } });
      content.forEach((part, contentIndex) => {
        const where = { item_id: itemId, output_index: outputIndex, content_index: contentIndex };
        if (part.type === 'output_text') {
          const text = typeof part.text === 'string' ? part.text : '';
          push('response.content_part.added', { ...where, part: { ...part, text: '' } });
          if (text !== '') push('response.output_text.delta', { ...where, delta: text, logprobs: [] });
          push('response.output_text.done', { ...where, text, logprobs: [] });
        } else if (part.type === 'refusal') {
          const refusal = typeof part.refusal === 'string' ? part.refusal : '';
          push('response.content_part.added', { ...where, part: { ...part, refusal: '' } });
          push('response.refusal.delta', { ...where, delta: refusal });
          push('response.refusal.done', { ...where, refusal });
        } else {
          push('response.content_part.added', { ...where, part });
        }
        push('response.content_part.done', { ...where, part });
      });
      break;
    }
    case 'function_call': {
      const args = typeof item.arguments === 'string' ? item.arguments : '';
      push('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', arguments: '' } });
      const where = { item_id: itemId, output_index: outputIndex };
      if (args !== '') push('response.function_call_arguments.delta', { ...where, delta: args });
      push('response.function_call_arguments.done', { ...where, arguments: args });
      break;
    }
    case 'reasoning': {
      const summary = Array.isArray(item.summary) ? (item.summary as unknown[]).filter(isJson) : [];
      push('response.output_item.added', { output_index: outputIndex, item: { ...item, summary: [] } });
      summary.forEach((part, summaryIndex) => {
        const where = { item_id: itemId, output_index: outputIndex, summary_index: summaryIndex };
        const text = typeof part.text === 'string' ? part.text : '';
        push('response.reasoning_summary_part.added', { ...where, part: { type: 'summary_text', text: '' } });
        if (text !== '') push('response.reasoning_summary_text.delta', { ...where, delta: text });
        push('response.reasoning_summary_text.done', { ...where, text });
        push('response.reasoning_summary_part.done', { ...where, part: { type: 'summary_text', text } });
      });
      break;
    }
    default:
      push('response.output_item.added', { output_index: outputIndex, item });
  }
  push('response.output_item.done', { output_index: outputIndex, item });
}
