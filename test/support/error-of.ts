import { GatewayError } from '@app/common';

/** The GatewayError a service call rejects with (anything else, or resolving, fails the test). */
export async function errorOf(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(err)}`);
  return err;
}

/** The GatewayError a synchronous call throws (anything else, or returning, fails the test). */
export function thrownError(call: () => unknown): GatewayError {
  try {
    call();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError, the call returned');
}
