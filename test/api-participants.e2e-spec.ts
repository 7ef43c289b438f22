import request from 'supertest';
import { PasswordHasher } from '@opendsp/admin-auth';
import { consentQrPng as qrPng, consentQrSvg as qrSvg } from '@opendsp/participants';
import type { ProgramGroup } from '@opendsp/groups';
import { startApiStack, writeReadings, problemOf, type ApiStack } from './support/api-stack.js';

describe('REST API participants, enrollments and consent links', () => {
  let stack: ApiStack;
  let group: ProgramGroup;
  let other: ProgramGroup;
  let token: string;
  let clientId: string;

  beforeAll(async () => {
    stack = await startApiStack();
    group = await stack.group('Participants API', ['https://clinic.example/welcome', 'https://clinic.example/other']);
    other = await stack.group('Elsewhere');
    const client = await stack.client(['participants:read', 'participants:write', 'measurements:read'], [group]);
    clientId = client.clientId;
    token = await stack.token(client.clientId, client.secret);
  });
  afterAll(() => stack?.close());

  const api = () => ({
    get: (path: string) => request(stack.server).get(path).auth(token, { type: 'bearer' }),
    post: (path: string, body: object) => request(stack.server).post(path).auth(token, { type: 'bearer' }).send(body),
    patch: (path: string, body: object) => request(stack.server).patch(path).auth(token, { type: 'bearer' }).send(body),
  });

  it('shows a participant with enrollment method, consent and connection state, only visible enrollments, and the sync ledger', async () => {
    const participant = await stack.participant([group, other], 'consented', { omronUserId: 'sub-detail-1' });
    await stack.sql(
      `update enrollment set internal_customer_id = 'C-100', first_reading_at = '2026-11-01T00:00:00Z' where participant_id = $1 and group_id = $2`,
      [participant.id, group.id],
    );
    await stack.sql(
      `insert into omron_connection (id, omron_user_id, scopes, redirect_uri, access_token_expires_at, access_token_lifetime_seconds, state, state_changed_at, transient_failures, created_at, updated_at)
       values (gen_random_uuid(), 'sub-detail-1', 'bloodpressure weight openid', 'https://x.example/cb', now(), 3600, 'active', '2026-11-01T01:02:03Z', 0, now(), now())`,
    );
    const res = await api().get(`/api/v1/participants/${participant.ogscId}`).expect(200);
    expect(res.body).toEqual({
      ogscId: participant.ogscId,
      enrollmentMethod: 'omron_connect',
      loginId: null,
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
      enrollments: [
        {
          groupId: group.groupId,
          status: 'consented',
          internalCustomerId: 'C-100',
          invitedAt: null,
          linkOpenedAt: null,
          consentedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          consentedScopes: ['bloodpressure', 'weight'],
          withdrawnAt: null,
          firstReadingAt: '2026-11-01T00:00:00.000Z',
          lastReadingAt: null,
          updatedAt: expect.stringMatching(/Z$/),
        },
      ],
      connection: {
        state: 'active',
        stateChangedAt: '2026-11-01T01:02:03.000Z',
        stateReason: null,
        scopes: ['bloodpressure', 'weight', 'openid'],
      },
      // No pull of this participant was ever asked for: the ledger lists no kind.
      syncLedger: [],
    });
    expect(res.text).not.toContain(other.groupId);
  });

  it('sets, changes and clears the internal customer ID, unique within the group, and audits each change', async () => {
    const first = await stack.participant([group]);
    const second = await stack.participant([group]);
    const elsewhere = await stack.participant([other]);
    await stack.sql(`update enrollment set internal_customer_id = 'SHARED' where participant_id = $1`, [elsewhere.id]);
    const path = (ogscId: string) => `/api/v1/participants/${ogscId}/enrollments/${group.groupId}`;

    const set = await api().patch(path(first.ogscId), { internalCustomerId: 'SHARED' }).expect(200);
    expect(set.body).toMatchObject({ groupId: group.groupId, internalCustomerId: 'SHARED', status: 'consented' });
    const taken = await api().patch(path(second.ogscId), { internalCustomerId: 'SHARED' }).expect(409);
    expect(problemOf(taken)).toMatchObject({
      code: 'internal_customer_id_taken',
      errors: [expect.objectContaining({ field: 'internalCustomerId' })],
    });
    await api().patch(path(first.ogscId), { internalCustomerId: 'SHARED' }).expect(200);
    await api().patch(path(first.ogscId), { internalCustomerId: 'C-2' }).expect(200);
    await api().patch(path(second.ogscId), { internalCustomerId: 'SHARED' }).expect(200);
    const cleared = await api().patch(path(first.ogscId), { internalCustomerId: null }).expect(200);
    expect(cleared.body.internalCustomerId).toBeNull();
    // Another group's participant, or a group this client cannot see: 404 as if absent.
    await api().patch(path(elsewhere.ogscId), { internalCustomerId: 'X' }).expect(404);
    await api().patch(`/api/v1/participants/${first.ogscId}/enrollments/${other.groupId}`, { internalCustomerId: 'X' }).expect(404);

    const rows = await stack.sql<{ ogsc_id: string; internal_customer_id: string | null }>(
      `select p.ogsc_id, e.internal_customer_id from enrollment e join participant p on p.id = e.participant_id where p.id = any($1) order by p.ogsc_id`,
      [[first.id, second.id, elsewhere.id]],
    );
    expect(Object.fromEntries(rows.map((row) => [row.ogsc_id, row.internal_customer_id]))).toEqual({
      [first.ogscId]: null,
      [second.ogscId]: 'SHARED',
      [elsewhere.ogscId]: 'SHARED',
    });
    const audit = await stack.sql<{
      actor_login: string;
      actor_id: string | null;
      target_id: string;
      detail: { before: string | null; after: string | null };
    }>(
      `select actor_login, actor_id, target_id, detail from audit_event where action = 'api.internal_customer_id_set' and target_id = $1 order by id`,
      [first.ogscId],
    );
    expect(audit.map((event) => [event.detail.before, event.detail.after])).toEqual([
      [null, 'SHARED'],
      ['SHARED', 'SHARED'],
      ['SHARED', 'C-2'],
      ['C-2', null],
    ]);
    expect(audit[0]).toMatchObject({ actor_login: `api-client:${clientId}`, actor_id: null });
  });

  it('pre-creates participants in bulk, returning one-time credentials once and keeping only argon2id hashes', async () => {
    const res = await api()
      .post(`/api/v1/groups/${group.groupId}/participants`, {
        participants: [{ internalCustomerId: 'NEW-1' }, {}, { internalCustomerId: null }],
      })
      .expect(201);
    expect(res.body.groupId).toBe(group.groupId);
    expect(res.body.participants).toHaveLength(3);
    expect(res.headers['cache-control']).toBe('no-store');
    for (const created of res.body.participants) {
      expect(created).toEqual({
        ogscId: expect.stringMatching(/^OG-[0-9A-HJKMNP-TV-Z]{24}$/),
        loginId: expect.stringMatching(/^[0-9A-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/),
        password: expect.stringMatching(/^[2-9A-HJ-NP-Za-km-z]{16,}$/),
        internalCustomerId: created === res.body.participants[0] ? 'NEW-1' : null,
      });
      const [row] = await stack.sql<{ password_hash: string; must_change_password: boolean; status: string; enrollment_method: string }>(
        `select p.password_hash, p.must_change_password, e.status, p.enrollment_method from participant p join enrollment e on e.participant_id = p.id where p.ogsc_id = $1`,
        [created.ogscId],
      );
      expect(row).toMatchObject({ must_change_password: true, status: 'invited', enrollment_method: 'pre_created' });
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(await PasswordHasher.verify(row.password_hash, created.password)).toBe(true);
    }
    // The OGSC ID exists at once: the partner can map it before the person ever signs in.
    const listed = await api().get(`/api/v1/participants?groupId=${group.groupId}&status=invited`).expect(200);
    expect(listed.body.data.map((participant: { ogscId: string }) => participant.ogscId)).toEqual(
      expect.arrayContaining(res.body.participants.map((participant: { ogscId: string }) => participant.ogscId)),
    );
    expect(listed.text).not.toContain(res.body.participants[0].password);
    // A retry with the same internal customer ID conflicts instead of duplicating; nothing of it is kept.
    const before = await stack.sql(`select count(*)::int as n from participant`);
    const retry = await api()
      .post(`/api/v1/groups/${group.groupId}/participants`, { participants: [{}, { internalCustomerId: 'NEW-1' }] })
      .expect(409);
    expect(problemOf(retry).errors).toEqual([
      expect.objectContaining({ field: 'participants[1].internalCustomerId', code: 'internal_customer_id_taken' }),
    ]);
    expect(await stack.sql(`select count(*)::int as n from participant`)).toEqual(before);
    const [event] = await stack.sql<{ detail: { count: number } }>(
      `select detail from audit_event where action = 'api.participants_created' and target_id = $1`,
      [group.groupId],
    );
    expect(event.detail.count).toBe(3);
  });

  it("gives the group's consent link for a registered redirect URL, and the same link as a QR code", async () => {
    const link = await api().get(`/api/v1/groups/${group.groupId}/consent-link`).expect(200);
    const expected = `http://127.0.0.1:3000/consent/start?group_id=${group.groupId}&redirect_url=${encodeURIComponent('https://clinic.example/welcome')}`;
    expect(link.body).toEqual({ groupId: group.groupId, url: expected, redirectUrl: 'https://clinic.example/welcome' });
    const chosen = await api()
      .get(`/api/v1/groups/${group.groupId}/consent-link?redirectUrl=${encodeURIComponent('https://clinic.example/other')}`)
      .expect(200);
    expect(chosen.body.url).toContain(encodeURIComponent('https://clinic.example/other'));

    const svg = await api().get(`/api/v1/groups/${group.groupId}/consent-link/qr?format=svg`).expect(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.text ?? svg.body.toString()).toBe(await qrSvg(expected));
    const png = await api().get(`/api/v1/groups/${group.groupId}/consent-link/qr`).buffer(true).expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(png.body as Buffer, await qrPng(expected))).toBe(0);
  });

  it('lists the devices seen in a participant’s readings and their readings by kind and time', async () => {
    const participant = await stack.participant([group]);
    await stack.sql(
      `insert into participant_device (participant_id, device_type, first_seen_at, last_seen_at) values ($1, 'HEM-7600T', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z')`,
      [participant.id],
    );
    const devices = await api().get(`/api/v1/participants/${participant.ogscId}/devices`).expect(200);
    expect(devices.body).toEqual({
      ogscId: participant.ogscId,
      data: [{ deviceType: 'HEM-7600T', firstSeenAt: '2026-10-01T00:00:00.000Z', lastSeenAt: '2026-11-01T00:00:00.000Z' }],
    });
    await writeReadings(
      stack.orm.em,
      [1, 2, 3, 4].map((day) => ({
        kind: 'weight' as const,
        participantId: participant.id,
        upstreamId: day,
        measuredAt: new Date(Date.UTC(2026, 10, day, 22)),
      })),
    );
    // [from, to): the reading at exactly `to` (07:00 in Tokyo = 22:00 UTC on the 3rd) is not in it.
    const range = await api()
      .get(`/api/v1/participants/${participant.ogscId}/measurements/weight?from=2026-11-02T00:00:00Z&to=2026-11-04T07:00:00%2B09:00`)
      .expect(200);
    expect(
      range.body.data.map((reading: { upstreamId: string; measuredAt: string; measuredAtLocal: string }) => [
        reading.upstreamId,
        reading.measuredAt,
        reading.measuredAtLocal,
      ]),
    ).toEqual([['2', '2026-11-02T22:00:00.000Z', '2026-11-03T07:00:00+09:00']]);
    expect(range.body.nextCursor).toBeNull();
  });
});
