import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';

/**
 * The Open Responses HTTP compliance checks, written for this project's Jest suite: the same
 * requests and checks as the spec's compliance suite (openresponses/openresponses), judged by
 * the spec's own JSON schemas (vendored in test/vendor/open-responses). WebSocket and
 * compaction checks are not part of it.
 */

// OpenAPI 3.1 schemas are JSON Schema 2020-12. `discriminator`, `example` and the `x-*`
// annotations are not validation keywords: non-strict mode ignores them, and oneOf still
// demands exactly one matching branch.
const spec = JSON.parse(readFileSync(path.join(__dirname, '../vendor/open-responses/openapi.json'), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(spec, 'open-responses');
const RESOURCE = ajv.compile({ $ref: 'open-responses#/components/schemas/ResponseResource' });
// The spec's own union of every streaming event (the text/event-stream schema of POST /responses).
const EVENT = ajv.compile({ $ref: 'open-responses#/paths/~1responses/post/responses/200/content/text~1event-stream/schema' });

function errorsOf(validate: ValidateFunction, value: unknown, where: string): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, 10).map((e) => `${where}${e.instancePath} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

export function responseErrors(response: unknown): string[] {
  return errorsOf(RESOURCE, response, 'response');
}

export interface StreamEvent {
  event: string | null;
  data: Record<string, unknown>;
}

/** Reads a whole SSE body; `[DONE]` is skipped, as the suite does. */
export function parseSse(text: string): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (const frame of text.split('\n\n')) {
    let event: string | null = null;
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length === 0 || data.join('\n') === '[DONE]') continue;
    events.push({ event, data: JSON.parse(data.join('\n')) as Record<string, unknown> });
  }
  return events;
}

/** Every event valid against the spec's event union, its `event:` line equal to its type (a MUST of the spec). */
export function streamErrors(events: StreamEvent[]): string[] {
  const errors: string[] = [];
  if (events.length === 0) errors.push('No streaming events received');
  events.forEach((e, i) => {
    const type = String(e.data.type);
    if (e.event !== null && e.event !== type) errors.push(`event ${i}: the event line '${e.event}' differs from its type '${type}'`);
    errors.push(...errorsOf(EVENT, e.data, `event ${i} (${type})`));
  });
  return errors;
}

const TERMINAL = new Set(['response.completed', 'response.failed', 'response.incomplete']);

/** The response of the stream's terminal event. */
export function finalResponse(events: StreamEvent[]): unknown {
  return events.findLast((e) => TERMINAL.has(String(e.data.type)))?.data.response ?? null;
}

type Body = Record<string, unknown>;
type Response = { status?: unknown; output?: { type?: unknown; call_id?: unknown }[]; id?: unknown };

export interface ComplianceCheck {
  id: string;
  /** The request (model filled in); `run` checks needing two turns use `second`. */
  request: (model: string) => Body;
  /** The follow-up of a two-turn check, given the first turn's response. */
  second?: (model: string, first: Response) => Body;
  /** Checks on the final response beyond the schema (the suite's semantic validators). */
  expect: ('hasOutput' | 'completed' | 'functionCall')[];
  /** Extra checks on the stream's events. */
  streamExpect?: 'functionCallEvents';
}

const WEATHER = {
  type: 'function',
  name: 'get_weather',
  description: 'Get the current weather for a location',
  parameters: {
    type: 'object',
    properties: { location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' } },
    required: ['location'],
  },
};

// A 1x1 PNG and a one-page PDF, small enough to inline.
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const PDF =
  'data:application/pdf;base64,' +
  Buffer.from('%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF').toString('base64');

const user = (content: unknown): Body => ({ type: 'message', role: 'user', content });

/** The suite's HTTP checks. Each runs non-streaming and streaming. */
export const COMPLIANCE_CHECKS: ComplianceCheck[] = [
  { id: 'basic-response', request: (model) => ({ model, input: [user('Say hello in exactly 3 words.')] }), expect: ['hasOutput', 'completed'] },
  { id: 'streaming-response', request: (model) => ({ model, input: [user('Count from 1 to 5.')] }), expect: ['completed'] },
  {
    id: 'system-prompt',
    request: (model) => ({ model, input: [{ type: 'message', role: 'system', content: 'You are a pirate. Always respond in pirate speak.' }, user('Say hello.')] }),
    expect: ['hasOutput', 'completed'],
  },
  {
    id: 'tool-calling',
    request: (model) => ({ model, input: [user("What's the weather like in San Francisco?")], tools: [WEATHER] }),
    expect: ['hasOutput', 'functionCall'],
    streamExpect: 'functionCallEvents',
  },
  {
    id: 'function-call-roundtrip',
    request: (model) => ({ model, input: 'Use the weather tool to get the temperature in San Francisco.', tools: [WEATHER], tool_choice: { type: 'function', name: 'get_weather' } }),
    second: (model, first) => {
      const call = first.output?.find((o) => o.type === 'function_call');
      if (call === undefined) throw new Error('First response did not include a function_call with call_id');
      return { model, previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: '64 degrees and clear' }] };
    },
    expect: ['hasOutput', 'completed'],
  },
  {
    id: 'image-input',
    request: (model) => ({ model, input: [user([{ type: 'input_text', text: 'What do you see in this image? Answer in one sentence.' }, { type: 'input_image', image_url: PNG }])] }),
    expect: ['hasOutput', 'completed'],
  },
  {
    id: 'file-input',
    request: (model) => ({
      model,
      input: [user([{ type: 'input_text', text: 'Read the attached file and answer with its title only.' }, { type: 'input_file', filename: 'fixture.pdf', file_data: PDF }])],
    }),
    expect: ['hasOutput', 'completed'],
  },
  {
    id: 'multi-turn',
    request: (model) => ({
      model,
      input: [user('My name is Alice.'), { type: 'message', role: 'assistant', content: 'Hello Alice! Nice to meet you. How can I help you today?' }, user('What is my name?')],
    }),
    expect: ['hasOutput', 'completed'],
  },
  {
    id: 'previous-response-id',
    request: (model) => ({ model, input: 'Remember this code word: papaya. Reply with only OK.' }),
    second: (model, first) => ({ model, previous_response_id: first.id, input: 'What code word did I ask you to remember?' }),
    expect: ['hasOutput', 'completed'],
  },
];

/** The suite's semantic checks on a schema-valid response. */
export function semanticErrors(check: ComplianceCheck, response: Response): string[] {
  const errors: string[] = [];
  for (const e of check.expect) {
    if (e === 'hasOutput' && !(Array.isArray(response.output) && response.output.length > 0)) errors.push('Response has no output items');
    if (e === 'completed' && response.status !== 'completed') errors.push(`Expected status "completed" but got "${String(response.status)}"`);
    if (e === 'functionCall' && !response.output?.some((o) => o.type === 'function_call')) errors.push('Expected output item of type "function_call" but none found');
  }
  return errors;
}

/** The suite's checks on a streamed tool call: the item added and done, its argument deltas and done. */
export function functionCallEventErrors(events: StreamEvent[]): string[] {
  const errors: string[] = [];
  const has = (type: string, itemType?: string) => events.some((e) => e.data.type === type && (itemType === undefined || (e.data.item as { type?: unknown } | undefined)?.type === itemType));
  if (!has('response.output_item.added', 'function_call')) errors.push('Missing response.output_item.added event with function_call item');
  if (!has('response.function_call_arguments.delta')) errors.push('Missing response.function_call_arguments.delta event');
  if (!has('response.function_call_arguments.done')) errors.push('Missing response.function_call_arguments.done event');
  if (!has('response.output_item.done', 'function_call')) errors.push('Missing response.output_item.done event with function_call item');
  return errors;
}
