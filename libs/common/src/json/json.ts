/** A JSON object: a parsed body, a wire event, a stored item. */
export type Json = Record<string, unknown>;

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Bytes of JSON's structure, for code that walks JSON text without parsing it. */
export const JSON_BYTE = { QUOTE: 0x22, BACKSLASH: 0x5c, OPEN_BRACE: 0x7b, CLOSE_BRACE: 0x7d, OPEN_BRACKET: 0x5b, CLOSE_BRACKET: 0x5d, COLON: 0x3a } as const;
