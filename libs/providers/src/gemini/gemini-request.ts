import { isJson } from '@app/common';
import type { ResponsesRequest } from '../types';
import { type ContentPart, type InputTurn, argsObject, numberField, outputObject, readInput, readOutputFormat, reasoningEffort, reasoningSummary, rejectUnsupportedFeatures, splitSystem, stopSequences, toolChoiceMode } from '../responses/request-input';
import { type HostedToolSupport, type RequestTools, readToolChoice, readTools } from '../responses/request-tools';
import { carryReasoning, uncarryReasoning } from '../responses/reasoning-carrier';

/** Gemini `generateContent` wire types (v1beta), the parts the gateway writes. */
export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: { id?: string; name: string; args: Record<string, unknown> };
  functionResponse?: { id?: string; name: string; response: Record<string, unknown> };
}

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiRequestBody {
  contents: GeminiContent[];
  systemInstruction?: { parts: { text: string }[] };
  tools?: ({ functionDeclarations: Record<string, unknown>[] } | { googleSearch: Record<string, never> })[];
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } };
  generationConfig?: Record<string, unknown>;
}

const PROVIDER = 'gemini';

/**
 * Web search is Grounding with Google Search when no function is offered beside it: Gemini 2
 * cannot combine the two, and Gemini 3 only in a preview that needs its server-side tool
 * parts carried through the conversation.
 */
export const GEMINI_TOOLS: HostedToolSupport = { webSearch: (functions) => functions.length === 0 };

/** A thought signature as it travels in a reasoning item: the function call it belongs to. */
export function carryThoughtSignature(signature: string, callId: string): string {
  return carryReasoning('gemini', { s: signature, c: callId });
}

/** Responses request -> generateContent body. */
export function toGeminiRequest(body: ResponsesRequest, model: string, requestTools: RequestTools = readTools(body, GEMINI_TOOLS)): GeminiRequestBody {
  rejectUnsupportedFeatures(body, PROVIDER);
  const { system, turns } = splitSystem(readInput(body, PROVIDER));
  const out: GeminiRequestBody = { contents: toContents(turns) };
  if (/gemini-3/.test(model)) signFunctionCalls(out.contents);
  if (system.length > 0) out.systemInstruction = { parts: system.map((text) => ({ text })) };

  const tools = requestTools.functions;
  if (requestTools.webSearch !== null) out.tools = [{ googleSearch: {} }];
  if (tools.length > 0) {
    out.tools = [{
      functionDeclarations: tools.map((t) => {
        const decl: Record<string, unknown> = { name: t.name };
        if (t.description !== null) decl.description = t.description;
        const params = toGeminiSchema(t.parameters);
        // Gemini rejects an object schema without properties; a function without parameters has none.
        if (isJson(params) && !(params.type === 'object' && (!isJson(params.properties) || Object.keys(params.properties).length === 0))) decl.parameters = params;
        return decl;
      }),
    }];
  }
  const choice = toolChoiceMode(readToolChoice(body, PROVIDER, requestTools, GEMINI_TOOLS));
  if (choice !== null && (tools.length > 0 || choice.mode === 'none')) {
    const mode = choice.mode === 'none' ? 'NONE' : choice.mode === 'required' ? 'ANY' : 'AUTO';
    out.toolConfig = { functionCallingConfig: { mode } };
    if (choice.names && choice.names.length > 0 && mode !== 'NONE') {
      // Gemini only restricts names in ANY mode.
      out.toolConfig.functionCallingConfig = { mode: 'ANY', allowedFunctionNames: choice.names };
    }
  }

  const gen: Record<string, unknown> = {};
  const maxTokens = numberField(body, 'max_output_tokens');
  if (maxTokens !== undefined) gen.maxOutputTokens = maxTokens;
  const temperature = numberField(body, 'temperature');
  if (temperature !== undefined) gen.temperature = temperature;
  const topP = numberField(body, 'top_p');
  if (topP !== undefined) gen.topP = topP;
  // Gemini takes up to 5.
  const stops = stopSequences(body, PROVIDER, 5);
  if (stops !== null) gen.stopSequences = stops;
  const format = readOutputFormat(body);
  if (format.type === 'json_object') gen.responseMimeType = 'application/json';
  else if (format.type === 'json_schema') {
    gen.responseMimeType = 'application/json';
    gen.responseSchema = toGeminiSchema(format.schema);
  }
  const thinking = thinkingConfig(body, model);
  if (thinking !== null) gen.thinkingConfig = thinking;
  if (Object.keys(gen).length > 0) out.generationConfig = gen;
  return out;
}

