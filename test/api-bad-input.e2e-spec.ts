import fc from 'fast-check';
import request from 'supertest';
import type { ProgramGroup } from '@opendsp/groups';
import type { Participant } from '@opendsp/participants';
import { startApiStack, problemOf, type ApiStack } from './support/api-stack.js';

/** Query strings that are wrong in every way a client can get them wrong. */
const nasty = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '-1',
    '0',
    '1e3',
    '9'.repeat(40),
    'NaN',
    'null',
    '[]',
    '{}',
    '%00',
    "' or 1=1 --",
    '2026-13-45T99:00:00Z',
    '2026-11-23',
    '2026-11-23T10:00:00',
  ),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
);

describe('REST API bad input', () => {
  let stack: ApiStack;
  let token: string;
  let group: ProgramGroup;
  let participant: Participant;

  beforeAll(async () => {
    stack = await startApiStack({ API_RATE_LIMIT_PER_MINUTE: '100000' });
    group = await stack.group('Bad input', ['https://bad.example/welcome']);
    participant = await stack.participant([group]);
    const { clientId, secret } = await stack.client(['participants:read', 'measurements:read', 'participants:write'], 'all');
    token = await stack.token(clientId, secret);
  });
  afterAll(() => stack?.close());

  const counts = async () =>
    stack.sql(`select (select count(*) from participant) as participants, (select count(*) from enrollment) as enrollments,
      (select count(*) from audit_event) as audit, (select string_agg(coalesce(internal_customer_id, '-'), ',' order by id) from enrollment) as ids`);

  it('answers bad query parameters with 400 problem details naming the field, never a 500 (fuzzed)', async () => {
    const operations: { path: () => string; params: string[] }[] = [
      { path: () => '/api/v1/groups', params: ['cursor', 'limit'] },
      { path: () => '/api/v1/participants', params: ['groupId', 'status', 'updatedSince', 'cursor', 'limit'] },
      { path: () => `/api/v1/participants/${participant.ogscId}/measurements/blood_pressure`, params: ['from', 'to', 'cursor', 'limit'] },
      { path: () => '/api/v1/changes', params: ['since', 'limit', 'kinds', 'groupId'] },
      { path: () => `/api/v1/groups/${group.groupId}/consent-link`, params: ['redirectUrl'] },
      { path: () => `/api/v1/groups/${group.groupId}/consent-link/qr`, params: ['redirectUrl', 'format'] },
    ];
    const before = await counts();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operations),
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(
              'cursor',
              'limit',
              'since',
              'from',
              'to',
              'kinds',
              'groupId',
              'status',
              'updatedSince',
              'format',
              'redirectUrl',
            ),
            fc.string({ minLength: 1, maxLength: 8 }),
          ),
          fc.oneof(nasty, fc.array(nasty, { minLength: 2, maxLength: 3 })),
          { minKeys: 1, maxKeys: 4 },
        ),
        async (operation, query) => {
          const res = await request(stack.server).get(operation.path()).query(query).auth(token, { type: 'bearer' });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect([query, res.status < 500]).toEqual([query, true]);
          if (res.status >= 400) {
            const problem = problemOf(res);
            expect(problem).toMatchObject({
              type: expect.stringMatching(/^urn:opendsp:problem:/),
              status: res.status,
              code: expect.any(String),
              title: expect.any(String),
            });
            if (res.status === 400) {
              expect(problem.code).toBe('validation_failed');
              const fields = (problem.errors as { field: string }[]).map((error) => error.field);
              expect(fields.length).toBeGreaterThan(0);
              // Each named field is one the client sent.
              expect(fields.filter((field) => !(field in query))).toEqual([]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(statuses.get(400)).toBeGreaterThan(100);
    expect(await counts()).toEqual(before);
  });

  it('names each field in validation errors', async () => {
    const cases: [string, Record<string, string>, string, string][] = [
      ['/api/v1/changes', { since: '-1' }, 'since', 'matches'],
      ['/api/v1/changes', { limit: '0' }, 'limit', 'min'],
      ['/api/v1/changes', { limit: '5001' }, 'limit', 'max'],
      ['/api/v1/changes', { kinds: 'blood_pressure,pizza' }, 'kinds', 'isIn'],
      ['/api/v1/changes', { sinse: '3' }, 'sinse', 'unknown_field'],
      ['/api/v1/participants', { status: 'happy' }, 'status', 'isIn'],
      ['/api/v1/participants', { updatedSince: '2026-11-23' }, 'updatedSince', 'isDateTime'],
      ['/api/v1/participants', { groupId: 'g1' }, 'groupId', 'matches'],
      [`/api/v1/participants/${'OG-000000000000000000000000'}/measurements/pizza`, {}, 'kind', 'isIn'],
      [`/api/v1/groups/${'G'.repeat(12)}/consent-link/qr`, { format: 'gif' }, 'format', 'isIn'],
    ];
    for (const [path, query, field, code] of cases) {
      const res = await request(stack.server).get(path).query(query).auth(token, { type: 'bearer' });
      expect([path, query, res.status]).toEqual([path, query, 400]);
      expect(problemOf(res).errors).toEqual([expect.objectContaining({ field, code, message: expect.stringContaining(field) })]);
    }
    const range = await request(stack.server)
      .get(`/api/v1/participants/${participant.ogscId}/measurements/weight`)
      .query({ from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' })
      .auth(token, { type: 'bearer' })
      .expect(400);
    expect(problemOf(range).errors).toEqual([expect.objectContaining({ field: 'to', code: 'before_from' })]);
    const redirect = await request(stack.server)
      .get(`/api/v1/groups/${group.groupId}/consent-link`)
      .query({ redirectUrl: 'https://evil.example/' })
      .auth(token, { type: 'bearer' })
      .expect(400);
    expect(problemOf(redirect).errors).toEqual([expect.objectContaining({ field: 'redirectUrl', code: 'redirect_url_not_registered' })]);
  });

  it('refuses bad bodies with 400 (or 413, 409) problem details and changes nothing', async () => {
    const before = await counts();
    const patch = (body: unknown, type = 'application/json') =>
      request(stack.server)
        .patch(`/api/v1/participants/${participant.ogscId}/enrollments/${group.groupId}`)
        .auth(token, { type: 'bearer' })
        .set('Content-Type', type)
        .send(typeof body === 'string' ? body : JSON.stringify(body));
    const create = (body: unknown) =>
      request(stack.server)
        .post(`/api/v1/groups/${group.groupId}/participants`)
        .auth(token, { type: 'bearer' })
        .set('Content-Type', 'application/json')
        .send(typeof body === 'string' ? body : JSON.stringify(body));
    const cases: [string, request.Test, number, string[]][] = [
      ['malformed JSON', patch('{"internalCustomerId": '), 400, ['body']],
      ['no field', patch({}), 400, ['internalCustomerId']],
      ['a number', patch({ internalCustomerId: 42 }), 400, ['internalCustomerId']],
      ['control characters', patch({ internalCustomerId: 'a\u0000b' }), 400, ['internalCustomerId']],
      ['leading space', patch({ internalCustomerId: ' C-1' }), 400, ['internalCustomerId']],
      ['too long', patch({ internalCustomerId: 'x'.repeat(101) }), 400, ['internalCustomerId']],
      ['unknown field', patch({ internalCustomerId: 'C-1', status: 'consented' }), 400, ['status']],
      ['an array body', patch([1, 2]), 400, []],
      ['no participants', create({ participants: [] }), 400, ['participants']],
      ['not a list', create({ participants: 'all' }), 400, ['participants']],
      ['a bad row', create({ participants: [{}, { internalCustomerId: 7 }] }), 400, ['participants[1].internalCustomerId']],
      ['an unknown row field', create({ participants: [{ password: 'mine' }] }), 400, ['participants[0].password']],
      ['too many', create({ participants: Array.from({ length: 101 }, () => ({})) }), 400, ['participants']],
      [
        'repeated ID',
        create({ participants: [{ internalCustomerId: 'R-1' }, { internalCustomerId: 'R-1' }] }),
        409,
        ['participants[1].internalCustomerId'],
      ],
      ['huge', create({ participants: [{ internalCustomerId: 'x'.repeat(2_000_000) }] }), 413, []],
    ];
    for (const [name, pending, status, fields] of cases) {
      const res = await pending;
      expect([name, res.status]).toEqual([name, status]);
      const problem = problemOf(res);
      if (fields.length) expect([name, (problem.errors as { field: string }[]).map((error) => error.field)]).toEqual([name, fields]);
    }
    expect(await counts()).toEqual(before);
  });

  it('answers unknown paths and methods under /api with 404 problem details', async () => {
    for (const [method, path] of [
      ['get', '/api/v1/nothing'],
      ['get', '/api/v2/groups'],
      ['delete', `/api/v1/participants/${participant.ogscId}`],
      ['post', '/api/v1/changes'],
      ['get', '/api'],
    ] as const) {
      const res = await request(stack.server)[method](path).auth(token, { type: 'bearer' });
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(problemOf(res)).toMatchObject({ code: 'not_found', status: 404 });
    }
    const escaped = await request(stack.server).get('/api/v1/participants/%FF').auth(token, { type: 'bearer' }).expect(400);
    expect(problemOf(escaped).errors).toEqual([expect.objectContaining({ field: 'path', code: 'malformed_encoding' })]);
  });
});
