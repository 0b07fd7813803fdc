import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** The one security scheme: the admin key in `x-api-key` (admin operations, trusted joins). */
export const API_KEY_SCHEME = 'x-api-key';

/**
 * The document passes `redocly lint` with the recommended rules (redocly.yaml; test/interfaces.test.ts):
 * every operation has a summary, an operationId and its security (admin: the key; public: none),
 * and its 2xx bodies a schema.
 */
function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Waitroom')
    .setDescription(
      'A fair, per-event virtual waiting room in front of checkout. See README.md and the public contract.',
    )
    .setVersion('1.0')
    // Relative: the document describes the instance that serves it, whatever its host and port.
    .addServer('/', 'this service')
    .addApiKey(
      {
        type: 'apiKey',
        name: 'x-api-key',
        in: 'header',
        description: 'ADMIN_API_KEY: admin operations, and joins with priority above 0 (trusted callers)',
      },
      API_KEY_SCHEME,
    )
    .addTag('waitroom', 'joining, polling and leaving a queue; public event endpoints')
    .addTag('admin', 'event configuration and history (x-api-key)')
    .addTag('tokens', 'keys that verify admission tokens')
    .addTag('health', 'liveness and readiness probes')
    .build();
  // The project is private: no license to link (redocly.yaml turns info-license-strict off for it).
  config.info.license = { name: 'UNLICENSED (private)' };
  return SwaggerModule.createDocument(app, config);
}

export const OPENAPI_PATH = 'api/docs';

/** OpenAPI UI at /api/docs, the JSON document at /api/docs-json. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(OPENAPI_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: `${OPENAPI_PATH}-json`,
  });
}
