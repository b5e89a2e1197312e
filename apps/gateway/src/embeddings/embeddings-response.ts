/** A vector as OpenAI's base64 encoding: its float32 values, little-endian, in base64. */
export function base64Vector(vector: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i], i * 4);
  return bytes.toString('base64');
}

/**
 * OpenAI's embeddings list: one `embedding` per input in order (floats, or base64 when asked),
 * the model that served it, usage with the gateway's cost, and `extra_fields`.
 */
export function embeddingsList(
  vectors: readonly number[][], base64: boolean, model: string, inputTokens: number, cost: unknown, extra: Record<string, unknown>,
): Record<string, unknown> {
  const usage: Record<string, unknown> = { prompt_tokens: inputTokens, total_tokens: inputTokens };
  if (cost !== null) usage.cost = cost;
  return {
    object: 'list',
    data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? base64Vector(v) : v })),
    model,
    usage,
    extra_fields: extra,
  };
}
