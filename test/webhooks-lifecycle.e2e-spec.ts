import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import type { ProgramGroup } from '@opendsp/groups';
import { ConsentRecords, EnrollmentChangesPort, WithdrawalService } from '@opendsp/participants';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { WebhookDeliveryPruner } from '../libs/webhooks/src/webhook-delivery-pruner.service.js';
import { WebhookDispatcher } from '../libs/webhooks/src/webhook-dispatcher.service.js';
import { startConsentStack, type ConsentStack } from './support/consent-stack.js';

type Delivery = { id: string; endpoint_id: string; event_type: string; status: string; body: string };
type EventBody = { type: string; timestamp: string; data: Record<string, unknown> };

/**
 * The webhooks room's durability and the endpoint lifecycle, on a web-role platform: no dispatcher runs here, so
 * a delivery row that exists was written by the change itself, not by a later pass.
 */
describe('webhook events and endpoints', () => {
  let stack: ConsentStack;
  let admin: PortalTestClient;
  let group: ProgramGroup;
  let otherGroup: ProgramGroup;
  let receiver: { server: Server; url: string; paths: string[] };
  /** Subscribed to both people events of `group`. */
  let people: string;

  beforeAll(async () => {
    stack = await startConsentStack({ WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true' });
    const paths: string[] = [];
    const server = createServer((request, response) => {
      paths.push(request.url ?? '');
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
    const account = new AdminAccount('hooks-admin', 'Hooks admin', 'hooks-admin@example.test', 'partner-admin');
    account.passwordHash = await PasswordHasher.hash('a long enough password 1');
    await stack.em().persist(account).flush();
    admin = stack.client();
    expect((await admin.signIn('hooks-admin', 'a long enough password 1')).status).toBe(303);
    group = await stack.group('Outbox Study');
    otherGroup = await stack.group('Elsewhere Study');
    people = await addEndpoint('/people', ['participant.consented', 'participant.withdrawn'], [group.groupId]);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    receiver?.server.close();
  });

  async function addEndpoint(path: string, eventTypes: string[], groupIds: string[]): Promise<string> {
    await admin.get('/webhooks/new');
    const page = await admin.post('/webhooks', { url: `${receiver.url}${path}`, eventTypes, groupIds });
    expect(page.status).toBe(200);
    const id = /href="\/webhooks\/([0-9a-f-]{36})"/.exec(page.text)?.[1];
    if (!id) throw new Error(`no endpoint on the page: ${page.text}`);
    return id;
  }
  const deliveriesOf = (endpointId: string) =>
    stack.sql<Delivery>(
      `select id, endpoint_id, event_type, status, body from webhook_delivery where endpoint_id = $1 order by created_at, id`,
      [endpointId],
    );
  const bodyOf = (delivery: Delivery) => JSON.parse(delivery.body) as EventBody;
  /** True when the delivery row and the audit row were last written by one transaction (the same `xmin`). */
  async function sameTransaction(deliveryId: string, auditAction: string, ogscId: string): Promise<boolean> {
    const [row] = await stack.sql<{ same: boolean }>(
      `select (select xmin::text from webhook_delivery where id = $1)
            = (select xmin::text from audit_event where action = $2 and target_id = $3 order by id desc limit 1) as same`,
      [deliveryId, auditAction, ogscId],
    );
    return row.same;
  }
  async function consentThroughTheFlow(email: string, to: ProgramGroup): Promise<{ ogscId: string; client: PortalTestClient }> {
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(to));
    await stack.follow(client, await stack.omron(client, email));
    await client.get('/consent/consent');
    const done = await client.post('/consent/consent', { decision: 'accept' });
    expect(done.status).toBe(303);
    return { ogscId: new URL(done.headers.location!).searchParams.get('ogsc_id')!, client };
  }
  /** Makes the enrollment-change listeners fail after the webhooks room's one (a crash inside the transaction). */
  function failingListener(): () => void {
    return stack.platform.get(EnrollmentChangesPort).listen('test-failure', () => Promise.reject(new Error('listener failed')));
  }

  describe('consent and withdrawal events commit with the change', () => {
    let ogscId: string;
    let participantClient: PortalTestClient;

    it('queues participant.consented in the consent transaction of the real flow, for subscribed endpoints of the group only', async () => {
      const readingsOnly = await addEndpoint('/readings', ['readings.changed'], [group.groupId]);
      const elsewhere = await addEndpoint('/elsewhere', ['participant.consented'], [otherGroup.groupId]);
      ({ ogscId, client: participantClient } = await consentThroughTheFlow('outbox@sandbox.test', group));

      // As soon as the accept has answered: nobody waits on an event or a dispatcher pass.
      const [delivery, ...more] = await deliveriesOf(people);
      expect(more).toEqual([]);
      expect(delivery).toEqual(expect.objectContaining({ event_type: 'participant.consented', status: 'pending' }));
      const [enrollment] = await stack.sql<{ consented_at: Date; consented_scopes: string }>(
        `select e.consented_at, e.consented_scopes from enrollment e join participant p on p.id = e.participant_id where p.ogsc_id = $1`,
        [ogscId],
      );
      expect(bodyOf(delivery)).toEqual({
        type: 'participant.consented',
        timestamp: expect.any(String),
        data: {
          ogsc_id: ogscId,
          group_id: group.groupId,
          scopes: enrollment.consented_scopes.split(' '),
          consented_at: enrollment.consented_at.toISOString(),
        },
      });
      expect(await sameTransaction(delivery.id, 'enrollment.consented', ogscId)).toBe(true);
      expect(await deliveriesOf(readingsOnly)).toEqual([]);
      expect(await deliveriesOf(elsewhere)).toEqual([]);
    }, 60_000);

    it('queues participant.consented when a pre-created participant accepts, once, before they connect OMRON', async () => {
      const participant = await stack.preCreated(group, {
        loginId: 'outbox-pilot',
        password: 'Given-Password-0001',
        mustChangePassword: false,
      });
      const before = (await deliveriesOf(people)).length;
      const client = stack.client();
      await stack.openLink(client, stack.consentUrl(group));
      expect((await client.post('/consent/sign-in', { loginId: 'outbox-pilot', password: 'Given-Password-0001' })).headers.location).toBe(
        '/consent/consent',
      );
      await client.get('/consent/consent');
      const agreed = await client.post('/consent/consent', { decision: 'accept' });
      expect([agreed.status, agreed.headers.location]).toEqual([303, '/consent/connect']);
      const [queued, ...more] = (await deliveriesOf(people)).slice(before);
      expect(more).toEqual([]);
      expect(bodyOf(queued).data).toEqual(expect.objectContaining({ ogsc_id: participant.ogscId, group_id: group.groupId }));
      expect(await sameTransaction(queued.id, 'enrollment.consented', participant.ogscId)).toBe(true);

      // Connecting OMRON finishes the flow (sync's backfill follows the commit) but is not a second consent.
      await client.get('/consent/connect');
      expect((await stack.follow(client, await stack.omron(client, 'outbox-pilot@sandbox.test'))).status).toBe(303);
      expect(await deliveriesOf(people)).toHaveLength(before + 1);
    }, 60_000);

    it('queues nothing for a consent whose transaction rolls back', async () => {
      const participant = await stack.preCreated(group, { loginId: 'outbox-rollback', password: 'a password 123' });
      const before = await deliveriesOf(people);
      const stop = failingListener();
      try {
        await expect(
          stack.platform.get(ConsentRecords).consent(participant.id, group, ['bloodpressure'], new Date(), null),
        ).rejects.toThrow('listener failed');
      } finally {
        stop();
      }
      expect(await deliveriesOf(people)).toEqual(before);
      const [enrollment] = await stack.sql<{ status: string }>(`select status from enrollment where participant_id = $1`, [participant.id]);
      expect(enrollment.status).toBe('invited');
      expect(
        await stack.sql(`select 1 from audit_event where action = 'enrollment.consented' and target_id = $1`, [participant.ogscId]),
      ).toEqual([]);

      // The same consent once nothing fails: recorded, and its event with it.
      await stack.platform.get(ConsentRecords).consent(participant.id, group, ['bloodpressure'], new Date(), null);
      const added = (await deliveriesOf(people)).slice(before.length);
      expect(added.map((delivery) => [delivery.event_type, bodyOf(delivery).data.ogsc_id])).toEqual([
        ['participant.consented', participant.ogscId],
      ]);
    });

    it('queues participant.withdrawn in the withdrawal transaction, from the participant page and from the portal', async () => {
      const before = (await deliveriesOf(people)).length;
      const [{ id: enrollmentId }] = await stack.sql<{ id: string }>(
        `select e.id from enrollment e join participant p on p.id = e.participant_id where p.ogsc_id = $1`,
        [ogscId],
      );
      await participantClient.get(`/consent/me/withdraw/${enrollmentId}`);
      expect((await participantClient.post(`/consent/me/withdraw/${enrollmentId}`)).status).toBe(303);
      const [byParticipant] = (await deliveriesOf(people)).slice(before);
      expect(bodyOf(byParticipant)).toEqual({
        type: 'participant.withdrawn',
        timestamp: expect.any(String),
        data: { ogsc_id: ogscId, group_id: group.groupId, by: 'participant', readings_deleted: 0, withdrawn_at: expect.any(String) },
      });
      expect(await sameTransaction(byParticipant.id, 'enrollment.withdrawn', ogscId)).toBe(true);

      // An admin withdraws the pre-created participant who consented above.
      const [{ ogsc_id: other }] = await stack.sql<{ ogsc_id: string }>(
        `select ogsc_id from participant where login_id = 'outbox-rollback'`,
      );
      await admin.get(`/groups/${group.groupId}/participants/${other}`);
      expect((await admin.post(`/groups/${group.groupId}/participants/${other}/withdraw`)).status).toBe(303);
      const [byAdmin] = (await deliveriesOf(people)).slice(before + 1);
      expect(bodyOf(byAdmin).data).toEqual(expect.objectContaining({ ogsc_id: other, group_id: group.groupId, by: 'admin' }));
      expect(await sameTransaction(byAdmin.id, 'enrollment.withdrawn', other)).toBe(true);
    }, 60_000);

    it('queues nothing for a withdrawal whose transaction rolls back', async () => {
      const { ogscId: leaver } = await consentThroughTheFlow('outbox-stays@sandbox.test', group);
      const before = await deliveriesOf(people);
      const stop = failingListener();
      try {
        await expect(
          stack.platform.get(WithdrawalService).withdrawFromGroup(group.groupId, leaver, {
            kind: 'admin',
            adminId: '00000000-0000-4000-8000-000000000001',
            login: 'hooks-admin',
          }),
        ).rejects.toThrow('listener failed');
      } finally {
        stop();
      }
      expect(await deliveriesOf(people)).toEqual(before);
      const [enrollment] = await stack.sql<{ status: string }>(
        `select e.status from enrollment e join participant p on p.id = e.participant_id where p.ogsc_id = $1`,
        [leaver],
      );
      expect(enrollment.status).toBe('consented');
    }, 60_000);
  });

  describe('editing and deleting endpoints', () => {
    const endpointRow = (id: string) =>
      stack.sql<{ url: string; description: string; event_types: string[]; group_ids: string[]; readings_through_seq: string }>(
        `select url, description, event_types, group_ids, readings_through_seq::text from webhook_endpoint where id = $1`,
        [id],
      );
    const auditOf = (id: string) =>
      stack.sql<{ action: string; detail: Record<string, unknown> }>(
        `select action, detail from audit_event where target_id = $1 order by id`,
        [id],
      );

    it('edits the URL, event types and groups, audited with before and after; a newly added readings subscription starts from now', async () => {
      const id = await addEndpoint('/edit-me', ['participant.consented'], [group.groupId]);
      // A cursor left behind (as if made long ago): adding readings.changed must not replay what came since.
      await stack.sql(`update webhook_endpoint set readings_through_seq = 0 where id = $1`, [id]);
      await stack.sql(`select nextval('measurement_change_seq')`);
      const page = await admin.get(`/webhooks/${id}/edit`);
      expect(page.status).toBe(200);
      expect(page.text).toContain(`action="/webhooks/${id}"`);
      expect(page.text).toContain(`value="${receiver.url}/edit-me"`);
      expect(page.text).toMatch(/value="participant.consented" checked/);

      const saved = await admin.post(`/webhooks/${id}`, {
        url: `${receiver.url}/edited`,
        description: 'Both groups',
        eventTypes: ['participant.withdrawn', 'readings.changed'],
        groupIds: [group.groupId, otherGroup.groupId],
      });
      expect([saved.status, saved.headers.location]).toEqual([303, `/webhooks/${id}?notice=saved`]);
      const [row] = await endpointRow(id);
      expect(row).toEqual({
        url: `${receiver.url}/edited`,
        description: 'Both groups',
        event_types: ['participant.withdrawn', 'readings.changed'],
        group_ids: expect.arrayContaining([group.id, otherGroup.id]),
        readings_through_seq: expect.any(String),
      });
      expect(row.group_ids).toHaveLength(2);
      expect(BigInt(row.readings_through_seq)).toBeGreaterThan(0n);
      const audit = await auditOf(id);
      expect(audit.map((event) => event.action)).toEqual(['webhook_endpoint.created', 'webhook_endpoint.updated']);
      expect(audit[1].detail).toEqual({
        before: { url: `${receiver.url}/edit-me`, description: '', eventTypes: ['participant.consented'], groupIds: [group.groupId] },
        after: {
          url: `${receiver.url}/edited`,
          description: 'Both groups',
          eventTypes: ['participant.withdrawn', 'readings.changed'],
          groupIds: [group.groupId, otherGroup.groupId].sort(),
        },
      });
    });

    it('answers bad edits with a friendly 4xx and changes nothing', async () => {
      const id = await addEndpoint('/keep-me', ['participant.consented'], [group.groupId]);
      const [before] = await endpointRow(id);
      await admin.get(`/webhooks/${id}/edit`);
      const invalid = await admin.post(`/webhooks/${id}`, { url: 'ftp://partner.example/hook', eventTypes: [], groupIds: [group.groupId] });
      expect(invalid.status).toBe(422);
      expect(invalid.text).toContain('Enter an http:// or https:// address.');
      expect(invalid.text).toContain('Choose at least one event.');
      expect(invalid.text).toContain(`action="/webhooks/${id}"`);
      const unknownGroup = await admin.post(`/webhooks/${id}`, {
        url: `${receiver.url}/x`,
        eventTypes: ['participant.consented'],
        groupIds: ['ZZZZZZZZZZZZ'],
      });
      expect(unknownGroup.status).toBe(422);
      expect(unknownGroup.text).toContain('does not exist');
      // The same address checks as at creation: the platform's own network is refused.
      stack.config.webhooks.allowPrivateHosts = false;
      try {
        const refused = await admin.post(`/webhooks/${id}`, {
          url: 'http://169.254.169.254/latest/meta-data',
          eventTypes: ['participant.consented'],
          groupIds: [group.groupId],
        });
        expect(refused.status).toBe(422);
        expect(refused.text).toContain('private or internal network');
      } finally {
        stack.config.webhooks.allowPrivateHosts = true;
      }
      const form = { url: `${receiver.url}/x`, eventTypes: ['participant.consented'], groupIds: [group.groupId] };
      for (const path of ['/webhooks/00000000-0000-4000-8000-000000000000', '/webhooks/not-a-uuid']) {
        expect((await admin.get(`${path}/edit`)).status).toBe(404);
        expect((await admin.get(`${path}/delete`)).status).toBe(404);
        expect((await admin.post(path, form)).status).toBe(404);
        expect((await admin.post(`${path}/delete`)).status).toBe(404);
      }
      expect((await admin.post(`/webhooks/${id}`, form, { csrf: false })).status).toBe(403);
      expect((await admin.post(`/webhooks/${id}/delete`, {}, { csrf: false })).status).toBe(403);
      expect(await endpointRow(id)).toEqual([before]);
      expect((await auditOf(id)).map((event) => event.action)).toEqual(['webhook_endpoint.created']);
    });

    it('deletes an endpoint with its log: its waiting deliveries are never sent, and nothing more is queued for it', async () => {
      const doomed = await addEndpoint('/doomed', ['participant.consented'], [otherGroup.groupId]);
      const kept = await addEndpoint('/kept', ['participant.consented'], [otherGroup.groupId]);
      await consentThroughTheFlow('outbox-doomed@sandbox.test', otherGroup);
      expect(await deliveriesOf(doomed)).toHaveLength(1);

      expect((await admin.get(`/webhooks/${doomed}`)).text).toContain(`href="/webhooks/${doomed}/delete"`);
      // Asked first, with what goes with it.
      const confirm = await admin.get(`/webhooks/${doomed}/delete`);
      expect(confirm.status).toBe(200);
      expect(confirm.text).toContain('1 message(s) in the log, 1 of them waiting to be sent');
      expect(confirm.text).toContain(`action="/webhooks/${doomed}/delete"`);
      const deleted = await admin.post(`/webhooks/${doomed}/delete`);
      expect([deleted.status, deleted.headers.location]).toEqual([303, '/webhooks?notice=endpoint_deleted']);
      expect((await admin.get('/webhooks?notice=endpoint_deleted')).text).toContain('The endpoint and its delivery log have been deleted.');
      expect(await stack.sql(`select 1 from webhook_endpoint where id = $1`, [doomed])).toEqual([]);
      expect(await deliveriesOf(doomed)).toEqual([]);
      expect((await admin.get(`/webhooks/${doomed}`)).status).toBe(404);
      const audit = await auditOf(doomed);
      expect(audit.map((event) => event.action)).toEqual(['webhook_endpoint.created', 'webhook_endpoint.deleted']);
      expect(audit[1].detail).toEqual({
        url: `${receiver.url}/doomed`,
        description: '',
        eventTypes: ['participant.consented'],
        groupIds: [otherGroup.groupId],
        deliveriesDeleted: 1,
        pendingDropped: 1,
      });

      // A dispatcher pass sends what the remaining endpoint has waiting, and nothing to the deleted one.
      await stack.platform.get(WebhookDispatcher).runOnce();
      expect(receiver.paths).toContain('/kept');
      expect(receiver.paths).not.toContain('/doomed');
      await consentThroughTheFlow('outbox-later@sandbox.test', otherGroup);
      expect(await deliveriesOf(doomed)).toEqual([]);
      expect((await deliveriesOf(kept)).map((delivery) => delivery.status)).toEqual(['succeeded', 'pending']);
    }, 60_000);
  });

  describe('retention', () => {
    it('prunes delivered and failed messages older than WEBHOOK_DELIVERY_RETENTION_DAYS after their last attempt, never a waiting one', async () => {
      const id = await addEndpoint('/retention', ['participant.consented'], [group.groupId]);
      const now = new Date('2026-12-31T00:00:00Z');
      const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000 - 1000);
      const rows: [string, string, Date | null, Date][] = [
        ['msg_old_delivered', 'succeeded', daysAgo(30), daysAgo(31)],
        ['msg_old_failed', 'failed', daysAgo(31), daysAgo(34)],
        ['msg_recent_delivered', 'succeeded', daysAgo(29), daysAgo(60)],
        // Replayed long after it was made: pending again, kept however old its last attempt is.
        ['msg_old_pending', 'pending', daysAgo(90), daysAgo(95)],
        ['msg_never_tried', 'pending', null, daysAgo(100)],
      ];
      for (const [deliveryId, status, lastAttemptAt, createdAt] of rows)
        await stack.sql(
          `insert into webhook_delivery (id, endpoint_id, event_type, body, status, attempts, next_attempt_at, first_attempt_at, last_attempt_at, created_at)
           values ($1, $2, 'participant.consented', '{}', $3, $4, $5, $6, $7, $6)`,
          [deliveryId, id, status, lastAttemptAt ? 1 : 0, status === 'pending' ? now : null, createdAt, lastAttemptAt],
        );
      expect(stack.config.webhooks.deliveryRetentionDays).toBe(30);

      const pruner = stack.platform.get(WebhookDeliveryPruner);
      expect(await pruner.prune(now)).toBe(2);
      expect((await deliveriesOf(id)).map((delivery) => delivery.id).sort()).toEqual([
        'msg_never_tried',
        'msg_old_pending',
        'msg_recent_delivered',
      ]);
      expect(await pruner.prune(now)).toBe(0);
      // A day later the recent one has aged out too; the waiting ones stay.
      expect(await pruner.prune(new Date(now.getTime() + 86_400_000))).toBe(1);
      expect((await deliveriesOf(id)).map((delivery) => delivery.id).sort()).toEqual(['msg_never_tried', 'msg_old_pending']);
    });
  });
});
