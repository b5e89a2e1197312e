import { isJson } from '@app/common';
import type { Directives } from './directives';
import { FakeHttpError } from './openai-errors';
import { fakeProse } from './prose';

/**
 * The format-neutral "model": both wire formats read their request into a Conversation,
 * and this file decides the answer and the token usage. Everything is deterministic, so
 * tests can compute costs:
 *
 *   input_tokens  = words(all input text) + 10, where words = whitespace-separated runs and
 *                   the text is: string input, every message's text parts (any role),
 *                   instructions, function_call_output / tool-message outputs. Directives
 *                   are part of the text, so they count as words too.
 *   output_tokens = words(answer text), or 5 for a function call; plus [[reasoning:N]].
 *   cached_tokens = 0 or [[cached:N]] (part of input_tokens); reasoning_tokens = 0 or N.
 *   total_tokens  = input_tokens + output_tokens. [[usage:IN,OUT]] sets input/output exactly.
 *
 * Answer, first rule that applies:
 *   1. function tools offered, no tool output in the input, tool_choice not "none",
 *      no [[no-tool]]: ONE call to the first (or the forced, or the [[tool:NAME]]) function,
 *      arguments from [[tool-args:JSON]] or sampled from its JSON schema (see sampleFromSchema).
 *   2. [[reply:TEXT]] -> TEXT.  3. JSON mode ([[json]], json_schema, json_object) -> JSON
 *      sampled from the schema, or {"ok":true}.  4. tool output present -> "Tool said: <output>".
 *   5. [[words:N]] -> N words; [[prose:N]] -> N words of prose seeded by the user texts (prose.ts).
 *   6. "Hello from <model>! You said: <first 40 chars of last user text>"
 *      (the last user message's text parts joined by a space; directives are not stripped).
 */
export interface FunctionToolSpec {
  name: string;
  parameters: unknown;
}

export interface Conversation {
  model: string;
  inputWords: number;
  lastUserText: string;
  /** User texts joined by "\n": where directives are read, and the [[fail-once]] key. */
  directiveText: string;
  tools: FunctionToolSpec[];
  /** tool_choice naming one function. */
  forcedTool?: string;
  /** tool_choice "none". */
  toolsDisabled: boolean;
  /** Output of the last tool result in the input. */
  toolOutput?: string;
  /** The request's stop sequences: a text answer ends before the first one it contains. */
  stopSequences?: string[];
  jsonMode: boolean;
  jsonSchema?: unknown;
  /** The request offers the provider's own web search. */
  webSearch?: boolean;
}

/** A conversation before its messages are read: the model, the tools offered, the tool choice. */
export function newConversation(model: string, tools: FunctionToolSpec[], toolChoice: unknown, forcedTool: string | undefined): Conversation {
  return { model, inputWords: 0, lastUserText: '', directiveText: '', tools, toolsDisabled: toolChoice === 'none', forcedTool, jsonMode: false };
}

export type Answer =
  | { kind: 'text'; text: string }
  | { kind: 'function_call'; name: string; arguments: string };

export interface TokenUsage {
  input: number;
  output: number;
  cached: number;
  reasoning: number;
}

export interface AnswerPlan {
  answer: Answer;
  usage: TokenUsage;
  incomplete: boolean;
  /** [[web-search]] with the provider's search offered: one search, its result cited by the whole answer. */
  search?: FakeSearch;
  /** The stop sequence that ended the answer (the text stops right before it). */
  stopSequence?: string;
}

/**
 * Reads a request's stop sequences (a list of strings, at most `max`), refusing what the
 * provider refuses with its own message.
 */
export function readStopSequences(value: unknown, max: number, refuse: (message: string) => Error): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === '')) throw refuse('stop sequences must be non-empty strings');
  if (list.length > max) throw refuse(`at most ${max} stop sequences are allowed (got ${list.length})`);
  return list.length > 0 ? (list as string[]) : undefined;
}

/** The answer cut before the first stop sequence it contains, as a model stops generating there. */
function applyStop(answer: Answer, stops: string[] | undefined): { answer: Answer; stopSequence?: string } {
  if (answer.kind !== 'text' || stops === undefined) return { answer };
  let at = -1;
  let hit: string | undefined;
  for (const s of stops) {
    const i = answer.text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) {
      at = i;
      hit = s;
    }
  }
  return hit === undefined ? { answer } : { answer: { kind: 'text', text: answer.text.slice(0, at) }, stopSequence: hit };
}

export interface FakeSearch {
  query: string;
  url: string;
  title: string;
}

/** How a plan is streamed, in either wire format. */
export interface StreamOptions {
  /** Number of deltas ([[chunks:N]]); default one word per text delta, ~8 chars per argument delta. */
  chunks?: number;
  /** End with an error frame right after the first delta ([[stream-error]]). */
  streamError: boolean;
}

const INPUT_OVERHEAD_TOKENS = 10;
const FUNCTION_CALL_OUTPUT_TOKENS = 5;
const ECHO_CHARS = 40;

