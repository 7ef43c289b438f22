import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildOpenApiDocument, serializeOpenApiDocument } from '@opendsp/api';

/**
 * Writes the REST API's OpenAPI document, generated from the controllers, to docs/openapi.json (or the
 * path given): `npm run openapi`. Needs no database or configuration. A test fails when the committed
 * file and the code disagree, so run this after changing the API and commit the result.
 */
const target = resolve(process.argv[2] ?? 'docs/openapi.json');
writeFileSync(target, serializeOpenApiDocument(await buildOpenApiDocument()));
console.log(`OpenAPI document written to ${target}`);
