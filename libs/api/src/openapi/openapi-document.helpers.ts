import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { API_CONTROLLER_SERVICES, API_CONTROLLERS, ApiModule } from '../api.module.js';
import { webhooksOpenApi } from '@opendsp/webhooks';
import { API_SCOPES } from '../api-scopes.catalogue.js';

export const API_DOCS_PATH = 'api/v1/docs';
export const API_DOCUMENT_PATH = 'api/v1/openapi.json';

const DESCRIPTION = `The REST API of an OpenDSP environment: groups, participants keyed by OGSC ID, their readings, and a change feed.

- **Authentication**: OAuth 2.0 client-credentials grant at \`POST /api/v1/oauth/token\` with the client ID and secret a partner admin created in the portal; send the token as \`Authorization: Bearer …\`. Tokens are short-lived.
- **Errors**: RFC 9457 problem details (\`application/problem+json\`) with a stable \`code\`; validation errors list each field at fault in \`errors\`.
- **Times**: ISO 8601 in UTC (\`…Z\`); readings also carry the participant's local time with its offset (\`measuredAtLocal\`, \`utcOffsetSeconds\`). **Units** are in the field names (\`systolicMmhg\`, \`weightKg\`, \`temperatureC\`).
- **Rate limit**: per client; every answer carries \`RateLimit\` and \`RateLimit-Policy\`, a 429 also \`Retry-After\`.
- **Lists** page with an opaque \`cursor\`; the change feed pages with \`since\` / \`nextSince\`.`;

/** The document's fixed parts; the paths and schemas come from the controllers' decorators. */
export function openApiConfig(): Omit<OpenAPIObject, 'paths'> {
  return new DocumentBuilder()
    .setTitle('OpenDSP REST API')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .addOAuth2(
      {
        type: 'oauth2',
        description: 'Client credentials issued in the portal (API clients).',
        flows: { clientCredentials: { tokenUrl: '/api/v1/oauth/token', scopes: { ...API_SCOPES } } },
      },
      'clientCredentials',
    )
    .build();
}

/** The OpenAPI document of an app that includes ApiModule. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  return withWebhooks(SwaggerModule.createDocument(app, openApiConfig(), { include: [ApiModule] }));
}

/** OpenAPI 3.1, for the signed webhooks' events under `webhooks` (libs/webhooks describes them). */
function withWebhooks(document: OpenAPIObject): OpenAPIObject {
  return { ...document, openapi: '3.1.0', webhooks: webhooksOpenApi() } as OpenAPIObject;
}

/**
 * The API's controllers with stand-ins for what they inject: preview mode resolves the dependency graph
 * but never calls a provider, so no database or configuration is needed.
 */
@Module({
  controllers: API_CONTROLLERS,
  providers: API_CONTROLLER_SERVICES.map((provide) => ({
    provide,
    useValue: {},
  })),
})
class ApiDocumentModule {}

/**
 * The OpenAPI document without a database or configuration: Nest's preview mode reads the controllers'
 * metadata without creating any provider. `npm run openapi` writes it to docs/openapi.json, and a test
 * compares that file with this.
 */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create(ApiDocumentModule, { preview: true, logger: false, abortOnError: false });
  try {
    return withWebhooks(SwaggerModule.createDocument(app, openApiConfig(), { include: [ApiDocumentModule] }));
  } finally {
    await app.close();
  }
}

/** The document as committed: stable key order, two-space indentation, a final newline. */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Serves the document at /api/v1/openapi.json and Swagger UI at /api/v1/docs, from the swagger-ui-dist
 * files installed with @nestjs/swagger (no CDN). Swagger UI's page carries a few inline styles, so its
 * pages get a content security policy that allows exactly that; scripts stay same-origin only.
 */
export function setupApiDocs(app: NestExpressApplication): void {
  const document = createOpenApiDocument(app);
  app.use(`/${API_DOCS_PATH}`, (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    );
    next();
  });
  SwaggerModule.setup(API_DOCS_PATH, app, document, {
    jsonDocumentUrl: API_DOCUMENT_PATH,
    yamlDocumentUrl: 'api/v1/openapi.yaml',
    customSiteTitle: 'OpenDSP REST API',
    swaggerOptions: { persistAuthorization: false, tryItOutEnabled: false, displayOperationId: true },
  });
}
