import type { IncomingHttpHeaders } from 'node:http';
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
