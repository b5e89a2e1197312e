import { GatewayError, type Json, isJson } from '@app/common';
import { type ResponsesRequest, cacheControlOf } from '../types';
import { type FunctionTool, type ToolChoice, unsupported } from './request-input';
import { ToolNames } from './tool-names';

/**
 * The request's `tools` and `tool_choice` for providers that take only function tools, plus
 * the hosted tools they have an equivalent for. Agents (Codex) offer every tool they have in
 * every request: a tool the provider lacks is dropped and reported, never a 400, unless the
 * request forces that very tool through `tool_choice`.
 *
 * `namespace` tools (a named group of functions) are flattened into functions named
 * `<namespace>__<name>`; calls come back under their namespace, as OpenAI returns them.
 */


/** OpenAI's hosted web search, under every name it has had. */
const WEB_SEARCH_TYPES = new Set(['web_search', 'web_search_preview', 'web_search_2025_08_26', 'web_search_preview_2025_03_11']);

export function isWebSearchType(type: unknown): boolean {
  return typeof type === 'string' && WEB_SEARCH_TYPES.has(type);
}

export interface WebSearchOptions {
  /** `filters.allowed_domains` */
  allowedDomains: string[] | null;
  /** `user_location` (approximate) */
  userLocation: { city?: string; region?: string; country?: string; timezone?: string } | null;
}

/** Which hosted tools a provider serves itself; absent = none. */
export interface HostedToolSupport {
  /** Whether web search can be offered beside these function tools (names already flattened). */
  webSearch?: (functions: readonly FunctionTool[]) => boolean;
  /** Whether `tool_choice` may force web search. */
  forceWebSearch?: boolean;
}

export interface RequestTools {
  /** Function tools, namespaced ones flattened. */
  functions: FunctionTool[];
  /** Set when the request offers web search and the provider serves it. */
  webSearch: WebSearchOptions | null;
  /** The tools offered but not sent upstream (`type`, or `type:name` for named ones), once each. */
  dropped: string[];
  names: ToolNames;
}

export function readTools(body: ResponsesRequest, support: HostedToolSupport = {}): RequestTools {
  const names = ToolNames.of(body);
  const tools = body.tools;
  if (!Array.isArray(tools) || tools.length === 0) return { functions: [], webSearch: null, dropped: [], names };
  const functions: FunctionTool[] = [];
  const hosted: Json[] = [];
  tools.forEach((t, i) => {
    const param = `tools[${i}]`;
    if (!isJson(t)) throw GatewayError.invalidRequest(`'${param}' must be an object.`, param);
    if (t.type === 'function') functions.push(readFunction(t, param, null, null, names));
    else if (t.type === 'namespace') {
      if (typeof t.name !== 'string' || t.name === '') throw GatewayError.invalidRequest(`'${param}.name' must be a non-empty string.`, `${param}.name`);
      if (!Array.isArray(t.tools)) throw GatewayError.invalidRequest(`'${param}.tools' must be an array.`, `${param}.tools`);
      const description = typeof t.description === 'string' && t.description !== '' ? t.description : null;
      t.tools.forEach((inner, j) => {
        const innerParam = `${param}.tools[${j}]`;
        if (!isJson(inner)) throw GatewayError.invalidRequest(`'${innerParam}' must be an object.`, innerParam);
        if (inner.type === 'function') functions.push(readFunction(inner, innerParam, t.name as string, description, names));
        else hosted.push(inner);
      });
    } else hosted.push(t);
  });
  let webSearch: WebSearchOptions | null = null;
  const dropped = new Set<string>();
  for (const t of hosted) {
    if (isWebSearchType(t.type) && support.webSearch?.(functions) === true) webSearch ??= readWebSearch(t);
    else dropped.add(hostedLabel(t));
  }
  return { functions, webSearch, dropped: [...dropped], names };
}

function readFunction(t: Json, param: string, namespace: string | null, namespaceDescription: string | null, names: ToolNames): FunctionTool {
  if (typeof t.name !== 'string' || t.name === '') throw GatewayError.invalidRequest(`'${param}.name' must be a non-empty string.`, `${param}.name`);
  let description = typeof t.description === 'string' ? t.description : null;
  // The flattened name alone loses what the group is for.
  if (namespaceDescription !== null) description = description === null ? namespaceDescription : `${namespaceDescription}\n\n${description}`;
  const fn: FunctionTool = {
    name: names.upstream(t.name, namespace),
    description,
    parameters: isJson(t.parameters) ? t.parameters : { type: 'object', properties: {} },
    strict: typeof t.strict === 'boolean' ? t.strict : null,
  };
  const cache = cacheControlOf(t);
  if (cache !== null) fn.cache = cache;
  return fn;
}

