import fc from 'fast-check';
import request from 'supertest';
import type { ProgramGroup } from '@opendsp/groups';
import { startApiStack, writeReadings, problemOf, type ApiStack } from './support/api-stack.js';

describe('REST API pagination', () => {
  let stack: ApiStack;
  let token: string;

  beforeAll(async () => {
    stack = await startApiStack({ API_RATE_LIMIT_PER_MINUTE: '100000' });
    const { clientId, secret } = await stack.client(['participants:read', 'measurements:read'], 'all');
    token = await stack.token(clientId, secret);
  });
  afterAll(() => stack?.close());

  const get = async (path: string, query: Record<string, string | number | undefined> = {}) => {
    const res = await request(stack.server)
      .get(path)
      .query(Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)))
      .auth(token, { type: 'bearer' });
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${res.text}`);
    return res.body;
  };

  it('pages measurements without a duplicate or a gap while readings arrive between pages (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          // Minutes after the start of the range; repeats make equal measurement times, which the tie-breaker orders.
          initial: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 40 }),
          arriving: fc.array(fc.array(fc.integer({ min: -30, max: 330 }), { maxLength: 4 }), { maxLength: 12 }),
          limit: fc.integer({ min: 1, max: 9 }),
        }),
        async ({ initial, arriving, limit }) => {
          run++;
          const group = await stack.group(`Paging ${run}`);
          const participant = await stack.participant([group]);
          const start = Date.UTC(2026, 10, 10);
          let upstream = 0;
          const write = (minutes: number[]) =>
            writeReadings(
              stack.orm.em,
              minutes.map((minute) => ({
                kind: 'blood_pressure' as const,
                participantId: participant.id,
                upstreamId: ++upstream,
                measuredAt: new Date(start + minute * 60_000),
              })),
            );
          await write(initial);
          const before = new Set(Array.from({ length: initial.length }, (_, index) => String(index + 1)));

          const seen: { upstreamId: string; measuredAt: string }[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const body = await get(`/api/v1/participants/${participant.ogscId}/measurements/blood_pressure`, {
              from: new Date(start).toISOString(),
              to: new Date(start + 301 * 60_000).toISOString(),
              cursor,
              limit,
            });
            seen.push(...body.data);
            cursor = body.nextCursor ?? undefined;
            if (arriving[pages]?.length) await write(arriving[pages]);
            pages++;
          } while (cursor);

          const ids = seen.map((reading) => reading.upstreamId);
          expect(new Set(ids).size).toBe(ids.length);
          expect([...before].filter((id) => !ids.includes(id))).toEqual([]);
          const times = seen.map((reading) => reading.measuredAt);
          expect(times).toEqual([...times].sort());
          // Only readings inside [from, to).
          expect(times.every((time) => time >= new Date(start).toISOString() && time < new Date(start + 301 * 60_000).toISOString())).toBe(
            true,
          );
        },
      ),
      { numRuns: 15 },
    );
  });

  it('pages participants by OGSC ID without a duplicate or a gap while participants are added', async () => {
    const group = await stack.group('Many participants');
    const existing = [];
    for (let i = 0; i < 23; i++) existing.push(await stack.participant([group], i % 3 === 0 ? 'invited' : 'consented'));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const body = await get('/api/v1/participants', { groupId: group.groupId, cursor, limit: 4 });
      seen.push(...body.data.map((participant: { ogscId: string }) => participant.ogscId));
      cursor = body.nextCursor ?? undefined;
      await stack.participant([group]);
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(existing.map((participant) => participant.ogscId).filter((id) => !seen.includes(id))).toEqual([]);
    expect(seen).toEqual([...seen].sort());

    const invited = await get('/api/v1/participants', { groupId: group.groupId, status: 'invited', limit: 500 });
    expect(invited.data.map((participant: { ogscId: string }) => participant.ogscId).sort()).toEqual(
      existing
        .filter((_, i) => i % 3 === 0)
        .map((participant) => participant.ogscId)
        .sort(),
    );
  });

  it('lists participants changed since a time: enrollments and connections count as changes', async () => {
    const group: ProgramGroup = await stack.group('Updated since');
    const quiet = await stack.participant([group]);
    const changed = await stack.participant([group]);
    const connected = await stack.participant([group], 'consented', { omronUserId: `sub-${Date.now()}` });
    await stack.sql(`update participant set updated_at = '2026-01-01T00:00:00Z' where id = any($1)`, [
      [quiet.id, changed.id, connected.id],
    ]);
    await stack.sql(`update enrollment set updated_at = '2026-01-01T00:00:00Z' where participant_id = any($1)`, [
      [quiet.id, changed.id, connected.id],
    ]);
    await stack.sql(`update enrollment set internal_customer_id = 'C-9', updated_at = '2026-06-01T00:00:00Z' where participant_id = $1`, [
      changed.id,
    ]);
    await stack.sql(
      `insert into omron_connection (id, omron_user_id, scopes, redirect_uri, access_token_expires_at, access_token_lifetime_seconds, state, state_changed_at, transient_failures, created_at, updated_at)
       values (gen_random_uuid(), $1, 'bloodpressure', 'https://x.example/cb', now(), 3600, 'reconnect_needed', '2026-07-01T00:00:00Z', 0, '2026-07-01T00:00:00Z', '2026-07-01T00:00:00Z')`,
      [connected.omronUserId],
    );
    const since = await get('/api/v1/participants', { groupId: group.groupId, updatedSince: '2026-05-01T09:00:00+09:00' });
    expect(since.data.map((participant: { ogscId: string }) => participant.ogscId).sort()).toEqual(
      [changed.ogscId, connected.ogscId].sort(),
    );
    const view = since.data.find((participant: { ogscId: string }) => participant.ogscId === connected.ogscId);
    expect(view.connection).toEqual({
      state: 'reconnect_needed',
      stateChangedAt: '2026-07-01T00:00:00.000Z',
      stateReason: null,
      scopes: ['bloodpressure'],
    });
    expect(view.updatedAt).toBe('2026-07-01T00:00:00.000Z');
  });

  it('refuses a cursor from another list or one that was edited, naming the field', async () => {
    const group = await stack.group('Cursor owner');
    for (let i = 0; i < 3; i++) await stack.participant([group]);
    const first = await get('/api/v1/participants', { groupId: group.groupId, limit: 1 });
    expect(first.nextCursor).toEqual(expect.any(String));
    for (const [path, cursor] of [
      ['/api/v1/groups', first.nextCursor],
      [`/api/v1/participants/${first.data[0].ogscId}/measurements/weight`, first.nextCursor],
      ['/api/v1/participants', `${first.nextCursor}x`],
      ['/api/v1/participants', Buffer.from('["OG-1\' or 1=1"]').toString('base64url')],
    ]) {
      const res = await request(stack.server).get(path).query({ cursor }).auth(token, { type: 'bearer' });
      expect([path, res.status]).toEqual([path, 400]);
      expect(problemOf(res)).toMatchObject({
        code: 'validation_failed',
        errors: [expect.objectContaining({ field: 'cursor', code: 'invalid_cursor' })],
      });
    }
  });

  it('pages groups by group ID', async () => {
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const body = await get('/api/v1/groups', { cursor, limit: 2 });
      all.push(...body.data.map((group: { groupId: string }) => group.groupId));
      cursor = body.nextCursor ?? undefined;
    } while (cursor);
    const [{ count }] = await stack.sql<{ count: number }>(`select count(*)::int as count from program_group`);
    expect(all).toHaveLength(count);
    expect(all).toEqual([...all].sort());
  });
});
