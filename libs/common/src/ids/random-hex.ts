import { randomFillSync } from 'node:crypto';

/** Random bytes drawn 4 KB at a time: one randomFillSync per few hundred ids instead of one per id. */
const POOL = Buffer.allocUnsafe(4096);
let offset = POOL.length;

/** `bytes` random bytes (at most 256) as lowercase hex, from a pool refilled by the CSPRNG. */
export function randomHex(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 256) throw new RangeError(`randomHex takes 1 to 256 bytes, not ${bytes}`);
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const hex = POOL.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
