import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { AlertChecks } from '@opendsp/alerts';
import { GroupAdminMembership, ProgramGroup } from '@opendsp/groups';
import { WithdrawalService } from '@opendsp/participants';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { OpenApiClient, type OpenApiDocument } from './support/openapi-client.js';
import { startSyncStack, waitFor, type EnrolledParticipant, type SyncStack } from './support/sync-stack.js';

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A partner's receiver that answers 204 and keeps every request as it came. */
function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      received.push({ path: request.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8') });
      response.statusCode = 204;
      response.end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received })),
  );
}

type AlertRow = {
  id: string;
  rule: string;
  status: string;
  reading_id: string | null;
  measured_at: Date | null;
  detail: Record<string, unknown>;
  note: string | null;
};

/** An attribute's value as a browser reads it. */
const unescaped = (value: string) => value.replaceAll('&#x3D;', '=').replaceAll('&amp;', '&');

const PASSWORD = 'a long enough password 1';
const DEFAULT_RULES = {
  systolicAtLeast: '180',
  diastolicAtLeast: '120',
  noReadingDays: '7',
  noReadingMinReadings: '3',
};

describe('alerts', () => {
  let stack: SyncStack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let partner: PortalTestClient;
  let groupAdmin: PortalTestClient;
  let otherAdmin: PortalTestClient;
  let alice: EnrolledParticipant;
  let groupId: string;
  let otherGroupId: string;
  let secret: string;

  async function signedIn(login: string, role: 'partner-admin' | 'group-admin', groups: ProgramGroup[]): Promise<PortalTestClient> {
    const em = stack.platform.get(MikroORM).em.fork();
    const account = new AdminAccount(login, login, `${login}@example.test`, role);
    account.passwordHash = await PasswordHasher.hash(PASSWORD);
    em.persist(account);
    for (const group of groups) em.persist(new GroupAdminMembership(account, em.getReference(ProgramGroup, group.id)));
    await em.flush();
    const client = new PortalTestClient(stack.platform.getHttpServer());
    expect((await client.signIn(login, PASSWORD)).status).toBe(303);
    return client;
  }

  /** Blood pressure readings as a monitor uploads them: the sandbox notifies the platform, which pulls them. */
  async function upload(user: EnrolledParticipant, readings: { at: string; systolic: number; diastolic: number; afib?: boolean }[]) {
    const response = await stack.sandboxAdmin('POST', `/admin/users/${user.sandboxUserId}/readings`, {
      readings: readings.map((reading) => ({
        type: 'bloodpressure',
        dateTime: reading.at,
        utcOffsetSeconds: 0,
        systolic: reading.systolic,
        diastolic: reading.diastolic,
        pulse: 70,
        ...(reading.afib ? { possibleAfib: true } : {}),
      })),
    });
    expect(response.status).toBe(201);
    await stack.waitForIdle(120_000);
  }

  const alertsOf = (participantId: string) =>
    stack.sql<AlertRow>(
      `select id, rule, status, reading_id::text, measured_at, detail, note from alert where participant_id = $1 order by raised_at, rule`,
      [participantId],
    );
  const readingId = async (participantId: string, at: string) =>
    (
      await stack.sql<{ id: string }>(`select id::text from blood_pressure_reading where participant_id = $1 and measured_at = $2`, [
        participantId,
        at,
      ])
    )[0]?.id;
  const saveRules = async (client: PortalTestClient, group: string, rules: Record<string, string>) => {
    await client.get('/alerts'); // the layout's sign-out form carries the session's CSRF token
    return client.post(`/alerts/rules/${group}`, { ...DEFAULT_RULES, ...rules });
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    stack = await startSyncStack({}, { DSP_LANGUAGE: 'en', WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '1' });
    alice = await stack.enroll('alice@sandbox.test');
    const em = stack.platform.get(MikroORM).em.fork();
    const group = (await em.findOne(ProgramGroup, { displayName: 'Sync test group' }))!;
    const other = new ProgramGroup('Other group');
    await em.persist(other).flush();
    groupId = group.groupId;
    otherGroupId = other.groupId;
    partner = await signedIn('alerts-partner', 'partner-admin', []);
    groupAdmin = await signedIn('alerts-group-admin', 'group-admin', [group]);
    otherAdmin = await signedIn('alerts-other-admin', 'group-admin', [other]);
    // A partner endpoint for alert.raised events of the group.
    await partner.get('/webhooks/new');
    const page = await partner.post('/webhooks', { url: `${receiver.url}/alerts`, eventTypes: ['alert.raised'], groupIds: [groupId] });
    secret = /id="webhook-secret">(whsec_[^<]+)</.exec(page.text)![1].replaceAll('&#x3D;', '=');
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
    receiver?.server.close();
  });

  it('switches rules on and tunes them per group, audited; refuses bad numbers and other groups without changing anything', async () => {
    const bad = await saveRules(groupAdmin, groupId, { bpCrisisEnabled: 'on', systolicAtLeast: 'high', diastolicAtLeast: '20' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('id="systolicAtLeast"');
    expect(await stack.sql(`select 1 from alert_rule_set`)).toHaveLength(0);
    // A group admin of another group: as if the group did not exist.
    expect((await saveRules(otherAdmin, groupId, { bpCrisisEnabled: 'on' })).status).toBe(404);
    expect((await otherAdmin.get(`/alerts/rules/${groupId}`)).status).toBe(404);
    expect(await stack.sql(`select 1 from alert_rule_set`)).toHaveLength(0);

    const saved = await saveRules(groupAdmin, groupId, {
      bpCrisisEnabled: 'on',
      afibEnabled: 'on',
      noReadingEnabled: 'on',
      reconnectEnabled: 'on',
    });
    expect(saved.status).toBe(303);
    const [rules] = await stack.sql<Record<string, unknown>>(`select * from alert_rule_set`);
    expect(rules).toMatchObject({ bp_crisis_enabled: true, systolic_at_least: 180, diastolic_at_least: 120, afib_enabled: true });
    const [audit] = await stack.sql<{ actor_login: string; target_id: string; detail: Record<string, unknown> }>(
      `select actor_login, target_id, detail from audit_event where action = 'alert_rules.updated'`,
    );
    expect(audit).toMatchObject({ actor_login: 'alerts-group-admin', target_id: groupId, detail: { bpCrisisEnabled: true } });
    // The group page shows the panel.
    expect((await groupAdmin.get(`/groups/${groupId}`)).text).toContain('id="alerts-panel"');
  });

  it('raises one alert per participant and rule from a notification-driven pull; readings below the line raise none', async () => {
    await stack.platform.get(AlertChecks).followConnections(); // starts the connection cursor before anything below
    await upload(alice, [
      { at: '2025-02-01T08:00:00Z', systolic: 120, diastolic: 80 },
      { at: '2025-02-02T08:00:00Z', systolic: 185, diastolic: 95 },
      { at: '2025-02-03T08:00:00Z', systolic: 150, diastolic: 125 },
      { at: '2025-02-03T20:00:00Z', systolic: 130, diastolic: 85, afib: true },
    ]);
    // Pulled because OMRON notified the platform (no backfill was asked for).
    expect((await stack.sql(`select 1 from sync_notification where participant_id = $1`, [alice.participantId])).length).toBeGreaterThan(0);
    const alerts = await alertsOf(alice.participantId);
    expect(alerts.map((alert) => [alert.rule, alert.status])).toEqual([
      ['bp_crisis', 'open'],
      ['possible_afib', 'open'],
    ]);
    const crisis = alerts.find((alert) => alert.rule === 'bp_crisis')!;
    // The newest reading over the line of the page: 150/125 (diastolic), not 185/95.
    expect(crisis.reading_id).toBe(await readingId(alice.participantId, '2025-02-03T08:00:00Z'));
    expect(crisis.detail).toMatchObject({ systolic_mmhg: 150, diastolic_mmhg: 125, systolic_at_least: 180, diastolic_at_least: 120 });

    // Another reading over the line while the alert is open: no second alert, the first unchanged.
    await upload(alice, [{ at: '2025-02-05T08:00:00Z', systolic: 200, diastolic: 100 }]);
    expect((await alertsOf(alice.participantId)).map((alert) => [alert.id, alert.rule, alert.reading_id])).toEqual(
      alerts.map((alert) => [alert.id, alert.rule, alert.reading_id]),
    );
  }, 240_000);

  it('sends each raised alert as a signed alert.raised webhook event and e-mails the group admins', async () => {
    const [crisis, afib] = await alertsOf(alice.participantId);
    const messages = await waitFor('two alert events', async () => {
      const got = receiver.received.filter((message) => message.path === '/alerts');
      return got.length >= 2 && got;
    });
    expect(messages).toHaveLength(2);
    const [{ ogsc_id: ogscId }] = await stack.sql<{ ogsc_id: string }>(`select ogsc_id from participant where id = $1`, [
      alice.participantId,
    ]);
    // Signed, and shaped as the committed OpenAPI document's `webhooks` entry says.
    const documented = new OpenApiClient(
      JSON.parse(readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8')) as OpenApiDocument,
      '',
    );
    for (const message of messages) {
      new Webhook(secret).verify(message.body, message.headers);
      documented.checkWebhook('alert.raised', JSON.parse(message.body));
    }
    const bodies = messages.map((message) => JSON.parse(message.body) as { type: string; data: Record<string, unknown> });
    expect(bodies.map((body) => body.data.alert_id).sort()).toEqual([crisis.id, afib.id].sort());
    const event = bodies.find((body) => body.data.alert_id === crisis.id)!;
    expect(event).toMatchObject({
      type: 'alert.raised',
      data: { rule: 'bp_crisis', group_id: groupId, ogsc_id: ogscId, measured_at: '2025-02-03T08:00:00.000Z' },
    });
    expect(event.data.portal_url).toMatch(new RegExp(`/participants/${ogscId}\\?days=7&end=2025-02-03#reading-${crisis.reading_id}$`));

    const checks = stack.platform.get(AlertChecks);
    const mails = await waitFor('the e-mail of both alerts', async () => {
      await checks.mailPending();
      const rows = await stack.sql<{ to_address: string; subject: string; text_body: string }>(
        `select * from mail_outbox where subject like '[OpenDSP]%' order by subject`,
      );
      return rows.length >= 2 && rows;
    });
    expect(mails.map((mail) => [mail.to_address, mail.subject])).toEqual([
      ['alerts-group-admin@example.test', '[OpenDSP] Blood pressure at or above the crisis line — Sync test group'],
      ['alerts-group-admin@example.test', '[OpenDSP] Possible AFib flagged by the monitor — Sync test group'],
    ]);
    expect(mails[0].text_body).toContain(`#reading-${crisis.reading_id}`);
    expect(await stack.sql(`select 1 from alert where mailed_at is null`)).toHaveLength(0);
  }, 120_000);

  it("e-mails each admin in their portal language, else in DSP_LANGUAGE's", async () => {
    const em = stack.platform.get(MikroORM).em.fork();
    const japanese = new AdminAccount('alerts-ja-admin', 'alerts-ja-admin', 'alerts-ja-admin@example.test', 'group-admin');
    japanese.passwordHash = await PasswordHasher.hash(PASSWORD);
    japanese.language = 'ja';
    const group = (await em.findOne(ProgramGroup, { groupId }))!;
    em.persist([japanese, new GroupAdminMembership(japanese, group)]);
    await em.flush();
    const [{ id: alertId }] = await stack.sql<{ id: string }>(
      `insert into alert (id, group_id, participant_id, rule, status, raised_at, measured_at, detail)
       values (gen_random_uuid(), $1, $2, 'no_reading', 'acknowledged', now(), '2025-01-10T08:00:00Z', '{"silent_days": 9}') returning id`,
      [group.id, alice.participantId],
    );
    await stack.platform.get(AlertChecks).mailPending();
    const mails = await stack.sql<{ to_address: string; subject: string; text_body: string }>(
      `select to_address, subject, text_body from mail_outbox where text_body like $1 order by to_address`,
      [`%/alerts/${alertId}%`],
    );
    expect(mails.map((mail) => [mail.to_address, mail.subject])).toEqual([
      ['alerts-group-admin@example.test', '[OpenDSP] No readings from a participant who used to measure — Sync test group'],
      ['alerts-ja-admin@example.test', '[OpenDSP] 測定していた参加者からの測定値が届いていません — Sync test group'],
    ]);
    expect(mails[0].text_body).toContain('Measured: 2025-01-10 ');
    expect(mails[0].text_body).toContain('silent_days: 9');
    expect(mails[1].text_body).toContain('測定日時：2025/01/10 ');
    expect(mails[1].text_body).toContain('参加者のグラフ：');
    expect(mails[1].text_body).not.toContain('Participant:');
    await stack.sql(`delete from alert where id = $1`, [alertId]);
    await stack.sql(`delete from group_admin_membership where admin_id = $1`, [japanese.id]);
  });

  it('links each alert to its reading on the participant chart, highlighted', async () => {
    const [crisis] = await alertsOf(alice.participantId);
    const inbox = await groupAdmin.get('/alerts');
    expect(inbox.status).toBe(200);
    expect(inbox.text).toContain('<strong id="open-count">2 open alerts</strong>');
    // The navigation counts the open alerts the admin may see, on every page: the group's for its admin and a
    // partner admin, none for another group's admin.
    const navCount = (html: string) => /id="nav-open-alerts"[^>]*><span aria-hidden="true">(\d+)<\/span>/.exec(html)?.[1];
    expect(navCount(inbox.text)).toBe('2');
    expect(navCount((await groupAdmin.get('/groups')).text)).toBe('2');
    expect(navCount((await partner.get('/')).text)).toBe('2');
    expect((await otherAdmin.get('/')).text).not.toContain('id="nav-open-alerts"');
    const link = new RegExp(`href="(/participants/[^"]+#reading-${crisis.reading_id})"`).exec(inbox.text)?.[1];
    expect(link).toBeDefined();
    const chart = await groupAdmin.get(unescaped(link!).split('#')[0]);
    expect(chart.status).toBe(200);
    const row = new RegExp(`<tr data-row="${crisis.reading_id}" id="reading-${crisis.reading_id}"[^>]*>([\\s\\S]*?)</tr>`).exec(chart.text);
    expect(row?.[1]).toContain('<td>150</td><td>125</td>');
  });

  it('acknowledges with a note, audited; refuses an empty or oversized note, unknown IDs and other groups, changing nothing', async () => {
    const [crisis] = await alertsOf(alice.participantId);
    await groupAdmin.get(`/alerts/${crisis.id}`);
    const unchanged = async () => {
      expect((await alertsOf(alice.participantId)).find((alert) => alert.id === crisis.id)).toMatchObject({ status: 'open', note: null });
      expect(await stack.sql(`select 1 from audit_event where action = 'alert.acknowledged'`)).toHaveLength(0);
    };
    expect((await groupAdmin.post(`/alerts/${crisis.id}/acknowledge`, { note: '   ' })).status).toBe(422);
    expect((await groupAdmin.post(`/alerts/${crisis.id}/acknowledge`, { note: 'x'.repeat(2001) })).status).toBe(422);
    expect((await groupAdmin.post(`/alerts/not-an-alert/acknowledge`, { note: 'called' })).status).toBe(404);
    expect((await groupAdmin.post(`/alerts/00000000-0000-4000-8000-000000000000/acknowledge`, { note: 'called' })).status).toBe(404);
    await otherAdmin.get('/alerts');
    expect((await otherAdmin.post(`/alerts/${crisis.id}/acknowledge`, { note: 'called' })).status).toBe(404);
    expect((await otherAdmin.get(`/alerts/${crisis.id}`)).status).toBe(404);
    expect((await otherAdmin.get(`/alerts?group=${groupId}`)).status).toBe(404);
    expect((await otherAdmin.get('/alerts')).text).not.toContain(crisis.id);
    expect((await groupAdmin.get('/alerts?status=nonsense')).status).toBe(400);
    await unchanged();

    const done = await groupAdmin.post(`/alerts/${crisis.id}/acknowledge`, { note: 'Called the participant; re-measured 142/88.' });
    expect(done.status).toBe(303);
    expect((await alertsOf(alice.participantId)).find((alert) => alert.id === crisis.id)).toMatchObject({
      status: 'acknowledged',
      note: 'Called the participant; re-measured 142/88.',
    });
    const [audit] = await stack.sql<{ actor_login: string; target_type: string; target_id: string; detail: Record<string, unknown> }>(
      `select actor_login, target_type, target_id, detail from audit_event where action = 'alert.acknowledged'`,
    );
    expect(audit).toMatchObject({
      actor_login: 'alerts-group-admin',
      target_type: 'alert',
      target_id: crisis.id,
      detail: { rule: 'bp_crisis' },
    });
    // Once is enough: a second acknowledgement is refused and the note stays.
    expect((await groupAdmin.post(`/alerts/${crisis.id}/acknowledge`, { note: 'again' })).status).toBe(409);
    expect((await groupAdmin.get(`/alerts/${crisis.id}`)).text).toContain('Called the participant; re-measured 142/88.');
    expect((await groupAdmin.get('/alerts?status=acknowledged')).text).toContain(crisis.id);
  });

  it('applies tuned lines, raises nothing for a rule switched off, and raises again after an acknowledgement', async () => {
    const bob = await stack.enroll('bob@sandbox.test');
    await saveRules(groupAdmin, groupId, {
      bpCrisisEnabled: 'on',
      systolicAtLeast: '160',
      diastolicAtLeast: '100',
      reconnectEnabled: 'on',
      noReadingEnabled: 'on',
    });
    await upload(bob, [
      { at: '2025-03-01T08:00:00Z', systolic: 165, diastolic: 90 },
      { at: '2025-03-02T08:00:00Z', systolic: 120, diastolic: 80, afib: true },
    ]);
    let alerts = await alertsOf(bob.participantId);
    expect(alerts.map((alert) => alert.rule)).toEqual(['bp_crisis']);
    expect(alerts[0].detail).toMatchObject({ systolic_mmhg: 165, systolic_at_least: 160, diastolic_at_least: 100 });

    expect((await groupAdmin.post(`/alerts/${alerts[0].id}/acknowledge`, { note: 'Seen.' })).status).toBe(303);
    await saveRules(groupAdmin, groupId, { reconnectEnabled: 'on', noReadingEnabled: 'on' });
    await upload(bob, [{ at: '2025-03-03T08:00:00Z', systolic: 220, diastolic: 130 }]);
    expect(await alertsOf(bob.participantId)).toHaveLength(1);

    await saveRules(groupAdmin, groupId, { bpCrisisEnabled: 'on', reconnectEnabled: 'on', noReadingEnabled: 'on' });
    await upload(bob, [{ at: '2025-03-04T08:00:00Z', systolic: 190, diastolic: 90 }]);
    alerts = await alertsOf(bob.participantId);
    expect(alerts.map((alert) => [alert.rule, alert.status])).toEqual([
      ['bp_crisis', 'acknowledged'],
      ['bp_crisis', 'open'],
    ]);
    expect(alerts[1].reading_id).toBe(await readingId(bob.participantId, '2025-03-04T08:00:00Z'));
  }, 240_000);

  it('raises no_reading from the scheduled check at a given time, for participants who used to measure, once per silence', async () => {
    const dana = await stack.enroll('dana@sandbox.test');
    await upload(
      dana,
      [1, 2, 3, 4, 5].map((day) => ({ at: `2024-06-0${day}T08:00:00Z`, systolic: 125, diastolic: 80 })),
    );
    const checks = stack.platform.get(AlertChecks);
    const noReading = async () => (await alertsOf(dana.participantId)).filter((alert) => alert.rule === 'no_reading');
    // Five days of silence is not seven.
    await checks.checkSilences(new Date('2024-06-10T08:00:00Z'));
    expect(await noReading()).toHaveLength(0);
    // Five readings is not "used to measure" when it takes ten.
    await saveRules(groupAdmin, groupId, {
      bpCrisisEnabled: 'on',
      noReadingEnabled: 'on',
      reconnectEnabled: 'on',
      noReadingMinReadings: '10',
    });
    await checks.checkSilences(new Date('2024-06-20T08:00:00Z'));
    expect(await noReading()).toHaveLength(0);

    await saveRules(groupAdmin, groupId, { bpCrisisEnabled: 'on', noReadingEnabled: 'on', reconnectEnabled: 'on' });
    expect(await checks.checkSilences(new Date('2024-06-20T08:00:00Z'))).toBeGreaterThanOrEqual(1);
    const [alert] = await noReading();
    expect(alert).toMatchObject({ status: 'open', reading_id: null, detail: { silent_days: 15, readings_before: 5, no_reading_days: 7 } });
    expect(new Date(alert.measured_at!).toISOString()).toBe('2024-06-05T08:00:00.000Z');
    // The same silence, acknowledged, is not raised again.
    expect((await groupAdmin.post(`/alerts/${alert.id}/acknowledge`, { note: 'On holiday.' })).status).toBe(303);
    await checks.checkSilences(new Date('2024-06-25T08:00:00Z'));
    expect(await noReading()).toHaveLength(1);
  }, 240_000);

  it('resolves a silence when a reading measured after it lands, keeps its history, and raises the next silence anew', async () => {
    const fay = await stack.enroll('fay@sandbox.test');
    await upload(
      fay,
      [1, 2, 3, 4, 5].map((day) => ({ at: `2024-08-0${day}T08:00:00Z`, systolic: 125, diastolic: 80 })),
    );
    const checks = stack.platform.get(AlertChecks);
    const silences = async () => (await alertsOf(fay.participantId)).filter((alert) => alert.rule === 'no_reading');
    await checks.checkSilences(new Date('2024-08-20T08:00:00Z'));
    const [alert] = await silences();
    expect(alert).toMatchObject({ status: 'open' });
    // A backfilled reading from before the silence does not end it.
    await upload(fay, [{ at: '2024-07-01T08:00:00Z', systolic: 125, diastolic: 80 }]);
    expect((await silences()).map((row) => row.status)).toEqual(['open']);

    await upload(fay, [{ at: '2024-08-21T08:00:00Z', systolic: 126, diastolic: 81 }]);
    const [resolved] = await stack.sql<{ status: string; resolution: string; resolved_at: Date | null; acknowledged_login: string | null }>(
      `select status, resolution, resolved_at, acknowledged_login from alert where id = $1`,
      [alert.id],
    );
    expect(resolved).toMatchObject({ status: 'resolved', resolution: 'new_reading', acknowledged_login: null });
    expect(resolved.resolved_at).not.toBeNull();
    // Off the open list, on the resolved one, attributed to the platform; nobody can acknowledge it any more.
    expect((await groupAdmin.get('/alerts')).text).not.toContain(alert.id);
    expect((await groupAdmin.get('/alerts?status=resolved')).text).toContain(alert.id);
    const page = await groupAdmin.get(`/alerts/${alert.id}`);
    expect(page.text).toContain('Resolved by the platform');
    expect(page.text).toContain('A reading measured after the silence arrived.');
    expect(page.text).not.toContain('id="acknowledge"');
    expect((await groupAdmin.post(`/alerts/${alert.id}/acknowledge`, { note: 'Late.' })).status).toBe(409);

    // The next silence is a new alert; the resolved one stays as it was.
    await checks.checkSilences(new Date('2024-09-05T08:00:00Z'));
    const after = await silences();
    expect(after.map((row) => [row.id === alert.id, row.status])).toEqual([
      [true, 'resolved'],
      [false, 'open'],
    ]);
    expect(new Date(after[1].measured_at!).toISOString()).toBe('2024-08-21T08:00:00.000Z');
  }, 240_000);

  it('pages the inbox with a keyset cursor', async () => {
    const [{ id: otherUuid }] = await stack.sql<{ id: string }>(`select id from program_group where group_id = $1`, [otherGroupId]);
    await stack.sql(
      `insert into alert (id, group_id, participant_id, rule, status, raised_at, detail)
       select gen_random_uuid(), $1, $2, 'reconnect_needed', 'acknowledged', timestamptz '2026-01-01' + make_interval(mins => n), '{}'
         from generate_series(1, 55) n`,
      [otherUuid, alice.participantId],
    );
    const first = await otherAdmin.get('/alerts?status=all');
    const ids = (html: string) => [...html.matchAll(/data-alert="([0-9a-f-]{36})"/g)].map((match) => match[1]);
    expect(ids(first.text)).toHaveLength(50);
    const next = unescaped(/id="next-page" href="([^"]+)"/.exec(first.text)![1]);
    const second = await otherAdmin.get(next);
    expect(ids(second.text)).toHaveLength(5);
    expect(new Set([...ids(first.text), ...ids(second.text)]).size).toBe(55);
    expect(second.text).not.toContain('id="next-page"');

    // The navigation's badge stops counting at 99: a backlog says "99+", and costs what a hundred alerts do.
    const navCount = async () =>
      /id="nav-open-alerts"[^>]*><span aria-hidden="true">([^<]+)<\/span>/.exec((await otherAdmin.get('/')).text)?.[1];
    await stack.sql(
      `insert into alert (id, group_id, participant_id, rule, status, raised_at, detail)
       select gen_random_uuid(), $1, gen_random_uuid(), 'no_reading', 'open', now(), '{}' from generate_series(1, 99)`,
      [otherUuid],
    );
    expect(await navCount()).toBe('99');
    await stack.sql(
      `insert into alert (id, group_id, participant_id, rule, status, raised_at, detail) values (gen_random_uuid(), $1, gen_random_uuid(), 'no_reading', 'open', now(), '{}')`,
      [otherUuid],
    );
    expect(await navCount()).toBe('99+');
    await stack.sql(`delete from alert where group_id = $1 and status = 'open'`, [otherUuid]);
    expect(await navCount()).toBeUndefined();
  });

  it("deletes a participant's alerts in a group they withdraw from", async () => {
    const [{ id: enrollmentId }] = await stack.sql<{ id: string }>(`select id from enrollment where participant_id = $1`, [
      alice.participantId,
    ]);
    const [{ id: groupUuid }] = await stack.sql<{ id: string }>(`select id from program_group where group_id = $1`, [groupId]);
    const inGroup = () => stack.sql(`select 1 from alert where participant_id = $1 and group_id = $2`, [alice.participantId, groupUuid]);
    expect((await inGroup()).length).toBeGreaterThan(0);
    await stack.platform
      .get(WithdrawalService)
      .withdraw(enrollmentId, { kind: 'admin', adminId: '00000000-0000-4000-8000-000000000001', login: 'alerts-partner' });
    await waitFor('the alerts gone', async () => (await inGroup()).length === 0);
    // The acknowledgement's audit row stays.
    expect(await stack.sql(`select 1 from audit_event where action = 'alert.acknowledged'`)).not.toHaveLength(0);
  });

  // Last: a connection that needs reconnecting keeps sync from ever looking idle again.
  it('raises reconnect_needed when OMRON refuses a participant’s refresh token', async () => {
    const checks = stack.platform.get(AlertChecks);
    await checks.followConnections();
    const erin = await stack.enroll('erin@sandbox.test');
    await stack.revokeAtOmron(erin.connection.id);
    await stack.makeDue(erin.connection.id);
    await expect(stack.tokens.accessToken(erin.connection.id)).rejects.toThrow();
    const [alert] = await waitFor('the reconnect alert', async () => {
      await checks.followConnections();
      const rows = await alertsOf(erin.participantId);
      return rows.length > 0 && rows;
    });
    expect(alert).toMatchObject({ rule: 'reconnect_needed', status: 'open', reading_id: null, detail: { reason: 'invalid_grant' } });
    await checks.followConnections();
    expect(await alertsOf(erin.participantId)).toHaveLength(1);

    // Erin authorises the platform again: the follower resolves the alert as the platform.
    await stack.connectUser('erin@sandbox.test');
    await checks.followConnections();
    const [resolved] = await stack.sql<{ status: string; resolution: string; acknowledged_login: string | null }>(
      `select status, resolution, acknowledged_login from alert where id = $1`,
      [alert.id],
    );
    expect(resolved).toEqual({ status: 'resolved', resolution: 'reconnected', acknowledged_login: null });
    expect((await groupAdmin.get(`/alerts/${alert.id}`)).text).toContain('The participant connected OMRON again.');
  }, 120_000);
});
