import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { buildOpenApiDocument, serializeOpenApiDocument } from '@opendsp/api';
import { startApiStack, writeReadings, type ApiStack } from './support/api-stack.js';
import { OpenApiClient, type OpenApiDocument } from './support/openapi-client.js';

const COMMITTED = new URL('../docs/openapi.json', import.meta.url);
const GUIDE = new URL('../docs/api.md', import.meta.url);

/** The curl commands of the walk-through in docs/api.md, in order: method, path with query, whether it sends a body. */
function walkThrough(): { method: string; url: string; body?: Record<string, unknown>; form?: boolean }[] {
  const guide = readFileSync(GUIDE, 'utf8');
  const section = /## Walk-through[\s\S]*?```sh\n([\s\S]*?)```/.exec(guide)![1];
  return section
    .split('\n')
    .filter((line) => /(^|\()curl /.test(line))
    .map((line) => {
      const url = /"\$DSP(\/api\/[^"]+)"/.exec(line)![1];
      const json = /-d '(\{.*\})'/.exec(line)?.[1];
      const form = /-d grant_type=client_credentials/.test(line);
      const method = /-X (\w+)/.exec(line)?.[1] ?? (json || form ? 'POST' : 'GET');
      return { method, url, ...(json ? { body: JSON.parse(json) } : {}), ...(form ? { form: true } : {}) };
    });
}

