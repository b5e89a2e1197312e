import { replayEvents } from './response-replay';

describe('replayEvents', () => {
  const response = {
    id: 'resp_1',
    object: 'response',
    status: 'completed',
    output: [
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'thinking' }] },
      { type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] },
      { type: 'function_call', id: 'fc_1', call_id: 'c1', name: 'f', arguments: '{"a":1}', status: 'completed' },
    ],
    usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
  };

  it("replays OpenAI's event order with increasing sequence numbers, ending with the stored object", () => {
    const events = replayEvents(response);
    expect(events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.done',
      'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[0].data.response).toMatchObject({ id: 'resp_1', status: 'in_progress', output: [], usage: null });
    expect(events[9].data).toMatchObject({ item_id: 'msg_1', output_index: 1, content_index: 0, part: { type: 'output_text', text: '' } });
    expect(events.at(-1)!.data.response).toBe(response);
  });

  it('resumes after starting_after, and replays only the start of an unfinished response', () => {
    expect(replayEvents(response, 16).map((e) => e.type)).toEqual(['response.output_item.done', 'response.completed']);
    expect(replayEvents({ ...response, status: 'queued', output: [] }).map((e) => e.type)).toEqual(['response.queued']);
    expect(replayEvents({ ...response, status: 'in_progress', output: [] }).map((e) => e.type)).toEqual(['response.created', 'response.in_progress']);
  });
});
