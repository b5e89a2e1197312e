import { randomBytes } from 'node:crypto';

// A random per-process prefix plus a counter: unique across restarts and concurrent
// instances, without a crypto call per id on the hot path.
const PROCESS_PREFIX = randomBytes(8).toString('hex');
let counter = 0;

/** e.g. newId('resp_') -> "resp_3f9a0c1d2e4b5a6c0000002a" (OpenAI ids are prefix + hex). */
export function newId(prefix: string): string {
  counter = (counter + 1) % 0x1_0000_0000;
  return prefix + PROCESS_PREFIX + counter.toString(16).padStart(8, '0');
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
