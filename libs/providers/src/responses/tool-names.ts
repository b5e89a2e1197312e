import { createHash } from 'node:crypto';
import { isJson } from '@app/common';
import type { ResponsesRequest } from '../types';

/** Longest tool name every translated provider accepts (Anthropic, Bedrock, Gemini, chat APIs). */
const MAX_TOOL_NAME = 64;
const NAME_UNSAFE = /[^A-Za-z0-9_-]/g;

/**
 * Namespaced function names both ways, derived from the request's own `tools` alone, so that
 * the request and its answer (stream or not) agree without keeping state. A flat name that is
 * too long, or taken by another tool, gets a hash suffix.
 */
export class ToolNames {
  private static readonly NONE = new ToolNames(new Map(), new Map());

  private constructor(
    private readonly flat: Map<string, string>,
    private readonly original: Map<string, { name: string; namespace: string }>,
  ) {}

  static of(body: ResponsesRequest | null | undefined): ToolNames {
    const tools = body?.tools;
    if (!Array.isArray(tools) || !tools.some((t) => isJson(t) && t.type === 'namespace')) return ToolNames.NONE;
    const taken = new Set<string>();
    for (const t of tools) if (isJson(t) && t.type === 'function' && typeof t.name === 'string') taken.add(t.name);
    const flat = new Map<string, string>();
    const original = new Map<string, { name: string; namespace: string }>();
    for (const t of tools) {
      if (!isJson(t) || t.type !== 'namespace' || typeof t.name !== 'string' || !Array.isArray(t.tools)) continue;
      for (const inner of t.tools) {
        if (!isJson(inner) || typeof inner.name !== 'string') continue;
        const key = nameKey(t.name, inner.name);
        if (flat.has(key)) continue;
        const name = flatName(t.name, inner.name, taken);
        taken.add(name);
        flat.set(key, name);
        original.set(name, { name: inner.name, namespace: t.name });
      }
    }
    return new ToolNames(flat, original);
  }

  /** The name the provider knows a (namespaced) function by. */
  upstream(name: string, namespace: string | null): string {
    if (namespace === null) return name;
    return this.flat.get(nameKey(namespace, name)) ?? flatName(namespace, name, EMPTY);
  }

  /** A name the provider called, as the client knows it. */
  client(upstreamName: string): { name: string; namespace: string | null } {
    return this.original.get(upstreamName) ?? { name: upstreamName, namespace: null };
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function nameKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

function flatName(namespace: string, name: string, taken: ReadonlySet<string>): string {
  const joined = `${namespace}__${name}`;
  const base = joined.replace(NAME_UNSAFE, '_');
  // A name that had to be changed gets the hash too, so that two namespaces cannot meet in one.
  if (base === joined && base.length <= MAX_TOOL_NAME && !taken.has(base)) return base;
  const hash = createHash('sha256').update(nameKey(namespace, name)).digest('hex').slice(0, 8);
  return `${base.slice(0, MAX_TOOL_NAME - hash.length - 1)}_${hash}`;
}