export function planAnswer(conv: Conversation, d: Readonly<Directives>): AnswerPlan {
  const { answer, stopSequence } = applyStop(chooseAnswer(conv, d), conv.stopSequences);
  const reasoning = d.reasoningTokens ?? 0;
  const answerTokens = answer.kind === 'text' ? countWords(answer.text) : FUNCTION_CALL_OUTPUT_TOKENS;
  const search = d.webSearch && conv.webSearch === true && answer.kind === 'text'
    ? { query: firstChars(conv.lastUserText, ECHO_CHARS), url: 'https://example.com/fake-search-result', title: 'Fake search result' }
    : undefined;
  return {
    ...(search !== undefined && { search }),
    ...(stopSequence !== undefined && { stopSequence }),
    answer,
    usage: {
      input: d.usage ? d.usage.input : conv.inputWords + INPUT_OVERHEAD_TOKENS,
      output: d.usage ? d.usage.output : answerTokens + reasoning,
      cached: d.cachedTokens ?? 0,
      reasoning,
    },
    incomplete: d.incomplete,
  };
}

function chooseAnswer(conv: Conversation, d: Readonly<Directives>): Answer {
  if (conv.tools.length > 0 && conv.toolOutput === undefined && !conv.toolsDisabled && !d.noTool) {
    let tool = conv.tools.find((t) => t.name === conv.forcedTool);
    if (tool === undefined && d.tool !== undefined) {
      tool = conv.tools.find((t) => t.name === d.tool);
      // A script naming a tool the request does not offer is a test bug (or a mangled name).
      if (tool === undefined) throw new FakeHttpError(400, `[[tool:${d.tool}]] names no offered tool (offered: ${conv.tools.map((t) => t.name).join(', ')}).`);
    }
    tool ??= conv.tools[0];
    return { kind: 'function_call', name: tool.name, arguments: d.toolArgs ?? JSON.stringify(sampleFromSchema(tool.parameters)) };
  }
  if (d.reply !== undefined) return { kind: 'text', text: d.reply };
  if (d.json || conv.jsonMode) {
    const text = conv.jsonSchema === undefined ? '{"ok":true}' : JSON.stringify(sampleFromSchema(conv.jsonSchema));
    return { kind: 'text', text };
  }
  if (conv.toolOutput !== undefined) return { kind: 'text', text: `Tool said: ${conv.toolOutput}` };
  if (d.words !== undefined) return { kind: 'text', text: 'lorem '.repeat(d.words).trimEnd() };
  if (d.prose !== undefined) return { kind: 'text', text: recentProse(d.prose, conv.directiveText) };
  return { kind: 'text', text: `Hello from ${conv.model}! You said: ${firstChars(conv.lastUserText, ECHO_CHARS)}` };
}

// Answers of [[prose:N]] kept for the same request sent again (the bench's agent-sized turn: the
// fake shares the machine with what is measured), the last this many added: each may be up to
// 100,000 words.
const MAX_RECENT_PROSE = 8;
const recentProseTexts = new Map<string, string>();

/** fakeProse, remembered for the last few texts and lengths first asked for. */
function recentProse(words: number, seedText: string): string {
  const key = `${words}\n${seedText}`;
  let text = recentProseTexts.get(key);
  if (text === undefined) {
    text = fakeProse(words, seedText);
    if (recentProseTexts.size >= MAX_RECENT_PROSE) recentProseTexts.delete(recentProseTexts.keys().next().value!);
    recentProseTexts.set(key, text);
  }
  return text;
}

/**
 * An object with every required property of `schema`: string -> "test", number/integer -> 1,
 * boolean -> true, nested object -> recursively sampled, array -> [], enum/const -> its
 * first value, anything else -> null. Not a schema, or no properties -> {}.
 */
export function sampleFromSchema(schema: unknown): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  if (!isJson(schema) || !isJson(schema.properties) || !Array.isArray(schema.required)) return result;
  for (const key of schema.required) {
    if (typeof key === 'string') result[key] = sampleValue(schema.properties[key]);
  }
  return result;
}

function sampleValue(schema: unknown): unknown {
  if (!isJson(schema)) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      return 'test';
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'object':
      return sampleFromSchema(schema);
    case 'array':
      return [];
    default:
      return null;
  }
}

/** Whitespace-separated words; a loop instead of split() to avoid garbage on big inputs. */
export function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0x2028 || c === 0x2029 || c === 0xfeff;
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      words++;
    }
  }
  return words;
}

/** Stream pieces: one word each (with its leading whitespace) by default, or N even slices. */
export function splitText(text: string, pieces: number | undefined): string[] {
  if (text === '') return [];
  if (pieces !== undefined) return splitEvenly(text, pieces);
  const words = text.match(/\s*\S+/g);
  if (!words) return [text];
  const covered = words.reduce((n, w) => n + w.length, 0);
  if (covered < text.length) words[words.length - 1] += text.slice(covered);
  return words;
}

export function splitEvenly(text: string, pieces: number): string[] {
  const n = Math.max(1, Math.min(pieces, text.length));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(text.slice(Math.floor((i * text.length) / n), Math.floor(((i + 1) * text.length) / n)));
  }
  return out;
}

/** Text of a message's content: a string, or the `text` of each part (input_text, output_text, text). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (isJson(part) && typeof part.text === 'string') text = text === '' ? part.text : `${text} ${part.text}`;
  }
  return text;
}

function firstChars(text: string, n: number): string {
  if (text.length <= n) return text;
  // Do not cut a surrogate pair in half.
  const end = /[\uD800-\uDBFF]/.test(text[n - 1]) ? n - 1 : n;
  return text.slice(0, end);
}
