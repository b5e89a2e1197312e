import { testEnv } from './test-env.config';

/**
 * `describe` when what the suite needs is there. Otherwise the suite is skipped with the reason
 * in its name, so a local run says what it did not test; under CI=true, where everything is
 * installed, a missing prerequisite fails the suite instead of passing by skipping.
 */
export function describeWhen(condition: unknown, reason: string): (name: string, body: () => void) => void {
  if (condition) return (name, body) => describe(name, body);
  if (testEnv.ci) {
    return (name) =>
      describe(name, () => {
        it('has what it needs to run (CI=true)', () => {
          throw new Error(`skipped in CI: ${reason}`);
        });
      });
  }
  return (name, body) => describe.skip(`${name} [skipped: ${reason}]`, body);
}

export const NEEDS_BUILD = 'the built gateway (dist/) is missing: run `npm run build` first';
export const NEEDS_REDIS = 'REDIS_URL is not set';
export const NEEDS_DATABASE_URL = 'DATABASE_URL is not set (this suite needs a shared Postgres server)';
