import { createHash } from 'node:crypto';
import type { AnswerPlan } from './answer';

/**
 * The fake's prompt cache (Anthropic's and Bedrock's): the first request that marks a prefix
 * writes it, later requests with the same prefix read it, so usage is deterministic for a
 * given sequence of requests. A prefix is worth the words the fake counted up to its last
 * breakpoint; the fake has no minimum cacheable length.
 */

/** Tokens written to and read from the cache by one request. */
export interface CacheUse {
  write: number;
  read: number;
}

export const NO_CACHE_USE: CacheUse = Object.freeze({ write: 0, read: 0 });

const MAX_ENTRIES = 10_000;
const written = new Set<string>();

/** `prefix`: what identifies the cached prefix (the request up to its last breakpoint). */
export function useCache(prefix: unknown, words: number): CacheUse {
  const key = createHash('sha256').update(JSON.stringify(prefix)).digest('hex');
  if (written.has(key)) return { write: 0, read: words };
  if (written.size >= MAX_ENTRIES) written.clear();
  written.add(key);
  return { write: words, read: 0 };
}

/**
 * The plan's input split as Anthropic and Bedrock report it: tokens outside the cache, written
 * to it, read from it ([[cached:N]] counts as read), all within the plan's input.
 */
export function cacheUsage(plan: AnswerPlan, use: CacheUse | undefined): { uncached: number; write: number; read: number } {
  const u = plan.usage;
  const room = Math.max(0, u.input - u.cached);
  const write = Math.min(use?.write ?? 0, room);
  const read = Math.min(use?.read ?? 0, room - write);
  return { uncached: room - write - read, write, read: u.cached + read };
}

/**
 * Where `field` occurs in a request body (`input[0].content[1].cache_control`), for fakes whose
 * real API refuses unknown parameters (OpenAI, Gemini) and knows no `cache_control`.
 */
export function fieldPath(value: unknown, field: string, path = ''): string | null {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = fieldPath(value[i], field, `${path}[${i}]`);
      if (found !== null) return found;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const here = path === '' ? k : `${path}.${k}`;
      if (k === field) return here;
      const found = fieldPath(v, field, here);
      if (found !== null) return found;
    }
  }
  return null;
}
