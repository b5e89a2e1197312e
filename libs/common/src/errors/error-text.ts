/**
 * What to log of a caught failure: its stack where it has one, else the value itself. Anything can
 * be thrown (undefined, a string, a plain object), and the path that logs it must not throw in turn.
 */
export function errorText(err: unknown): string {
  return (err instanceof Error && err.stack) || String(err);
}

/** A caught failure's message, for any thrown value (see {@link errorText}). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
