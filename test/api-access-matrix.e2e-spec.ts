import request from 'supertest';
import { API_SCOPE_NAMES, type ApiScope } from '@opendsp/api';
import type { ProgramGroup } from '@opendsp/groups';
import type { Participant } from '@opendsp/participants';
import { startApiStack, writeReadings, problemOf, type ApiStack } from './support/api-stack.js';

interface Endpoint {
  name: string;
  scope: ApiScope;
  method: 'get' | 'post' | 'patch';
  /** The path for the group and participant it targets. */
  path(group: ProgramGroup, participant: Participant): string;
  body?: object;
  /** Whether the operation names a group or participant, so that another group's answers 404 (lists instead filter). */
  targeted: boolean;
  status: number;
}

const ENDPOINTS: Endpoint[] = [
  { name: 'list groups', scope: 'participants:read', method: 'get', path: () => '/api/v1/groups', targeted: false, status: 200 },
  { name: 'get group', scope: 'participants:read', method: 'get', path: (g) => `/api/v1/groups/${g.groupId}`, targeted: true, status: 200 },
  {
    name: 'consent link',
    scope: 'participants:read',
    method: 'get',
    path: (g) => `/api/v1/groups/${g.groupId}/consent-link`,
    targeted: true,
    status: 200,
  },
  {
    name: 'consent QR',
    scope: 'participants:read',
    method: 'get',
    path: (g) => `/api/v1/groups/${g.groupId}/consent-link/qr?format=svg`,
    targeted: true,
    status: 200,
  },
  {
    name: 'create participants',
    scope: 'participants:write',
    method: 'post',
    path: (g) => `/api/v1/groups/${g.groupId}/participants`,
    body: { participants: [{}] },
    targeted: true,
    status: 201,
  },
  {
    name: 'list participants',
    scope: 'participants:read',
    method: 'get',
    path: () => '/api/v1/participants',
    targeted: false,
    status: 200,
  },
  {
    name: 'list participants of group',
    scope: 'participants:read',
    method: 'get',
    path: (g) => `/api/v1/participants?groupId=${g.groupId}`,
    targeted: true,
    status: 200,
  },
  {
    name: 'get participant',
    scope: 'participants:read',
    method: 'get',
    path: (_g, p) => `/api/v1/participants/${p.ogscId}`,
    targeted: true,
    status: 200,
  },
  {
    name: 'devices',
    scope: 'participants:read',
    method: 'get',
    path: (_g, p) => `/api/v1/participants/${p.ogscId}/devices`,
    targeted: true,
    status: 200,
  },
  {
    name: 'measurements',
    scope: 'measurements:read',
    method: 'get',
    path: (_g, p) => `/api/v1/participants/${p.ogscId}/measurements/blood_pressure`,
    targeted: true,
    status: 200,
  },
  {
    name: 'set internal customer ID',
    scope: 'participants:write',
    method: 'patch',
    path: (g, p) => `/api/v1/participants/${p.ogscId}/enrollments/${g.groupId}`,
    body: { internalCustomerId: 'MATRIX-1' },
    targeted: true,
    status: 200,
  },
  {
    name: 'FHIR Observation search',
    scope: 'measurements:read',
    method: 'get',
    path: (_g, p) => `/api/v1/participants/${p.ogscId}/fhir/Observation`,
    targeted: true,
    status: 200,
  },
  {
    name: 'FHIR Observation read',
    scope: 'measurements:read',
    method: 'get',
    path: (_g, p) => `/api/v1/participants/${p.ogscId}/fhir/Observation/${p.ogscId}-bp-${p.ogscId === MATRIX_A_OGSC_ID ? 1 : 2}`,
    targeted: true,
    status: 200,
  },
  {
    name: 'CSV export',
    scope: 'exports:read',
    method: 'get',
    path: (g) => `/api/v1/exports?groupId=${g.groupId}&kinds=blood_pressure`,
    targeted: true,
    status: 200,
  },
  {
    name: 'adherence',
    scope: 'insights:read',
    method: 'get',
    path: (g) => `/api/v1/groups/${g.groupId}/adherence`,
    targeted: true,
    status: 200,
  },
  {
    name: 'alerts',
    scope: 'alerts:read',
    method: 'get',
    path: (g) => `/api/v1/groups/${g.groupId}/alerts?state=all`,
    targeted: true,
    status: 200,
  },
  { name: 'change feed', scope: 'measurements:read', method: 'get', path: () => '/api/v1/changes', targeted: false, status: 200 },
  {
    name: 'change feed of group',
    scope: 'measurements:read',
    method: 'get',
    path: (g) => `/api/v1/changes?groupId=${g.groupId}`,
    targeted: true,
    status: 200,
  },
];

