import request from 'supertest';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import type { ProgramGroup } from '@opendsp/groups';
import type { Participant } from '@opendsp/participants';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { problemOf, startApiStack, writeReadings, type ApiStack } from './support/api-stack.js';
import { unzip } from './support/unzip.js';

const PASSWORD = 'portal password for API export tests';

/** A response's body as bytes, whatever its type. */
const bytes = (req: request.Test): request.Test =>
  req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });

describe('CSV exports through the REST API', () => {
  let stack: ApiStack;
  let group: ProgramGroup;
  let other: ProgramGroup;
  let first: Participant;
  let second: Participant;
  let token: string;
  let clientId: string;
  let portal: PortalTestClient;

  beforeAll(async () => {
    stack = await startApiStack({ DSP_LANGUAGE: 'en' });
    group = await stack.group('Export program');
    other = await stack.group('Another program');
    first = await stack.participant([group]);
    second = await stack.participant([group]);
    const withdrawn = await stack.participant([group], 'withdrawn');
    await stack.sql(`update enrollment set internal_customer_id = 'C-1001' where participant_id = $1`, [second.id]);
    const day = (n: number, hour: number) => new Date(Date.UTC(2026, 10, n, hour));
    await writeReadings(stack.orm.em, [
      ...[1, 2, 3, 4].map((n) => ({
        kind: 'blood_pressure' as const,
        participantId: first.id,
        upstreamId: 100 + n,
        measuredAt: day(n, 1),
      })),
      ...[1, 3].map((n) => ({ kind: 'blood_pressure' as const, participantId: second.id, upstreamId: 200 + n, measuredAt: day(n, 2) })),
      ...[2, 3].map((n) => ({ kind: 'weight' as const, participantId: second.id, upstreamId: 300 + n, measuredAt: day(n, 23) })),
      { kind: 'activity', participantId: first.id, upstreamId: 400, measuredAt: day(2, 15) },
      { kind: 'temperature', participantId: withdrawn.id, upstreamId: 500, measuredAt: day(2, 3), deviceType: '=HYPERLINK("x")' },
    ]);
    const client = await stack.client(['exports:read'], [group]);
    clientId = client.clientId;
    token = await stack.token(client.clientId, client.secret);

    const account = new AdminAccount('export-admin', 'Export admin', 'export-admin@example.test', 'partner-admin');
    account.passwordHash = await PasswordHasher.hash(PASSWORD);
    await stack.orm.em.fork().persist(account).flush();
    portal = new PortalTestClient(stack.server);
    expect((await portal.signIn('export-admin', PASSWORD)).status).toBe(303);
    await portal.get('/exports');
  });
  afterAll(() => stack?.close());

  const api = (query: string, bearer = token) =>
    bytes(request(stack.server).get(`/api/v1/exports?${query}`).auth(bearer, { type: 'bearer' }));

  const portalDownload = (form: Record<string, string | string[]>) =>
    bytes(
      request(stack.server)
        .post('/exports/download')
        .set('Cookie', [...portal.cookies].map(([name, value]) => `${name}=${value}`).join('; '))
        .type('form')
        .send({ _csrf: portal.csrfToken, ...form }),
    );

  it("streams the same CSV file as the portal's download: columns, rows, file name", async () => {
    const res = await api(`groupId=${group.groupId}&kinds=blood_pressure`).expect(200);
    const fromPortal = await portalDownload({ groupId: group.groupId, kinds: ['blood_pressure'] }).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${group.groupId}_blood_pressure.csv"`);
    expect(res.headers['content-disposition']).toBe(fromPortal.headers['content-disposition']);
    // Streamed: no length known in advance.
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['cache-control']).toBe('no-store');
    const csv = (res.body as Buffer).toString('utf8');
    expect(csv).toBe((fromPortal.body as Buffer).toString('utf8'));
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + 6);
    expect(lines.slice(1).every((line) => line.includes(first.ogscId) || line.includes(second.ogscId))).toBe(true);

    const [event] = await stack.sql<{ actor_login: string; target_id: string; detail: Record<string, unknown> }>(
      `select actor_login, target_id, detail from audit_event where action = 'export.downloaded' and actor_login like 'api-client:%'`,
    );
    expect(event).toMatchObject({ actor_login: `api-client:${clientId}`, target_id: group.groupId, detail: { kinds: ['blood_pressure'] } });
  });

  it("takes the portal's options: participants by OGSC or internal customer ID, days (the last included), several kinds as a zip, the BOM", async () => {
    const query = `groupId=${group.groupId}&kinds=blood_pressure,weight,activity&participants=${first.ogscId},C-1001&from=2026-11-02&to=2026-11-03&bom=true`;
    const res = await api(query).expect(200);
    const fromPortal = await portalDownload({
      groupId: group.groupId,
      kinds: ['blood_pressure', 'weight', 'activity'],
      participants: `${first.ogscId}\nC-1001`,
      from: '2026-11-02',
      to: '2026-11-03',
      bom: 'on',
    }).expect(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe(fromPortal.headers['content-disposition']);
    const files = unzip(res.body as Buffer);
    expect([...files.keys()]).toEqual(['blood_pressure.csv', 'activity.csv', 'weight.csv']);
    expect(files).toEqual(unzip(fromPortal.body as Buffer));
    const bp = files.get('blood_pressure.csv')!.toString('utf8');
    expect(bp.startsWith('\uFEFF')).toBe(true);
    // Days 2 and 3 in the environment's time zone (Tokyo in tests): first's readings of Nov 2 and 3, second's of Nov 3.
    expect(bp.trimEnd().split('\r\n')).toHaveLength(1 + 3);

    // Only the one participant named.
    const one = await api(`groupId=${group.groupId}&kinds=weight&participants=C-1001`).expect(200);
    expect((one.body as Buffer).toString('utf8')).not.toContain(first.ogscId);
  });

  it("streams an activity day's hours as their own kind, as the portal does, rows from the database", async () => {
    const res = await api(`groupId=${group.groupId}&kinds=activity_hourly`).expect(200);
    const fromPortal = await portalDownload({ groupId: group.groupId, kinds: ['activity_hourly'] }).expect(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${group.groupId}_activity_hourly.csv"`);
    const csv = (res.body as Buffer).toString('utf8');
    expect(csv).toBe((fromPortal.body as Buffer).toString('utf8'));
    const [header, ...lines] = csv.trimEnd().split('\r\n');
    const columns = header.split(',');
    expect(columns.slice(-6)).toEqual(['hour', 'steps', 'aerobic_steps', 'calories_kcal', 'distance_original', 'change_seq']);
    const hours = await stack.sql<{ line: string }>(
      `select concat_ws(',', '400', h.hour, h.steps, h.aerobic_steps, h.calories_kcal, h.distance_original, a.change_seq) as line
         from activity_hourly_reading h join activity_reading a on a.id = h.activity_id
        where a.participant_id = $1 and a.upstream_id = 400 order by h.hour`,
      [first.id],
    );
    expect(hours).toHaveLength(3);
    const at = (name: string) => columns.indexOf(name);
    expect(
      lines.map((line) => {
        const cells = line.split(',');
        return [cells[at('measurement_id')], ...cells.slice(-6)].join(',');
      }),
    ).toEqual(hours.map((row) => row.line));
  });

  it('refuses what the portal refuses, with problem details, and writes nothing', async () => {
    const refused = async (query: string, status: number, bearer = token) => {
      const res = await api(query, bearer);
      expect([query, res.status]).toEqual([query, status]);
      return problemOf({ ...res, text: (res.body as Buffer).toString('utf8') });
    };
    const before = await stack.sql(`select count(*)::int as n from audit_event where action = 'export.downloaded'`);
    expect(await refused(`groupId=${group.groupId}&kinds=weight&participants=OG-0000000000000000000000ZZ`, 400)).toMatchObject({
      code: 'validation_failed',
      errors: [{ field: 'participants', code: 'unknown_participants', message: expect.stringContaining('OG-0000000000000000000000ZZ') }],
    });
    expect((await refused(`groupId=${group.groupId}&kinds=weight&from=2026-11-05&to=2026-11-01`, 400)).errors).toEqual([
      expect.objectContaining({ field: 'to' }),
    ]);
    expect((await refused(`groupId=${group.groupId}&kinds=weight&from=2026-02-30`, 400)).errors).toEqual([
      expect.objectContaining({ field: 'from' }),
    ]);
    expect((await refused(`groupId=${group.groupId}&kinds=weight&to=yesterday`, 400)).errors).toEqual([
      expect.objectContaining({ field: 'to' }),
    ]);
    expect((await refused(`groupId=${group.groupId}&kinds=`, 400)).errors).toEqual([expect.objectContaining({ field: 'kinds' })]);
    expect((await refused(`groupId=${group.groupId}&kinds=pulse`, 400)).errors).toEqual([expect.objectContaining({ field: 'kinds' })]);
    expect((await refused(`groupId=${group.groupId}&kinds=weight&bom=yes`, 400)).errors).toEqual([
      expect.objectContaining({ field: 'bom' }),
    ]);
    expect((await refused(`groupId=${group.groupId}&kinds=weight&format=xlsx`, 400)).errors).toEqual([
      expect.objectContaining({ field: 'format' }),
    ]);
    expect((await refused(`kinds=weight`, 400)).errors).toEqual([expect.objectContaining({ field: 'groupId' })]);
    expect((await refused(`groupId=${other.groupId}&kinds=weight`, 404)).code).toBe('group_not_found');
    expect((await refused(`groupId=ZZZZZZZZZZZZ&kinds=weight`, 404)).code).toBe('group_not_found');

    const reader = await stack.client(['measurements:read', 'participants:read'], 'all', 'No exports');
    expect((await refused(`groupId=${group.groupId}&kinds=weight`, 403, await stack.token(reader.clientId, reader.secret))).code).toBe(
      'insufficient_scope',
    );
    expect(await stack.sql(`select count(*)::int as n from audit_event where action = 'export.downloaded'`)).toEqual(before);
  });

  it("answers 409 where CSV is not one of the environment's data transfer methods", async () => {
    const apiOnly = await startApiStack({ DSP_DATA_TRANSFER_METHODS: 'api' });
    try {
      const exportGroup = await apiOnly.group('No CSV here');
      const client = await apiOnly.client(['exports:read'], [exportGroup]);
      const res = await request(apiOnly.server)
        .get(`/api/v1/exports?groupId=${exportGroup.groupId}&kinds=weight`)
        .auth(await apiOnly.token(client.clientId, client.secret), { type: 'bearer' });
      expect(res.status).toBe(409);
      expect(problemOf(res).code).toBe('csv_not_enabled');
    } finally {
      await apiOnly.close();
    }
  });
});
