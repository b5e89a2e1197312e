/**
 * OpenAI's error body `{"error": {message, type, param, code}}`, with the type/code pairs
 * OpenAI really uses per status, so gateways map them exactly as they would in production.
 */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Thrown inside request handling; the server turns it into an OpenAI-shaped error response. */
export class FakeHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: errorType(this.status), param: this.param, code: this.code } };
  }
}

/** The body sent for an injected failure (`[[fail:STATUS]]`, `failNext`). */
export function injectedErrorBody(status: number, model: string): OpenAIErrorBody {
  const { message, code } = injectedErrorText(status, model);
  return { error: { message, type: errorType(status), param: null, code } };
}

function errorType(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function injectedErrorText(status: number, model: string): { message: string; code: string | null } {
  switch (status) {
    case 400:
      return { message: 'Injected bad request (fake upstream).', code: null };
    case 401:
      return { message: 'Incorrect API key provided (fake upstream).', code: 'invalid_api_key' };
    case 403:
      return { message: 'You are not allowed to use this model (fake upstream).', code: 'permission_denied' };
    case 404:
      return { message: `The model \`${model}\` does not exist or you do not have access to it.`, code: 'model_not_found' };
    case 429:
      return { message: `Rate limit reached for ${model} (fake upstream). Please try again in 1s.`, code: 'rate_limit_exceeded' };
    case 503:
      return { message: 'The engine is currently overloaded, please try again later.', code: null };
    default:
      return status >= 500
        ? { message: 'The server had an error while processing your request. Sorry about that!', code: null }
        : { message: `Injected error ${status} (fake upstream).`, code: null };
  }
}
