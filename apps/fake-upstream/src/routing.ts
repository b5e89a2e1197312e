import type { IncomingHttpHeaders } from 'node:http';
import type { AnswerPlan, Conversation, StreamOptions } from './answer';
import { FakeHttpError } from './openai-errors';

/**
 * Which endpoint a request hits, and whether it is authenticated. OpenAI paths and the
 * Azure OpenAI paths share behaviour; Azure's dated paths require `api-version` as the
 * real service does (a gateway that drops it should fail here, not in production).
 */
export type Route =
  | { kind: 'responses'; deployment?: undefined }
  | { kind: 'chat'; deployment?: string }
  | { kind: 'models'; deployment?: undefined };

const RESPONSES: Route = { kind: 'responses' };
const CHAT: Route = { kind: 'chat' };
const MODELS: Route = { kind: 'models' };
const AZURE_DEPLOYMENT_CHAT = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;
const API_VERSION = /(?:^|&)api-version=[^&]/;

export function matchRoute(method: string | undefined, pathname: string, query: string): Route {
  if (method === 'POST') {
    switch (pathname) {
      case '/v1/responses':
      case '/openai/v1/responses':
        return RESPONSES;
      case '/v1/chat/completions':
      case '/openai/v1/chat/completions':
        return CHAT;
      case '/openai/responses':
        requireApiVersion(query);
        return RESPONSES;
    }
    const deployment = AZURE_DEPLOYMENT_CHAT.exec(pathname);
    if (deployment) {
      requireApiVersion(query);
      return { kind: 'chat', deployment: decodeURIComponent(deployment[1]) };
    }
  } else if (method === 'GET' && (pathname === '/v1/models' || pathname === '/openai/v1/models')) {
    return MODELS;
  }
  throw new FakeHttpError(404, `Invalid URL (${method ?? ''} ${pathname})`);
}

function requireApiVersion(query: string): void {
  if (!API_VERSION.test(query)) {
    throw new FakeHttpError(404, 'Resource not found (the api-version query parameter is required).', 'not_found');
  }
}

/**
 * A provider's own wire format (Gemini, Bedrock, Cohere): its paths, auth, request reading,
 * answer rendering and error body shape. Formats live in `<provider>-format.ts`.
 */
export interface NativeFormat {
  name: string;
  /** The model and whether to stream, when the path is this format's; null otherwise. */
  match(pathname: string, query: string): { model: string; stream: boolean | null } | null;
  /** Throws a FakeHttpError (rendered with errorBody) when the credentials are missing or wrong. */
  authenticate(headers: IncomingHttpHeaders, raw: Buffer, query: string, path: string, method?: string): void;
  /** `stream` from the path, or the body's own flag when the path does not say (null). */
  read(body: Record<string, unknown>, model: string): NativeRequest;
  json(req: NativeRequest, plan: AnswerPlan): string;
  frames(req: NativeRequest, plan: AnswerPlan, opts: StreamOptions): (string | Buffer)[];
  streamContentType: string;
  errorBody(status: number, message: string, code: string | null): { body: unknown; headers?: Record<string, string> };
}

export interface NativeRequest {
  conversation: Conversation;
  /** Set when the body, not the path, says whether to stream (Cohere). */
  stream?: boolean;
  /** Format-specific request facts the renderers need. */
  extra?: unknown;
}

/** The rejected key of the auth tests. */
export const BAD_API_KEY = 'bad-key';

/** OpenAI uses `Authorization: Bearer`, Azure `api-key`; either is accepted on every path. */
export function authenticate(headers: IncomingHttpHeaders): void {
  const key = bearerToken(headers.authorization) ?? nonEmpty(headers['api-key']);
  if (key === undefined) {
    throw new FakeHttpError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      'invalid_api_key',
    );
  }
  if (key === BAD_API_KEY) {
    throw new FakeHttpError(401, `Incorrect API key provided: ${BAD_API_KEY}.`, 'invalid_api_key');
  }
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || !/^bearer\s/i.test(header)) return undefined;
  return nonEmpty(header.slice(7).trim());
}

function nonEmpty(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
