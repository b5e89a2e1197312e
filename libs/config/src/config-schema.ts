import { z } from 'zod';

// Schema pieces of the configuration, with the messages start-up prints after the field's name.

export type Env = Readonly<Record<string, string | undefined>>;

/** Maps that requests index by name (`providers[name]`, `aliases[model]`) have no prototype: `constructor` is not a key. */
export function dictionary<T>(entries: Iterable<[string, T]> = []): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

export const nonEmpty = z
  .string({ error: 'must be a non-empty string' })
  .refine((s) => s.trim() !== '', { error: 'must be a non-empty string' });

/** A whole number in [min, max]; a numeric string (an environment variable) counts as its number. */
export function intIn(min: number, max = Number.MAX_SAFE_INTEGER) {
  const error = (iss: { input?: unknown }) => `must be an integer between ${min} and ${max} (got ${JSON.stringify(iss.input)})`;
  return z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z.number({ error }).int({ error }).min(min, { error }).max(max, { error }),
  );
}

/** `"env.NAME"` in a key value reads the secret from the environment, so files need hold none. */
export function secret(env: Env) {
  return nonEmpty.transform((s, ctx) => {
    if (!s.startsWith('env.')) return s;
    const fromEnv = env[s.slice(4)];
    if (!fromEnv) {
      ctx.addIssue({ code: 'custom', message: `refers to ${s.slice(4)}, which is not set` });
      return z.NEVER;
    }
    return fromEnv;
  });
}

/** A token that guards something must not be guessable: at least this long. */
export const MIN_TOKEN_LENGTH = 16;

export const token = z
  .string()
  .min(MIN_TOKEN_LENGTH, { error: (iss) => `must be at least ${MIN_TOKEN_LENGTH} characters long (got ${String(iss.input).length})` })
  .regex(/^\S+$/, { error: 'must not contain whitespace' });
