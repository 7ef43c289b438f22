import { Ajv, type ValidateFunction } from 'ajv';

/**
 * A client built at run time from an OpenAPI 3 document, the way generated clients work: operations are
 * found by `operationId` (or by matching a concrete path against the document's templates), parameters
 * must be ones the document declares, the request body takes the media type the operation declares, the
 * security scheme decides the Authorization header, and every answer is checked against the document's
 * schema for its status and media type. Nothing about the API is written here by hand.
 */

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
}

interface Operation {
  operationId: string;
  method: string;
  path: string;
  parameters: Parameter[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  security?: Record<string, string[]>[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string }> };
}

export interface CallResult {
  operationId: string;
  status: number;
  headers: Headers;
  body: unknown;
}

/** Ajv understands OpenAPI 3.0's `nullable` and `discriminator`, but not a discriminator's `mapping`. */
function withoutMappings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMappings);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) =>
      key === 'discriminator' && inner && typeof inner === 'object'
        ? [key, { propertyName: (inner as { propertyName: string }).propertyName }]
        : [key, withoutMappings(inner)],
    ),
  );
}

export class OpenApiClient {
  private readonly operations: Operation[];
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  bearerToken: string | undefined;

  constructor(
    private readonly document: OpenApiDocument,
    private readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {
    this.operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ ...operation, method: method.toUpperCase(), path })),
    );
    this.ajv = new Ajv({ strict: false, allErrors: true, discriminator: true });
    this.ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    this.ajv.addFormat('int64', true);
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ $id: 'openapi.json', components: withoutMappings(document.components) });
  }

  /** The operation a concrete method and path (with query) belong to, and the parameters they carry. */
  resolve(method: string, url: string): { operationId: string; params: Record<string, string> } {
    const [pathname, search = ''] = url.split('?');
    for (const operation of this.operations) {
      if (operation.method !== method.toUpperCase()) continue;
      const names: string[] = [];
      const pattern = new RegExp(
        `^${operation.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_match, name: string) => (names.push(name), '([^/]+)'))}$`,
      );
      const match = pattern.exec(pathname);
      if (!match) continue;
      const params: Record<string, string> = Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1])]));
      for (const [name, value] of new URLSearchParams(search)) params[name] = value;
      return { operationId: operation.operationId, params };
    }
    throw new Error(`${method} ${url} is not an operation of the OpenAPI document`);
  }

  async call(
    operationId: string,
    params: Record<string, string | number> = {},
    options: { body?: Record<string, unknown>; basic?: [string, string] } = {},
  ): Promise<CallResult> {
    const operation = this.operations.find((candidate) => candidate.operationId === operationId);
    if (!operation) throw new Error(`no operation ${operationId} in the document`);
    const declared = new Map(operation.parameters.map((parameter) => [parameter.name, parameter]));
    for (const name of Object.keys(params)) if (!declared.has(name)) throw new Error(`${operationId} declares no parameter ${name}`);
    for (const parameter of operation.parameters) {
      if (parameter.required && params[parameter.name] === undefined) throw new Error(`${operationId} needs ${parameter.name}`);
    }
    let path = operation.path;
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (declared.get(name)!.in === 'path') path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
      else query.set(name, String(value));
    }
    const headers: Record<string, string> = { ...this.headers };
    if (options.basic) headers.Authorization = `Basic ${Buffer.from(options.basic.map(encodeURIComponent).join(':')).toString('base64')}`;
    const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
    if (schemes.some((scheme) => this.document.components.securitySchemes[scheme]?.type === 'oauth2')) {
      if (!this.bearerToken) throw new Error(`${operationId} needs a bearer token`);
      headers.Authorization = `Bearer ${this.bearerToken}`;
    }
    let body: string | undefined;
    if (options.body) {
      const mediaTypes = Object.keys(operation.requestBody?.content ?? {});
      if (mediaTypes.includes('application/json')) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(options.body);
      } else if (mediaTypes.includes('application/x-www-form-urlencoded')) {
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(options.body as Record<string, string>).toString();
      } else {
        throw new Error(`${operationId} takes no body`);
      }
    }
    const response = await fetch(`${this.baseUrl}${path}${query.size ? `?${query}` : ''}`, { method: operation.method, headers, body });
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0];
    const payload = /json/.test(mediaType) ? await response.json() : await response.text();
    const documented = operation.responses[String(response.status)];
    if (!documented) throw new Error(`${operationId} answered ${response.status}, which the document does not list`);
    const schema = documented.content?.[mediaType]?.schema;
    if (documented.content && !schema)
      throw new Error(`${operationId} answered ${response.status} as ${mediaType}, which the document does not list`);
    if (schema) this.check(`${operationId} ${response.status} ${mediaType}`, schema, payload);
    return { operationId, status: response.status, headers: response.headers, body: payload };
  }

  /** Checks a webhook's body against the document's `webhooks` entry for its type; throws on a mismatch. */
  checkWebhook(type: string, body: unknown): void {
    const { webhooks } = this.document as {
      webhooks?: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }>;
    };
    const schema = webhooks?.[type]?.post.requestBody.content['application/json']?.schema;
    if (!schema) throw new Error(`the document describes no webhook ${type}`);
    this.check(`webhook ${type}`, schema, body);
  }

  private check(key: string, schema: unknown, payload: unknown): void {
    let validate = this.validators.get(key);
    if (!validate) {
      // Refs point into the document (#/components/…): resolve them against it.
      const rebased = JSON.parse(JSON.stringify(withoutMappings(schema)).replaceAll('"#/components/', '"openapi.json#/components/'));
      validate = this.ajv.compile(rebased);
      this.validators.set(key, validate);
    }
    if (!validate(payload))
      throw new Error(
        `${key}: the answer does not match the document: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(payload).slice(0, 500)}`,
      );
  }
}
