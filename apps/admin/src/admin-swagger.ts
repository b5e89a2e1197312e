import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Name of the security scheme that the controllers reference with @ApiBearerAuth. */
export const ADMIN_BEARER_AUTH = 'admin-token';

/** Swagger UI at /docs, OpenAPI JSON at /docs-json; both public so that a browser can load them. */
export function setupAdminSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('LLM gateway admin API')
    .setDescription('Virtual keys, fallback policies, cost logs and usage. Every /api route needs `Authorization: Bearer <ADMIN_TOKEN>`.')
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
