// The public surface of @app/providers; inside this lib import by relative path.
export * from './types';
export * from './provider-registry';
export * from './http/cancellation';
export * from './http/http-executor';
export * from './http/upstream-failure';
export * from './sse/sse-parser';
export * from './responses/response-builder';
export * from './responses/json-text';
export * from './dialects/dialects';
export * from './models/model-list';
export * from './provider-definition';
export { BEDROCK_DEFAULT_BASE_URL } from './bedrock/bedrock-endpoint';