/**
 * Responses turns -> Gemini contents: assistant -> model, function calls are model parts and
 * their outputs user parts (functionResponse, named after the call). Consecutive turns of the
 * same role join one content, as Gemini expects parallel calls and their results together.
 */
function toContents(turns: InputTurn[]): GeminiContent[] {
  const contents: GeminiContent[] = [];
  // Thought signatures came back in reasoning items, each naming the call it was given with.
  const signatures = new Map<string, string>();
  for (const t of turns) {
    if (t.kind !== 'reasoning') continue;
    const p = uncarryReasoning(t.encryptedContent, 'gemini');
    if (typeof p === 'object' && p !== null && typeof (p as { s?: unknown }).s === 'string' && typeof (p as { c?: unknown }).c === 'string') {
      signatures.set((p as { c: string }).c, (p as { s: string }).s);
    }
  }
  const add = (role: 'user' | 'model', parts: GeminiPart[]): void => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const t of turns) {
    if (t.kind === 'reasoning') continue;
    if (t.kind === 'message') add(t.role === 'assistant' ? 'model' : 'user', t.parts.map(toPart));
    else if (t.kind === 'function_call') {
      const part: GeminiPart = { functionCall: { name: t.name, args: argsObject(t.arguments) } };
      const signature = signatures.get(t.callId);
      if (signature !== undefined) part.thoughtSignature = signature;
      add('model', [part]);
    } else add('user', [{ functionResponse: { name: t.name ?? t.callId, response: outputObject(t.output) } }]);
  }
  return contents;
}

/**
 * Gemini 3 rejects a replayed function call without the thought signature it was returned
 * with. A history that lacks it (begun elsewhere, or by a client that dropped the reasoning
 * items) gets, on the first call of each model turn, the placeholder Google documents for that.
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

function signFunctionCalls(contents: GeminiContent[]): void {
  for (const c of contents) {
    if (c.role !== 'model') continue;
    const first = c.parts.find((p) => p.functionCall !== undefined);
    if (first !== undefined && first.thoughtSignature === undefined) first.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
  }
}

function toPart(p: ContentPart): GeminiPart {
  if (p.type === 'text') return { text: p.text };
  if (p.data !== null) return { inlineData: { mimeType: p.mimeType, data: p.data } };
  return { fileData: { mimeType: p.mimeType, fileUri: (p.type === 'image' ? p.url : p.fileUrl) ?? '' } };
}

// The OpenAPI 3.0 subset Gemini's `parameters` / `responseSchema` accept.
const SCHEMA_KEYS = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required',
  'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering',
  'default', 'items', 'minimum', 'maximum',
]);

/**
 * JSON Schema -> Gemini's schema subset: `type: [x, "null"]` becomes `nullable`, `const` an
 * enum of one, and keywords Gemini rejects (additionalProperties, $schema, strict...) go.
 */
export function toGeminiSchema(schema: unknown): unknown {
  if (!isJson(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'const') out.enum = [v];
    else if (k === 'type' && Array.isArray(v)) {
      const types = v.filter((t) => t !== 'null');
      if (types.length < v.length) out.nullable = true;
      if (types.length === 1) out.type = types[0];
      else if (types.length > 1) out.anyOf = types.map((t) => ({ type: t }));
    } else if (k === 'properties' && isJson(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, toGeminiSchema(s)]));
    } else if (k === 'items') out.items = toGeminiSchema(v);
    else if (k === 'anyOf' && Array.isArray(v)) out.anyOf = v.map(toGeminiSchema);
    else if (SCHEMA_KEYS.has(k)) out[k] = v;
  }
  if (out.enum !== undefined && out.type === undefined) out.type = 'string';
  return out;
}

// Thinking budgets for Gemini 2.5 by effort; Gemini 3 takes a level instead.
const BUDGETS: Record<string, number> = { minimal: 128, low: 1024, medium: 8192, high: 24576 };

function thinkingConfig(body: ResponsesRequest, model: string): Record<string, unknown> | null {
  const effort = reasoningEffort(body);
  const summary = reasoningSummary(body);
  if (effort === null && !summary) return null;
  const cfg: Record<string, unknown> = {};
  if (effort === 'none') cfg.thinkingBudget = 0;
  else if (effort !== null && /gemini-3/.test(model)) cfg.thinkingLevel = effort === 'minimal' || effort === 'low' ? 'low' : 'high';
  else if (effort !== null && BUDGETS[effort] !== undefined) cfg.thinkingBudget = BUDGETS[effort];
  // Thought summaries come back only when asked for: they become reasoning items.
  if (summary) cfg.includeThoughts = true;
  return cfg;
}
