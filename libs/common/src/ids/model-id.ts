/**
 * `provider/model` split at the first slash; the model may hold more (`openrouter/google/gemini-2.5-pro`).
 * null when either side would be empty.
 */
export function splitModelId(id: string): { provider: string; model: string } | null {
  const slash = id.indexOf('/');
  if (slash <= 0 || slash === id.length - 1) return null;
  return { provider: id.slice(0, slash), model: id.slice(slash + 1) };
}
