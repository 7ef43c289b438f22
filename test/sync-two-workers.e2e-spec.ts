import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { ApiClient, formatScopes, hashCredential, newClientSecret } from '@opendsp/api';
import { MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { SyncScheduling } from '@opendsp/sync';
import { buildForChildProcesses } from './support/child-build.js';
import { startSyncStack, waitFor, type EnrolledParticipant, type SyncStack } from './support/sync-stack.js';

const KINDS: MeasurementKind[] = ['blood_pressure', 'weight', 'oxygen', 'activity'];
const PARTICIPANTS = 12;
const WORKERS = 2;

interface FeedReading {
  kind: MeasurementKind;
  ogscId: string;
  upstreamId: string;
  changeSeq: number;
}

/** A worker child process and the pulls it logged as done (`kind participantId`). */
interface Worker {
  child: ChildProcess;
  pulls: string[];
  exited: Promise<unknown>;
}

describe('two worker processes against one PostgreSQL', () => {
  let stack: SyncStack;
  let build: Awaited<ReturnType<typeof buildForChildProcesses>>;
  const workers: Worker[] = [];

  beforeAll(async () => {
    // This process only receives notifications, serves the API and enqueues; the pulls run in the two children.
    [stack, build] = await Promise.all([
      startSyncStack({}, { PROCESS_ROLE: 'web', SYNC_PAGE_SIZE: '50', API_RATE_LIMIT_PER_MINUTE: '1000000' }),
      buildForChildProcesses(),
    ]);
  }, 120_000);
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await stack?.close();
  });

  async function startWorker(): Promise<Worker> {
    const child = spawn(process.execPath, [join(build.dir, 'test/support/sync-worker-process.js')], {
      // Two pulls at a time each, so neither process can take the whole queue while the other starts.
      env: { ...process.env, ...stack.platformEnv, PROCESS_ROLE: 'worker', LOG_LEVEL: 'info', SYNC_WORKER_CONCURRENCY: '2' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const pulls: string[] = [];
    let ready!: () => void;
    const started = new Promise<void>((resolve) => (ready = resolve));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') return ready();
      // JSON log lines: SyncWorkers logs each pull that stored something ("<kind> of <participant>: N new or changed …").
      const message = /^\{/.test(line) ? (JSON.parse(line) as { msg?: string }).msg : undefined;
      const done = message && /^(\w+) of ([0-9a-f-]{36}): \d+ new or changed readings/.exec(message);
      if (done) pulls.push(`${done[1]} ${done[2]}`);
    });
    await Promise.race([started, exited.then(() => Promise.reject(new Error('a worker exited before it was ready')))]);
    return { child, pulls, exited };
  }

  /** A bearer token of an API client that reads every group, created as the portal does. */
  async function apiToken(): Promise<string> {
    const em = stack.platform.get(MikroORM).em.fork();
    const secret = newClientSecret();
    const client = new ApiClient({
      name: 'Feed reader',
      scopes: formatScopes(['measurements:read']),
      allGroups: true,
      secretHash: hashCredential(secret),
    });
    await em.persist(client).flush();
    const response = await fetch(`${stack.platformUrl}/api/v1/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    if (response.status !== 200) throw new Error(`token request answered ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  it('share many participants’ pulls with no reading lost or stored twice, and the change feed hands each out once', async () => {
    // Readings go in before the participants authorise the platform, so nothing is pulled before both workers run.
    const users: EnrolledParticipant[] = [];
    for (let index = 0; index < PARTICIPANTS; index++) {
      const email = `two-workers-${index}@sandbox.test`;
      const sandboxUser = await stack.sandbox.user(email);
      const range = { from: '2025-01-01', to: '2026-06-30', seed: 100 + index };
      await stack.generate(sandboxUser.id, { ...range, type: 'bloodpressure', count: 150 + 20 * index, afibRate: 0.05 });
      await stack.generate(sandboxUser.id, { ...range, type: 'weight', count: 60 + 5 * index });
      await stack.generate(sandboxUser.id, { ...range, type: 'oxygen', count: 40 + 3 * index });
      await stack.generate(sandboxUser.id, { ...range, type: 'activity', count: 20 + index });
      users.push(await stack.enroll(email));
    }
    await stack.sql(`delete from sync_notification`);
    const [group] = await stack.sql<{ group_id: string }>(`select group_id from program_group where display_name = 'Sync test group'`);
    const token = await apiToken();

    for (let index = 0; index < WORKERS; index++) workers.push(await startWorker());

    // A partner system reads the change feed the whole time, as fast as it can, as the API hands it out.
    const feed: FeedReading[] = [];
    let since = 0;
    const readFeed = async (): Promise<boolean> => {
      const response = await fetch(`${stack.platformUrl}/api/v1/changes?groupId=${group.group_id}&since=${since}&limit=500`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (response.status !== 200) throw new Error(`change feed answered ${response.status}: ${await response.text()}`);
      const page = (await response.json()) as { data: FeedReading[]; nextSince: number; hasMore: boolean };
      feed.push(...page.data);
      since = page.nextSince;
      return page.hasMore;
    };
    let syncing = true;
    const reader = (async () => {
      while (syncing) {
        if (!(await readFeed())) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    const scheduling = stack.platform.get(SyncScheduling);
    for (const user of users) await scheduling.requestBackfill(user.participantId);
    // While the backfills run, a few participants upload more: OMRON notifies, and incremental pulls of the same
    // participants and kinds join the queue behind (or beside) their backfills.
    await waitFor('the first pages stored', async () => {
      const [row] = await stack.sql<{ count: number }>(`select count(*)::int as count from blood_pressure_reading`);
      return row.count > 0;
    });
    for (const user of users.slice(0, 3)) {
      await stack.generate(user.sandboxUserId, { from: '2026-07-01', to: '2026-07-02', type: 'bloodpressure', count: 5, seed: 7 });
    }

    try {
      await stack.waitForIdle(180_000);
    } finally {
      syncing = false;
      await reader;
    }
    const readWhileSyncing = feed.length;
    while (await readFeed());
    for (const worker of workers) worker.child.stdin!.end();
    await Promise.all(workers.map((worker) => worker.exited));

    // Every reading the sandbox holds is stored once, field for field.
    let total = 0;
    for (const user of users) {
      for (const kind of KINDS) {
        const [truth, rows] = await Promise.all([stack.groundTruth(user.sandboxUserId, kind), stack.stored(user.participantId, kind)]);
        const storedIds = new Set(rows.map((row) => row.upstream_id));
        const lost = truth.filter((row) => !storedIds.has(row.upstream_id)).length;
        expect({ kind, lost, duplicated: rows.length - storedIds.size }).toEqual({ kind, lost: 0, duplicated: 0 });
        expect(rows).toEqual(truth);
        total += truth.length;
      }
    }
    expect(total).toBeGreaterThan(4000);

    // The feed, read while both processes wrote: in order, each change sequence number once, nothing skipped.
    const seqs = feed.map((reading) => reading.changeSeq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const rows = await stack.sql<{ key: string }>(
      KINDS.map(
        (kind) =>
          `select '${kind}/' || p.ogsc_id || '/' || r.upstream_id || '@' || r.change_seq as key
             from ${MEASUREMENT_KINDS[kind].table} r join participant p on p.id = r.participant_id`,
      ).join(' union all '),
    );
    expect(rows).toHaveLength(total);
    const delivered = feed.map((reading) => `${reading.kind}/${reading.ogscId}/${reading.upstreamId}@${reading.changeSeq}`);
    expect(delivered.sort()).toEqual(rows.map((row) => row.key).sort());
    // The reader ran beside the writers, not only in the drain afterwards.
    expect(readWhileSyncing).toBeGreaterThan(0);

    // Both processes did a fair part of the work, and between them every participant's every kind.
    const pulls = workers.map((worker) => worker.pulls);
    expect(pulls.map((done) => done.length > 0)).toEqual([true, true]);
    const covered = new Set(pulls.flat());
    expect(covered.size).toBe(PARTICIPANTS * KINDS.length);
  }, 300_000);
});
