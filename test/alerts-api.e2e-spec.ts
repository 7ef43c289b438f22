import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { ProgramGroup } from '@opendsp/groups';
import type { Participant } from '@opendsp/participants';
import { problemOf, startApiStack, type ApiStack } from './support/api-stack.js';
import { OpenApiClient } from './support/openapi-client.js';

type AlertJson = {
  id: string;
  rule: string;
  state: string;
  ogscId: string;
  groupId: string;
  note: string | null;
  acknowledgedBy: string | null;
};

describe('REST API: alerts', () => {
  let stack: ApiStack;
  let mine: ProgramGroup;
  let theirs: ProgramGroup;
  let alice: Participant;
  let bob: Participant;
  let documented: OpenApiClient;
  /** Alert IDs by name, as inserted below (raised one minute apart, `crisis` newest). */
  const ids: Record<string, string> = {};

  const groupUuid = (group: ProgramGroup) => group.id;
  async function insertAlert(name: string, group: ProgramGroup, participant: Participant, rule: string, status: string, minute: number) {
    const [row] = await stack.sql<{ id: string }>(
      `insert into alert (id, group_id, participant_id, rule, status, raised_at, measured_at, detail, resolved_at, resolution)
       values (gen_random_uuid(), $1, $2, $3, $4, timestamptz '2026-12-01T00:00:00Z' + make_interval(mins => $5::int), timestamptz '2026-11-30T08:00:00Z', '{"systolic_mmhg": 185}',
               case when $4 = 'resolved' then now() end, case when $4 = 'resolved' then 'new_reading' end)
       returning id`,
      [groupUuid(group), participant.id, rule, status, minute],
    );
    ids[name] = row.id;
  }
  const get = (token: string, path: string) => request(stack.server).get(path).auth(token, { type: 'bearer' });
  const acknowledge = (token: string, group: string, alertId: string, body: unknown) =>
    request(stack.server)
      .post(`/api/v1/groups/${group}/alerts/${alertId}/acknowledge`)
      .auth(token, { type: 'bearer' })
      .send(body as object);
  const statusOf = async (alertId: string) =>
    (await stack.sql<{ status: string; note: string | null }>(`select status, note from alert where id = $1`, [alertId]))[0];
  const acknowledgements = () => stack.sql(`select 1 from audit_event where action = 'alert.acknowledged'`);

  beforeAll(async () => {
    stack = await startApiStack();
    mine = await stack.group('Alerts mine');
    theirs = await stack.group('Alerts theirs');
    alice = await stack.participant([mine]);
    bob = await stack.participant([mine, theirs]);
    await insertAlert('silence', mine, bob, 'no_reading', 'resolved', 1);
    await insertAlert('afib', mine, alice, 'possible_afib', 'acknowledged', 2);
    await insertAlert('reconnect', mine, bob, 'reconnect_needed', 'open', 3);
    await insertAlert('bobCrisis', mine, bob, 'bp_crisis', 'open', 4);
    await insertAlert('crisis', mine, alice, 'bp_crisis', 'open', 5);
    await insertAlert('theirs', theirs, bob, 'bp_crisis', 'open', 6);
    const server = stack.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    documented = new OpenApiClient(
      JSON.parse(readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8')),
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    );
  });
  afterAll(() => stack?.close());

  it('lists a group’s open alerts newest first in keyset pages, as the OpenAPI document describes them', async () => {
    const { clientId, secret } = await stack.client(['alerts:read'], [mine]);
    documented.bearerToken = await stack.token(clientId, secret);
    const first = await documented.call('listAlerts', { groupId: mine.groupId, limit: 2 });
    expect(first.status).toBe(200);
    const page = first.body as { data: AlertJson[]; nextCursor: string | null };
    expect(page.data.map((alert) => alert.id)).toEqual([ids.crisis, ids.bobCrisis]);
    expect(page.data[0]).toMatchObject({ rule: 'bp_crisis', state: 'open', ogscId: alice.ogscId, groupId: mine.groupId, note: null });
    expect(page.data[0]).toMatchObject({
      portalUrl: expect.stringMatching(new RegExp(`/participants/${alice.ogscId}\\?days=7&end=2026-11-30`)),
    });
    const second = await documented.call('listAlerts', { groupId: mine.groupId, limit: 2, cursor: page.nextCursor! });
    expect((second.body as { data: AlertJson[] }).data.map((alert) => alert.id)).toEqual([ids.reconnect]);
    expect((second.body as { nextCursor: string | null }).nextCursor).toBeNull();
  });

  it('filters by state, rule and participant', async () => {
    const { clientId, secret } = await stack.client(['alerts:read'], [mine]);
    const token = await stack.token(clientId, secret);
    const idsOf = async (query: string) =>
      ((await get(token, `/api/v1/groups/${mine.groupId}/alerts?${query}`).expect(200)).body as { data: AlertJson[] }).data.map(
        (alert) => alert.id,
      );
    expect(await idsOf('state=all')).toEqual([ids.crisis, ids.bobCrisis, ids.reconnect, ids.afib, ids.silence]);
    expect(await idsOf('state=resolved')).toEqual([ids.silence]);
    expect(await idsOf('state=acknowledged')).toEqual([ids.afib]);
    expect(await idsOf('rule=bp_crisis')).toEqual([ids.crisis, ids.bobCrisis]);
    expect(await idsOf(`participant=${bob.ogscId}&state=all`)).toEqual([ids.bobCrisis, ids.reconnect, ids.silence]);
    expect(await idsOf('participant=OG-000000000000000000000000')).toEqual([]);
    const resolved = (await get(token, `/api/v1/groups/${mine.groupId}/alerts?state=resolved`)).body.data[0];
    expect(resolved).toMatchObject({ state: 'resolved', resolution: 'new_reading', acknowledgedBy: null });
  });

  it('refuses bad input with a 4xx: unknown and unscoped groups, bad cursors and filters, a missing scope', async () => {
    const { clientId, secret } = await stack.client(['alerts:read'], [mine]);
    const token = await stack.token(clientId, secret);
    const expectProblem = async (path: string, status: number, code: string) => {
      const res = await get(token, path);
      expect([path, res.status, problemOf(res).code]).toEqual([path, status, code]);
      return res;
    };
    const other = await expectProblem(`/api/v1/groups/${theirs.groupId}/alerts`, 404, 'group_not_found');
    expect(other.text).not.toContain(ids.theirs);
    await expectProblem('/api/v1/groups/NOSUCHGROUP1/alerts', 404, 'group_not_found');
    await expectProblem('/api/v1/groups/not-a-group/alerts', 404, 'group_not_found');
    await expectProblem(`/api/v1/groups/${mine.groupId}/alerts?cursor=abc`, 400, 'validation_failed');
    const forged = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
    await expectProblem(`/api/v1/groups/${mine.groupId}/alerts?cursor=${forged}`, 400, 'validation_failed');
    await expectProblem(`/api/v1/groups/${mine.groupId}/alerts?state=closed`, 400, 'validation_failed');
    await expectProblem(`/api/v1/groups/${mine.groupId}/alerts?rule=fever`, 400, 'validation_failed');
    await expectProblem(`/api/v1/groups/${mine.groupId}/alerts?participant=alice`, 400, 'validation_failed');
    await expectProblem(`/api/v1/groups/${mine.groupId}/alerts?limit=0`, 400, 'validation_failed');
    // alerts:read does not acknowledge.
    const refused = await acknowledge(token, mine.groupId, ids.crisis, { note: 'Called.' });
    expect([refused.status, problemOf(refused).code]).toEqual([403, 'insufficient_scope']);
    // Another scope does not list.
    const insights = await stack.client(['insights:read'], [mine]);
    const insightsToken = await stack.token(insights.clientId, insights.secret);
    expect((await get(insightsToken, `/api/v1/groups/${mine.groupId}/alerts`)).status).toBe(403);
    expect(await statusOf(ids.crisis)).toEqual({ status: 'open', note: null });
  });

  it('acknowledges an open alert with a note as the client, audited; refuses bad notes, others’ alerts and a second time, changing nothing', async () => {
    const { clientId, secret } = await stack.client(['alerts:read', 'alerts:write'], [mine]);
    const token = await stack.token(clientId, secret);
    const refuse = async (group: string, alertId: string, body: unknown, status: number, code: string) => {
      const res = await acknowledge(token, group, alertId, body);
      expect([alertId, JSON.stringify(body).slice(0, 40), res.status, problemOf(res).code]).toEqual([
        alertId,
        JSON.stringify(body).slice(0, 40),
        status,
        code,
      ]);
    };
    await refuse(mine.groupId, ids.crisis, { note: 'x'.repeat(2001) }, 400, 'validation_failed');
    await refuse(mine.groupId, ids.crisis, { note: '   ' }, 400, 'validation_failed');
    await refuse(mine.groupId, ids.crisis, {}, 400, 'validation_failed');
    await refuse(mine.groupId, ids.crisis, { note: 'Called.', status: 'resolved' }, 400, 'validation_failed');
    await refuse(mine.groupId, 'not-an-alert', { note: 'Called.' }, 404, 'alert_not_found');
    await refuse(mine.groupId, '00000000-0000-4000-8000-000000000000', { note: 'Called.' }, 404, 'alert_not_found');
    // Another group's alert, named through a group the client sees or through its own group.
    await refuse(mine.groupId, ids.theirs, { note: 'Called.' }, 404, 'alert_not_found');
    await refuse(theirs.groupId, ids.theirs, { note: 'Called.' }, 404, 'group_not_found');
    await refuse(mine.groupId, ids.afib, { note: 'Called.' }, 409, 'alert_not_open');
    await refuse(mine.groupId, ids.silence, { note: 'Called.' }, 409, 'alert_not_open');
    expect(await statusOf(ids.crisis)).toEqual({ status: 'open', note: null });
    expect(await statusOf(ids.theirs)).toEqual({ status: 'open', note: null });
    expect(await acknowledgements()).toHaveLength(0);

    documented.bearerToken = token;
    const done = await documented.call(
      'acknowledgeAlert',
      { groupId: mine.groupId, alertId: ids.crisis },
      { body: { note: '  Called the participant; re-measured 142/88.  ' } },
    );
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      id: ids.crisis,
      state: 'acknowledged',
      note: 'Called the participant; re-measured 142/88.',
      acknowledgedBy: `api-client:${clientId}`,
    });
    expect(await statusOf(ids.crisis)).toEqual({ status: 'acknowledged', note: 'Called the participant; re-measured 142/88.' });
    const audit = await stack.sql<{ actor_id: string | null; actor_login: string; target_id: string; detail: Record<string, unknown> }>(
      `select actor_id, actor_login, target_id, detail from audit_event where action = 'alert.acknowledged'`,
    );
    expect(audit).toEqual([
      {
        actor_id: null,
        actor_login: `api-client:${clientId}`,
        target_id: ids.crisis,
        detail: expect.objectContaining({ rule: 'bp_crisis' }),
      },
    ]);
    await refuse(mine.groupId, ids.crisis, { note: 'Again.' }, 409, 'alert_not_open');
    expect(await statusOf(ids.crisis)).toEqual({ status: 'acknowledged', note: 'Called the participant; re-measured 142/88.' });
  });
});
