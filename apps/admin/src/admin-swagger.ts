import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { describeRequestLimits, type RequestLimits } from '@app/common';

/** Name of the security scheme that the controllers reference with @ApiBearerAuth. */
export const ADMIN_BEARER_AUTH = 'admin-token';

/**
 * Swagger UI loads its scripts and styles from /docs itself; its stylesheet is partly inline and
 * its icons are data: URIs. Nothing else may run or frame it.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every admin answer carries; /docs gets its own Content-Security-Policy (the dashboard sets its own). */
function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  if (req.path === '/docs' || req.path.startsWith('/docs/') || req.path.startsWith('/docs-json')) {
    res.setHeader('content-security-policy', DOCS_CONTENT_SECURITY_POLICY);
    res.setHeader('cross-origin-opener-policy', 'same-origin');
  }
  next();
}

/** The gateway's input limits as a Markdown table for the API description (one source: libs/common/src/limits). */
function limitsMarkdown(limits: RequestLimits): string {
  const rows = describeRequestLimits(limits).map((r) => `| ${r.input} | ${r.limit} | ${r.error} |`);
  return ['', '### Gateway input limits (`POST /v1/responses`, `/v1/chat/completions`, `/v1/embeddings`)', '', '| input | limit | error |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The gateway's Anthropic Messages front door, for the API description (details: README). */
function messagesMarkdown(): string {
  return [
    '',
    '### Gateway: Anthropic Messages API (`POST /v1/messages`, `POST /v1/messages/count_tokens`)',
    '',
    "Anthropic's Messages API for every provider (`provider/model`; a bare `claude-*` name is `anthropic/claude-*`), so the Anthropic SDKs and " +
      'Claude Code work through the gateway. The virtual key comes as `x-api-key`, `Authorization: Bearer` or `x-bf-vk`; `anthropic-version` ' +
      'and `anthropic-beta` are accepted. Answers are Anthropic `message` objects (streams: its exact event sequence) with `usage.cost`, ' +
      '`extra_fields` and the `x-bf-*` headers; errors are `{"type": "error", "error": {"type", "message"}}`; answers and errors carry a `request-id` header (the SDKs\' `_request_id`). ' +
      'Bounds as above, plus `max_tokens` (required) from 1 to 10000000 and `metadata.user_id` up to 256 characters. ' +
      '`cache_control` (at most 4) reaches Anthropic on the same blocks and Claude on Bedrock as `cachePoint` blocks, and no other provider; ' +
      'cache writes and reads are reported and priced. `stop_sequences` reach every provider that takes them (a stop there is ' +
      '`stop_reason: "stop_sequence"`); OpenAI\'s Responses API has none: 400 naming them. Chat Completions `stop` is carried the same way. ' +
      '`mcp_servers` and server tools other than web search are refused with 400; `top_k`, ' +
      '`output_config` and `context_management` are accepted and not forwarded. `count_tokens` estimates `input_tokens` ' +
      '(four UTF-8 bytes of text per token, 1600 per image) without calling the provider.',
  ].join('\n');
}

/** Swagger UI at /docs, OpenAPI JSON at /docs-json; both public so that a browser can load them. */
export function setupAdminSwagger(app: INestApplication, limits: RequestLimits): void {
  app.use(securityHeaders);
  const config = new DocumentBuilder()
    .setTitle('LLM gateway admin API')
    .setDescription(
      'Virtual keys, fallback policies, cost logs and usage. Every /api route needs `Authorization: Bearer <ADMIN_TOKEN>`. ' +
        'Bodies nested deeper than the JSON depth limit below, or holding U+0000 in a string, are refused with 400.' +
        limitsMarkdown(limits) +
        messagesMarkdown(),
    )
    .setVersion('1')
    // Not a JWT (the library's default hint): an opaque random string.
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: 'The ADMIN_TOKEN printed at start-up.' }, ADMIN_BEARER_AUTH)
    .build();
  // A factory: the document is built on the first request, not on every boot of a test app.
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'docs-json',
    raw: ['json'],
  });
}