/** How a dropped tool is reported; client text, so kept to characters safe in a header. */
function hostedLabel(t: Json): string {
  const type = typeof t.type === 'string' ? t.type : String(t.type);
  let label = type;
  if (type === 'mcp' && typeof t.server_label === 'string') label = `mcp:${t.server_label}`;
  else if (type === 'custom' && typeof t.name === 'string') label = `custom:${t.name}`;
  return label.replace(/[^\w.:-]/g, '_').slice(0, 100);
}

function readWebSearch(t: Json): WebSearchOptions {
  const filters = isJson(t.filters) ? t.filters : null;
  const domains = filters !== null && Array.isArray(filters.allowed_domains) ? filters.allowed_domains.filter((d): d is string => typeof d === 'string') : null;
  const loc = isJson(t.user_location) ? t.user_location : null;
  let userLocation: WebSearchOptions['userLocation'] = null;
  if (loc !== null) {
    userLocation = {};
    for (const k of ['city', 'region', 'country', 'timezone'] as const) if (typeof loc[k] === 'string') userLocation[k] = loc[k];
  }
  return { allowedDomains: domains !== null && domains.length > 0 ? domains : null, userLocation };
}

/**
 * `tool_choice` against the tools the provider receives: a forced namespaced function by its
 * flattened name; forcing a hosted tool the provider lacks (or `required` when nothing but such
 * tools was offered) is the one case of a dropped tool that is a 400.
 */
export function readToolChoice(body: ResponsesRequest, provider: string, tools: RequestTools, support: HostedToolSupport = {}): ToolChoice | null {
  const tc = body.tool_choice;
  if (tc === undefined || tc === null) return null;
  if (tc === 'auto' || tc === 'none') return { type: tc };
  if (tc === 'required') {
    if (tools.functions.length === 0 && tools.webSearch === null && tools.dropped.length > 0) throw forcedDropped(provider, tools.dropped);
    return { type: 'required' };
  }
  if (!isJson(tc)) throw unsupported(provider, `tool_choice ${JSON.stringify(tc).slice(0, 100)}`, 'tool_choice');
  if (tc.type === 'function') {
    if (typeof tc.name !== 'string' || tc.name === '') throw GatewayError.invalidRequest("'tool_choice.name' must be a non-empty string.", 'tool_choice.name');
    return { type: 'function', name: tools.names.upstream(tc.name, typeof tc.namespace === 'string' ? tc.namespace : null) };
  }
  if (tc.type === 'allowed_tools' && Array.isArray(tc.tools)) {
    const mode = tc.mode === 'required' ? 'required' : 'auto';
    const names: string[] = [];
    const hosted: string[] = [];
    for (const t of tc.tools) {
      if (!isJson(t)) continue;
      if (t.type === 'function' && typeof t.name === 'string') names.push(tools.names.upstream(t.name, typeof t.namespace === 'string' ? t.namespace : null));
      else if (!(isWebSearchType(t.type) && tools.webSearch !== null)) hosted.push(hostedLabel(t));
    }
    if (mode === 'required' && names.length === 0 && hosted.length > 0 && tools.webSearch === null) throw forcedDropped(provider, hosted);
    return { type: 'allowed_tools', mode, names };
  }
  if (isWebSearchType(tc.type) && tools.webSearch !== null) {
    if (support.forceWebSearch !== true) throw unsupported(provider, 'forcing web search with tool_choice', 'tool_choice');
    return { type: 'web_search' };
  }
  if (typeof tc.type === 'string') throw forcedDropped(provider, [hostedLabel(tc)]);
  throw unsupported(provider, `tool_choice '${String(tc.type)}'`, 'tool_choice');
}

/** For providers that can force only one named function: `allowed_tools` is refused. */
export function readSingleToolChoice(body: ResponsesRequest, provider: string, tools: RequestTools): Exclude<ToolChoice, { type: 'allowed_tools' | 'web_search' }> | null;
export function readSingleToolChoice(body: ResponsesRequest, provider: string, tools: RequestTools, support: HostedToolSupport): Exclude<ToolChoice, { type: 'allowed_tools' }> | null;
export function readSingleToolChoice(body: ResponsesRequest, provider: string, tools: RequestTools, support: HostedToolSupport = {}): Exclude<ToolChoice, { type: 'allowed_tools' }> | null {
  const choice = readToolChoice(body, provider, tools, support);
  if (choice?.type === 'allowed_tools') throw unsupported(provider, "tool_choice 'allowed_tools'", 'tool_choice');
  return choice;
}

function forcedDropped(provider: string, labels: string[]): GatewayError {
  const list = labels.map((l) => `'${l}'`).join(', ');
  return unsupported(provider, `forcing the hosted tool ${list} with tool_choice (it has no equivalent there)`, 'tool_choice');
}
