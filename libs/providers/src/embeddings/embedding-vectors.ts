/** Vectors as a provider sent them, checked to be arrays of finite numbers. */
export function floatVectors(value: unknown): number[][] {
  if (!Array.isArray(value)) throw new Error('expected an array of embeddings');
  for (const v of value) {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw new Error('an embedding is not an array of numbers');
  }
  return value as number[][];
}

/** The strings of an input known to hold no token arrays (the gateway refused those before). */
export function texts(input: string[] | number[][]): string[] {
  return input.map((v) => (typeof v === 'string' ? v : ''));
}
