import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { Clock, ConnectionUnavailableError, OmronConnection, OmronConnectionEvent } from '@opendsp/tokens';
import { MikroORM } from '@mikro-orm/postgresql';
import { adminQuery, itOnServer } from './support/test-database.js';
import { buildForChildProcesses } from './support/child-build.js';
import { startTokenStack, type TokenStack } from './support/token-stack.js';

async function connectionRow(stack: TokenStack, id: string): Promise<OmronConnection> {
  return stack.platform.get(MikroORM).em.fork().findOneOrFail(OmronConnection, id);
}

describe('OMRON tokens against the sandbox (rotation and reuse detection on)', () => {
  let stack: TokenStack;
  let build: Awaited<ReturnType<typeof buildForChildProcesses>>;

  beforeAll(async () => {
    [stack, build] = await Promise.all([
      startTokenStack({
        SANDBOX_REFRESH_ROTATION: 'rotate',
        SANDBOX_REFRESH_REUSE_DETECTION: 'true',
        SANDBOX_RATE_LIMIT_PER_MINUTE: '100000',
      }),
      buildForChildProcesses(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('stores a new authorisation and hands out an access token the measurement API accepts', async () => {
    const connection = await stack.connectUser('first@sandbox.test');
    const token = await stack.tokens.accessToken(connection.id);
    expect(await stack.measure(token)).toEqual({ http: 200, status: 0 });
    expect(await stack.accessTokensIssued(connection.omronUserId)).toBe(1);
  });

  itOnServer(
    'sends one refresh upstream for 1,000 concurrent requests across two processes, and everyone gets its token',
    async () => {
      const connection = await stack.connectUser('crowd@sandbox.test');
      const before = await stack.tokens.accessToken(connection.id);
      await stack.makeDue(connection.id);

      const child = spawn(process.execPath, [join(build.dir, 'test/support/token-load-worker.js'), connection.id, '500'], {
        env: { ...process.env, ...stack.platformEnv, LOG_LEVEL: 'silent' },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      expect((await lines.next()).value).toBe('ready');
      child.stdin!.write('go\n');
      const [here, there] = await Promise.all([
        Promise.allSettled(Array.from({ length: 500 }, () => stack.tokens.accessToken(connection.id))),
        lines.next().then(({ value }) => JSON.parse(value as string) as { tokens: string[]; fulfilled: number; errors: string[] }),
      ]);
      child.stdin!.end();

      const hereTokens = here.filter((r): r is PromiseFulfilledResult<string> => r.status === 'fulfilled').map((r) => r.value);
      expect(hereTokens).toHaveLength(500);
      expect(there.errors).toEqual([]);
      expect(there.fulfilled).toBe(500);
      const distinct = new Set([...hereTokens, ...there.tokens]);
      expect(distinct.size).toBe(1);
      expect(distinct.has(before)).toBe(false);
      // One initial token plus exactly one refresh reached OMRON; a second would have been reuse and revoked the family.
      expect(await stack.accessTokensIssued(connection.omronUserId)).toBe(2);
      expect((await connectionRow(stack, connection.id)).state).toBe('active');
      expect(await stack.measure([...distinct][0]!)).toEqual({ http: 200, status: 0 });
    },
    60_000,
  );

  it('marks the connection "reconnect needed" after one invalid_grant, with the reason, and stops asking', async () => {
    const connection = await stack.connectUser('revoked@sandbox.test');
    // The user revoked the app at OMRON: the refresh token's family is dead.
    await stack.revokeAtOmron(connection.id);
    await stack.makeDue(connection.id);

    await expect(stack.tokens.accessToken(connection.id)).rejects.toThrow(ConnectionUnavailableError);
    const row = await connectionRow(stack, connection.id);
    expect(row).toMatchObject({ state: 'reconnect_needed', stateReason: 'invalid_grant', nextRefreshAttemptAt: null });
    expect(row.stateChangedAt.getTime()).toBeGreaterThan(Date.now() - 10_000);
    const events = await stack.platform
      .get(MikroORM)
      .em.fork()
      .find(OmronConnectionEvent, { connectionId: connection.id }, { orderBy: { id: 'asc' } });
    expect(events.map((e) => [e.fromState, e.toState, e.reason])).toEqual([
      [null, 'active', 'authorised'],
      ['active', 'reconnect_needed', 'invalid_grant'],
    ]);
    // No retry storm: later callers are refused without a request to OMRON, and the scheduler skips it.
    await expect(stack.tokens.accessToken(connection.id)).rejects.toMatchObject({ state: 'reconnect_needed' });
    expect(await stack.accessTokensIssued(connection.omronUserId)).toBe(1);
  });

  it('reactivates the same connection when the user authorises again', async () => {
    const first = await stack.connectUser('again@sandbox.test');
    await adminQuery(
      stack.database.settings.url,
      `update omron_connection set state = 'reconnect_needed', state_reason = 'invalid_grant' where id = $1`,
      [first.id],
    );
    const second = await stack.connectUser('again@sandbox.test');
    expect(second.id).toBe(first.id);
    expect((await connectionRow(stack, first.id)).state).toBe('active');
    expect(await stack.measure(await stack.tokens.accessToken(first.id))).toEqual({ http: 200, status: 0 });
  });

  it('stays active through 30% injected 503s on the token endpoint', async () => {
    const connection = await stack.connectUser('flaky@sandbox.test');
    const faults = (body?: object) =>
      fetch(`${stack.sandbox.baseUrl}/admin/faults`, {
        method: body ? 'PUT' : 'GET',
        headers: { 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      }).then((response) => response.json() as Promise<{ endpoint: string; injected: { error: number } }[]>);
    await faults({ endpoint: '/stg/connect/token', errorRate: 0.3, errorStatuses: [503], seed: 42 });
    try {
      for (let i = 0; i < 30; i++) {
        await stack.makeDue(connection.id);
        expect(await stack.measure(await stack.tokens.accessToken(connection.id))).toEqual({ http: 200, status: 0 });
      }
      const [tokenEndpoint] = await faults();
      expect(tokenEndpoint!.injected.error).toBeGreaterThan(3); // the faults really hit the refreshes
      expect((await connectionRow(stack, connection.id)).state).toBe('active');
    } finally {
      await fetch(`${stack.sandbox.baseUrl}/admin/faults`, { method: 'DELETE' });
    }
  }, 60_000);

  it('revokes the tokens upstream and wipes them here when the participant withdraws', async () => {
    const connection = await stack.connectUser('leaving@sandbox.test');
    const token = await stack.tokens.accessToken(connection.id);
    await stack.tokens.withdraw(connection.id, 'participant withdrew');
    const row = await connectionRow(stack, connection.id);
    expect(row).toMatchObject({ state: 'withdrawn', accessTokenCiphertext: null, refreshTokenCiphertext: null, idTokenCiphertext: null });
    expect((await stack.measure(token)).http).toBe(401);
    await expect(stack.tokens.accessToken(connection.id)).rejects.toMatchObject({ state: 'withdrawn' });
  });
});

describe('OMRON tokens when refresh responses leave out refresh_token', () => {
  let stack: TokenStack;

  beforeAll(async () => {
    stack = await startTokenStack({ SANDBOX_REFRESH_ROTATION: 'omit' });
  }, 60_000);
  afterAll(() => stack?.close());

  it('keeps the stored refresh token through three refreshes, and every new access token works', async () => {
    const connection = await stack.connectUser('omit@sandbox.test');
    const refreshBefore = (await connectionRow(stack, connection.id)).refreshTokenCiphertext;
    const seen = new Set([await stack.tokens.accessToken(connection.id)]);
    for (let i = 0; i < 3; i++) {
      await stack.makeDue(connection.id);
      const token = await stack.tokens.accessToken(connection.id);
      expect(seen.has(token)).toBe(false);
      seen.add(token);
      expect(await stack.measure(token)).toEqual({ http: 200, status: 0 });
    }
    const row = await connectionRow(stack, connection.id);
    expect(row.state).toBe('active');
    expect(row.refreshTokenCiphertext).toBe(refreshBefore);
    expect(await stack.accessTokensIssued(connection.omronUserId)).toBe(4);
  });
});

describe('OMRON tokens over a simulated day with the clocks 30 s apart', () => {
  let stack: TokenStack;

  beforeAll(async () => {
    stack = await startTokenStack({ SANDBOX_ACCESS_TOKEN_TTL_SECONDS: '3600', SANDBOX_RATE_LIMIT_PER_MINUTE: '100000' });
  }, 60_000);
  afterAll(() => stack?.close());

  it('never calls the measurement API with a token OMRON considers expired', async () => {
    const connection = await stack.connectUser('day@sandbox.test');
    const platformClock = stack.platform.get(Clock);
    let sandboxOffsetSeconds = 0;
    let skewSeconds = 0;
    // The platform's clock runs 30 s ahead of or behind the sandbox's, alternating every simulated hour.
    platformClock.now = () => new Date(Date.now() + (sandboxOffsetSeconds + skewSeconds) * 1000);
    const rejected: number[] = [];
    let calls = 0;
    for (let minute = 0; minute <= 24 * 60; minute += 4) {
      sandboxOffsetSeconds = minute * 60;
      skewSeconds = Math.floor(minute / 60) % 2 === 0 ? 30 : -30;
      const set = await fetch(`${stack.sandbox.baseUrl}/admin/clock`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ offsetSeconds: sandboxOffsetSeconds }),
      });
      expect(set.status).toBe(200);
      if (minute % 20 === 0) await stack.tokens.refreshDue({ spacingMs: 0 });
      const { http } = await stack.measure(await stack.tokens.accessToken(connection.id));
      calls++;
      if (http !== 200) rejected.push(minute);
    }
    expect(calls).toBe(361);
    expect(rejected).toEqual([]);
    // About one refresh per 54 minutes of a 60-minute token: the day took ~27 of them, not one per call.
    const issued = await stack.accessTokensIssued(connection.omronUserId);
    expect(issued).toBeGreaterThanOrEqual(24);
    expect(issued).toBeLessThanOrEqual(40);
    expect((await connectionRow(stack, connection.id)).state).toBe('active');
  }, 120_000);
});