describe('OpenAPI document', () => {
  let stack: ApiStack;

  beforeAll(async () => {
    stack = await startApiStack();
  });
  afterAll(() => stack?.close());

  it('is committed exactly as the code generates it (run `npm run openapi` after changing the API)', async () => {
    const generated = serializeOpenApiDocument(await buildOpenApiDocument());
    expect(readFileSync(COMMITTED, 'utf8')).toBe(generated);
  });

  it('is what the running platform serves, next to Swagger UI from its own files', async () => {
    const served = await request(stack.server).get('/api/v1/openapi.json').expect(200);
    expect(`${JSON.stringify(served.body, null, 2)}\n`).toBe(readFileSync(COMMITTED, 'utf8'));
    const page = await request(stack.server).get('/api/v1/docs').expect(200);
    expect(page.text).toContain('swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const bundle = await request(stack.server).get('/api/v1/docs/swagger-ui-bundle.js').expect(200);
    expect(bundle.text.length).toBeGreaterThan(100_000);
  });

  it('validates as OpenAPI 3 with @apidevtools/swagger-parser', async () => {
    const document = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    const api = await SwaggerParser.validate(document);
    expect(api.info.title).toBe('OpenDSP REST API');
  });

  it('documents every route under /api/v1, each with an operationId, its scope and its error responses', async () => {
    const document = JSON.parse(readFileSync(COMMITTED, 'utf8')) as OpenApiDocument;
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.map(({ operation }) => operation.operationId).sort()).toEqual([
      'acknowledgeAlert',
      'createParticipants',
      'createToken',
      'downloadExport',
      'getConsentLink',
      'getConsentLinkQr',
      'getGroup',
      'getParticipant',
      'listAdherence',
      'listAlerts',
      'listChanges',
      'listDevices',
      'listGroups',
      'listMeasurements',
      'listParticipants',
      'readObservation',
      'searchObservations',
      'updateEnrollment',
    ]);
    // The router agrees: every Nest route under /api/v1 is in the document.
    const router = stack.app.getHttpAdapter().getInstance().router as {
      stack: { route?: { path: string; methods: Record<string, boolean> } }[];
    };
    const routes = router.stack
      .filter(
        (layer) =>
          layer.route &&
          layer.route.path.startsWith('/api/v1/') &&
          !layer.route.path.startsWith('/api/v1/docs') &&
          !/openapi\./.test(layer.route.path),
      )
      .map((layer) => `${Object.keys(layer.route!.methods)[0].toUpperCase()} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(routes.sort()).toEqual(operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort());
    for (const { operation } of operations.filter(({ operation }) => operation.operationId !== 'createToken')) {
      expect([operation.operationId, operation.security?.[0]?.clientCredentials?.length]).toEqual([operation.operationId, 1]);
      expect([operation.operationId, Object.keys(operation.responses).sort()]).toEqual([
        operation.operationId,
        expect.arrayContaining(['400', '401', '403', '429']),
      ]);
    }
  });

  it('drives the walk-through of docs/api.md through a client built from the committed document', async () => {
    const group = await stack.group('Walk-through', ['https://walk.example/welcome']);
    const participant = await stack.participant([group]);
    await writeReadings(stack.orm.em, [
      { kind: 'blood_pressure', participantId: participant.id, upstreamId: 1, measuredAt: new Date('2026-11-05T22:10:00Z') },
      { kind: 'weight', participantId: participant.id, upstreamId: 2, measuredAt: new Date('2026-11-05T22:12:00Z') },
    ]);
    await stack.sql(
      `insert into participant_device (participant_id, device_type, first_seen_at, last_seen_at) values ($1, 'HEM-7600T', now(), now())`,
      [participant.id],
    );
    const { clientId, secret } = await stack.client(['participants:read', 'measurements:read', 'participants:write'], [group]);

    // Listening for real: the client speaks HTTP with fetch, as a partner system would (closed with the app).
    const listening = stack.app.getHttpServer();
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const { port } = listening.address() as AddressInfo;
    const client = new OpenApiClient(JSON.parse(readFileSync(COMMITTED, 'utf8')), `http://127.0.0.1:${port}`);
    const variables: Record<string, string> = { CLIENT_ID: clientId, CLIENT_SECRET: secret };
    const steps = walkThrough();
    expect(steps.length).toBeGreaterThanOrEqual(8);

    const answers: { operationId: string; body: Record<string, unknown> }[] = [];
    for (const step of steps) {
      const url = step.url.replace(/\$(\w+)/g, (_match, name: string) => {
        if (!(name in variables)) throw new Error(`the walk-through uses $${name} before a step provides it`);
        return encodeURIComponent(variables[name]);
      });
      const { operationId, params } = client.resolve(step.method, url);
      const result = step.form
        ? await client.call(operationId, params, { body: { grant_type: 'client_credentials' }, basic: [clientId, secret] })
        : await client.call(operationId, params, step.body ? { body: step.body } : {});
      expect([operationId, result.status]).toEqual([operationId, 200]);
      const body = result.body as Record<string, unknown>;
      answers.push({ operationId, body });
      // What the walk-through's comments tell a reader to take from each answer.
      if (operationId === 'createToken') client.bearerToken = body.access_token as string;
      if (operationId === 'listGroups') variables.GROUP_ID = (body.data as { groupId: string }[])[0].groupId;
      if (operationId === 'listParticipants') variables.OGSC_ID = (body.data as { ogscId: string }[])[0].ogscId;
      if (operationId === 'listChanges') variables.NEXT_SINCE = String(body.nextSince);
    }

    const by = (operationId: string) => answers.filter((answer) => answer.operationId === operationId).map((answer) => answer.body);
    expect(by('listGroups')[0].data).toEqual([expect.objectContaining({ groupId: group.groupId })]);
    expect(variables.OGSC_ID).toBe(participant.ogscId);
    expect(by('updateEnrollment')[0]).toMatchObject({ groupId: group.groupId, internalCustomerId: 'C-1001' });
    expect(by('getParticipant')[0]).toMatchObject({
      ogscId: participant.ogscId,
      enrollments: [expect.objectContaining({ status: 'consented' })],
    });
    expect(by('listDevices')[0].data).toEqual([expect.objectContaining({ deviceType: 'HEM-7600T' })]);
    expect(by('listMeasurements')[0].data).toEqual([
      expect.objectContaining({ kind: 'blood_pressure', measuredAtLocal: '2026-11-06T07:10:00+09:00' }),
    ]);
    const [first, second] = by('listChanges');
    expect((first.data as { kind: string }[]).map((reading) => reading.kind)).toEqual(['blood_pressure', 'weight']);
    expect(second).toEqual({ data: [], nextSince: first.nextSince, hasMore: false });

    // Failures are documented too: each answer below is checked against its status's problem schema.
    const failures = [
      await client.call('listChanges', { since: 'yesterday' }),
      await client.call('getParticipant', { ogscId: 'OG-000000000000000000000000' }),
      await client.call('createToken', {}, { body: { grant_type: 'password' }, basic: [clientId, secret] }),
      await client.call('createParticipants', { groupId: group.groupId }, { body: { participants: [{ internalCustomerId: 'C-1001' }] } }),
    ];
    expect(failures.map((failure) => [failure.status, (failure.body as { code: string }).code])).toEqual([
      [400, 'validation_failed'],
      [404, 'participant_not_found'],
      [400, 'unsupported_grant_type'],
      [409, 'internal_customer_id_taken'],
    ]);
    client.bearerToken = 'dspt_expired';
    expect((await client.call('listGroups')).status).toBe(401);
  });
});
