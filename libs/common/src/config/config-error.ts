import type { z } from 'zod';

/** Start-up refuses bad configuration with a message naming the variable or field. */
export class ConfigError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`Invalid configuration: ${field} ${problem}`);
    this.name = 'ConfigError';
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A schema issue's path written the way people read config: `root` then `.field`, `[0]`, and
 * `["provider/model"]` for keys that are not plain names; `first` joins the root to a first plain
 * name (`GATEWAY_CONFIG providers.openai.keys[0].weight`).
 */
export function fieldPath(root: string, path: readonly PropertyKey[], first = '.'): string {
  let out = root;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) out += out === '' ? segment : out === root ? `${first}${segment}` : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/**
 * The first issue of a failed parse of `input`: the path of the bad field (an unknown field names
 * itself) and the problem; a field that is absent where one is needed "is required".
 */
export function firstIssue(error: z.ZodError, input: unknown): { path: PropertyKey[]; problem: string } {
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys') return { path: [...issue.path, issue.keys[0]], problem: 'is not a known field' };
  // A record key that fails its own schema: its message is the inner issue's.
  if (issue.code === 'invalid_key') return { path: issue.path, problem: issue.issues[0]?.message ?? issue.message };
  const absent = (issue.code === 'invalid_type' || issue.code === 'invalid_union') && valueAt(input, issue.path) === undefined;
  const problem = absent ? 'is required' : issue.message;
  return { path: issue.path, problem };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let at = input;
  for (const segment of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, segment)) return undefined;
    at = (at as Record<PropertyKey, unknown>)[segment];
  }
  return at;
}

/** Parses `value` or throws a ConfigError naming the first bad field under `root`. */
export function parseConfig<T>(schema: z.ZodType<T, unknown>, value: unknown, root: string, first = '.'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { path, problem } = firstIssue(result.error, value);
  throw new ConfigError(fieldPath(root, path, first), problem);
}
