/** Bedrock's public endpoint; `{region}` is filled per upstream key, whose region it is. */
export const BEDROCK_DEFAULT_BASE_URL = 'https://bedrock-runtime.{region}.amazonaws.com';