/** Participant A's OGSC ID, so a path can name the reading each participant has. */
const MATRIX_A_OGSC_ID = 'OG-AAAAAAAAAAAAAAAAAAAAAAAA';

/** An error's stable code and what it shows beyond the path it echoes: problem details, or a FHIR OperationOutcome. */
function errorOf(res: request.Response): { code: unknown; shown: string } {
  if (/^application\/fhir\+json/.test(res.headers['content-type'] ?? '')) {
    const outcome = JSON.parse(res.text) as { issue: { details: { coding: { code: string }[] }; diagnostics?: string }[] };
    return {
      code: outcome.issue[0].details.coding[0].code,
      shown: JSON.stringify(outcome.issue.map((issue) => ({ ...issue, diagnostics: undefined }))),
    };
  }
  const problem = problemOf(res);
  return { code: problem.code, shown: JSON.stringify({ ...problem, instance: undefined, detail: undefined }) };
}

const SCOPE_SETS: ApiScope[][] = [...API_SCOPE_NAMES.map((scope) => [scope]), [...API_SCOPE_NAMES]];

describe('REST API access: scope × group × endpoint', () => {
  let stack: ApiStack;
  let groupA: ProgramGroup;
  let groupB: ProgramGroup;
  let inA: Participant;
  let inB: Participant;

  beforeAll(async () => {
    stack = await startApiStack();
    groupA = await stack.group('Matrix A', ['https://a.example/welcome']);
    groupB = await stack.group('Matrix B', ['https://b.example/welcome']);
    inA = await stack.participant([groupA], 'consented', { ogscId: MATRIX_A_OGSC_ID });
    inB = await stack.participant([groupB]);
    const at = new Date('2026-11-20T01:00:00Z');
    await writeReadings(stack.orm.em, [
      { kind: 'blood_pressure', participantId: inA.id, upstreamId: 1, measuredAt: at },
      { kind: 'blood_pressure', participantId: inB.id, upstreamId: 2, measuredAt: at },
      { kind: 'weight', participantId: inB.id, upstreamId: 3, measuredAt: at },
    ]);
    await stack.sql(
      `insert into participant_device (participant_id, device_type, first_seen_at, last_seen_at) values ($1, 'A-DEVICE', now(), now()), ($2, 'B-DEVICE', now(), now())`,
      [inA.id, inB.id],
    );
  });
  afterAll(() => stack?.close());

  it('answers each combination as its scope and groups say, and never shows another group’s data', async () => {
    const outcomes: string[] = [];
    const leaks: string[] = [];
    let requests = 0;
    for (const scopes of SCOPE_SETS) {
      for (const restriction of ['A only', 'all groups'] as const) {
        const { clientId, secret } = await stack.client(scopes, restriction === 'A only' ? [groupA] : 'all');
        const token = await stack.token(clientId, secret);
        for (const endpoint of ENDPOINTS) {
          for (const [target, group, participant] of [
            ['A', groupA, inA],
            ['B', groupB, inB],
          ] as const) {
            const pending = request(stack.server)[endpoint.method](endpoint.path(group, participant)).auth(token, { type: 'bearer' });
            const res = await (endpoint.body ? pending.send(endpoint.body) : pending);
            requests++;
            const visible = restriction === 'all groups' || target === 'A' || !endpoint.targeted;
            const expected = !scopes.includes(endpoint.scope) ? 403 : visible ? endpoint.status : 404;
            const label = `${scopes.join('+')} | ${restriction} | ${endpoint.name} → ${target}`;
            outcomes.push(`${res.status === expected ? 'ok ' : 'BAD'} ${label}: ${res.status} (expected ${expected})`);
            if (res.status >= 400) {
              const names = endpoint.path(group, participant).includes(participant.ogscId) ? 'participant_not_found' : 'group_not_found';
              expect([label, errorOf(res).code]).toEqual([label, res.status === 403 ? 'insufficient_scope' : names]);
            }
            if (restriction === 'A only') {
              // A problem may echo the path the client sent (`instance`, `detail`); everything else must be A's.
              const shown = res.status >= 400 ? errorOf(res).shown : (res.text ?? '');
              for (const secretOfB of [groupB.groupId, inB.ogscId, 'B-DEVICE', 'b.example']) {
                if (shown.includes(secretOfB)) leaks.push(`${label} shows ${secretOfB}`);
              }
            }
          }
        }
      }
    }
    expect(outcomes.filter((line) => line.startsWith('BAD'))).toEqual([]);
    expect(leaks).toEqual([]);
    expect(requests).toBe(SCOPE_SETS.length * 2 * ENDPOINTS.length * 2);
    // The matrix saw real data where it was allowed to.
    expect(outcomes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ok {2}participants:read \| A only \| get participant → B: 404/),
        expect.stringMatching(/^ok {2}measurements:read \| all groups \| measurements → B: 200/),
        expect.stringMatching(/^ok {2}exports:read \| all groups \| change feed → A: 403/),
      ]),
    );
  });

  it('gives a group-restricted client exactly its own groups’ participants and readings', async () => {
    const { clientId, secret } = await stack.client([...API_SCOPE_NAMES], [groupA]);
    const token = await stack.token(clientId, secret);
    const get = (path: string) => request(stack.server).get(path).auth(token, { type: 'bearer' }).expect(200);
    expect((await get('/api/v1/groups')).body.data.map((group: { groupId: string }) => group.groupId)).toEqual([groupA.groupId]);
    const participants = (await get('/api/v1/participants')).body.data.map((participant: { ogscId: string }) => participant.ogscId);
    expect(participants).toContain(inA.ogscId);
    expect(participants).not.toContain(inB.ogscId);
    const feed = (await get('/api/v1/changes')).body.data;
    expect(feed.map((reading: { ogscId: string }) => reading.ogscId)).toEqual([inA.ogscId]);
    expect(
      (await get(`/api/v1/participants/${inA.ogscId}/devices`)).body.data.map((device: { deviceType: string }) => device.deviceType),
    ).toEqual(['A-DEVICE']);
  });

  it('answers an unknown OGSC ID exactly as another group’s', async () => {
    const { clientId, secret } = await stack.client(['participants:read', 'measurements:read'], [groupA]);
    const token = await stack.token(clientId, secret);
    const other = await request(stack.server).get(`/api/v1/participants/${inB.ogscId}`).auth(token, { type: 'bearer' }).expect(404);
    const unknown = await request(stack.server)
      .get('/api/v1/participants/OG-000000000000000000000000')
      .auth(token, { type: 'bearer' })
      .expect(404);
    const malformed = await request(stack.server).get('/api/v1/participants/robert%27);drop').auth(token, { type: 'bearer' }).expect(404);
    const strip = (body: Record<string, unknown>) => ({ ...body, detail: undefined, instance: undefined });
    expect(strip(problemOf(other))).toEqual(strip(problemOf(unknown)));
    expect(strip(problemOf(malformed))).toEqual(strip(problemOf(unknown)));
    expect(problemOf(unknown)).toMatchObject({ code: 'participant_not_found', status: 404 });
  });

  it('shows no readings of participants who have not consented or have withdrawn', async () => {
    const invited = await stack.participant([groupA], 'invited');
    const withdrawn = await stack.participant([groupA], 'withdrawn');
    const at = new Date('2026-11-21T01:00:00Z');
    await writeReadings(stack.orm.em, [
      { kind: 'blood_pressure', participantId: invited.id, upstreamId: 10, measuredAt: at },
      { kind: 'blood_pressure', participantId: withdrawn.id, upstreamId: 11, measuredAt: at },
    ]);
    const { clientId, secret } = await stack.client(['participants:read', 'measurements:read'], [groupA]);
    const token = await stack.token(clientId, secret);
    const feed = await request(stack.server).get('/api/v1/changes').auth(token, { type: 'bearer' }).expect(200);
    expect(feed.text).not.toContain(invited.ogscId);
    expect(feed.text).not.toContain(withdrawn.ogscId);
    const page = await request(stack.server)
      .get(`/api/v1/participants/${withdrawn.ogscId}/measurements/blood_pressure`)
      .auth(token, { type: 'bearer' })
      .expect(200);
    expect(page.body).toEqual({ data: [], nextCursor: null });
    // They are still participants of the group, with their status.
    const withdrawnView = await request(stack.server)
      .get(`/api/v1/participants/${withdrawn.ogscId}`)
      .auth(token, { type: 'bearer' })
      .expect(200);
    expect(withdrawnView.body.enrollments).toEqual([expect.objectContaining({ groupId: groupA.groupId, status: 'withdrawn' })]);
  });
});
