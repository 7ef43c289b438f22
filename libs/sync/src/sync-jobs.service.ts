import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { PgBoss, type Db, type JobWithMetadata, type Queue } from 'pg-boss';
import { DspConfig } from '@opendsp/config';
import type { MeasurementKind } from '@opendsp/measurements';

/** pg-boss keeps its tables in a schema of its own, which it creates and migrates itself at start. */
export const JOB_SCHEMA = 'pgboss';
/** One pull of one participant's readings of one kind. */
export const PULL_QUEUE = 'sync-pull';
/** Pulls that failed their last retry land here; a worker lists them in `sync_dead_letter`. */
export const DEAD_LETTER_QUEUE = 'sync-pull-dead-letter';

export const SYNC_ROLES = Symbol('SYNC_ROLES');
/** Which parts of the sync this process runs (see DspModule): the receiver in web roles, the work in worker roles. */
export interface SyncRoles {
  web: boolean;
  worker: boolean;
}

export interface PullJobData {
  participantId: string;
  kind: MeasurementKind;
}

/**
 * Which lane a pull runs in. `fresh`: asked for by a notification or "sync now"; it is fetched before any
 * background job, has a worker slot of its own in each process, and the budget share background pulls may not use.
 * `background`: backfills (a whole history) and reconciliation, run a few pages per turn (fair across participants).
 */
export type PullLane = 'fresh' | 'background';

/** pg-boss priorities of the lanes (higher is fetched first). */
export const LANE_PRIORITY: Record<PullLane, number> = { fresh: 10, background: 0 };

/** Worker slots per process that take only fresh pulls, beside SYNC_WORKER_CONCURRENCY slots that take any. */
const FRESH_SLOTS = 1;

/** A pull to queue, and its lane (background unless said otherwise). */
export interface QueuedPull extends PullJobData {
  lane?: PullLane;
}

/** The queue key that coalesces pulls: at most one waiting and one running per participant and kind. */
export const pullKey = (data: PullJobData): string => `${data.participantId}:${data.kind}`;

/** pg-boss connections of one process (its own small pool beside the ORM's). */
const POOL_MAX = 3;
/** How long a graceful stop waits for running pulls to finish their page. */
const STOP_TIMEOUT_MS = 20_000;

/**
 * The platform's durable job queue: pg-boss on the platform's PostgreSQL. Both roles start it (web
 * processes enqueue, e.g. "sync now"); only worker processes supervise it (expire jobs of dead workers,
 * retry, dead-letter) and run handlers.
 *
 * The pull queue uses pg-boss's `stately` policy keyed by participant and kind: one waiting job and one
 * running job at most, so a burst of notifications coalesces into one pull, while a notification that
 * arrives during a pull still gets a pull after it. Failed pulls are retried with exponential backoff; after
 * the last retry pg-boss moves them to the dead-letter queue. Running jobs send heartbeats: a job whose
 * worker died (even by SIGKILL) misses them and is handed to another worker within
 * SYNC_JOB_HEARTBEAT_SECONDS + SYNC_JOB_SUPERVISE_SECONDS.
 */
@Injectable()
export class SyncJobs implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(SyncJobs.name);
  readonly boss: PgBoss;
  /** Set when the process begins to shut down: running pulls stop after their current page. */
  stopping = false;

  constructor(
    private readonly config: DspConfig,
    @Inject(SYNC_ROLES) private readonly roles: SyncRoles,
  ) {
    const supervise = config.sync.jobSuperviseSeconds;
    this.boss = new PgBoss({
      connectionString: config.database.url,
      schema: JOB_SCHEMA,
      max: POOL_MAX,
      application_name: 'opendsp-jobs',
      // Workers LISTEN, and a queued pull wakes them at once (pg_notify in the job's own transaction);
      // polling stays as the floor, for retries that come due and when LISTEN is unavailable.
      useListenNotify: roles.worker,
      migrate: true,
      supervise: roles.worker,
      schedule: false,
      superviseIntervalSeconds: supervise,
      monitorIntervalSeconds: supervise,
      queueCacheIntervalSeconds: Math.max(supervise, 10),
    });
    this.boss.on('error', (error: Error) => this.logger.warn(`job queue: ${error.message}`));
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start({ attempts: 3 });
    await this.ensureQueue({ name: DEAD_LETTER_QUEUE, policy: 'standard', retentionSeconds: 30 * 86_400, deleteAfterSeconds: 30 * 86_400 });
    const { jobRetryLimit, jobRetryDelaySeconds, jobHeartbeatSeconds } = this.config.sync;
    await this.ensureQueue({
      name: PULL_QUEUE,
      policy: 'stately',
      retryLimit: jobRetryLimit,
      retryDelay: jobRetryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: 3600,
      heartbeatSeconds: jobHeartbeatSeconds,
      // A full history may take long; heartbeats, not this, detect dead workers.
      expireInSeconds: 6 * 3600,
      deleteAfterSeconds: 2 * 86_400,
      deadLetter: DEAD_LETTER_QUEUE,
      notify: true,
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.boss.stop({ graceful: true, timeout: STOP_TIMEOUT_MS });
  }

  /**
   * Queues pulls; one already waiting for the same participant and kind absorbs the new one. A fresh pull that
   * finds a background one waiting lifts it into the fresh lane (the pull that runs serves both). With `db` (a
   * caller's transaction, see `fromKysely`), the jobs commit or roll back with it.
   */
  async enqueuePulls(pulls: readonly QueuedPull[], options: { startAfter?: Date; db?: Db } = {}): Promise<void> {
    if (pulls.length === 0) return;
    for (let start = 0; start < pulls.length; start += 500) {
      const batch = pulls.slice(start, start + 500);
      await this.boss.insert(
        PULL_QUEUE,
        batch.map((pull) => ({
          data: { participantId: pull.participantId, kind: pull.kind },
          singletonKey: pullKey(pull),
          priority: LANE_PRIORITY[pull.lane ?? 'background'],
          ...(options.startAfter ? { startAfter: options.startAfter } : {}),
        })),
        options.db ? { db: options.db } : undefined,
      );
      const fresh = batch.filter((pull) => pull.lane === 'fresh').map(pullKey);
      if (fresh.length === 0) continue;
      // The insert above did nothing for a key with a job already waiting (the stately policy); lift that job.
      const sql = `update ${JOB_SCHEMA}.job set priority = $1
         where name = $2 and singleton_key = any($3::text[]) and state in ('created', 'retry') and priority < $1`;
      const values = [LANE_PRIORITY.fresh, PULL_QUEUE, fresh];
      await (options.db ?? this.boss.getDb()).executeSql(sql, values);
    }
  }

  /**
   * Whether a pull other than `data`'s waits for a worker slot now (queued or retrying, due, any lane, and not held
   * back by its own participant and kind's running pull): a background pull whose turn ends keeps going when nobody
   * waits for one (`SyncPuller`).
   */
  async otherPullsWaiting(data: PullJobData): Promise<boolean> {
    const { rows } = await this.boss.getDb().executeSql(
      `select exists (select 1 from ${JOB_SCHEMA}.job j
         where j.name = $1 and j.state in ('created', 'retry') and j.start_after <= now() and j.singleton_key is distinct from $2
           and not exists (select 1 from ${JOB_SCHEMA}.job a where a.name = j.name and a.singleton_key = j.singleton_key and a.state = 'active')
       ) as waiting`,
      [PULL_QUEUE, pullKey(data)],
    );
    return (rows[0] as { waiting: boolean }).waiting;
  }

  /**
   * Runs `handler` for pulls in this process (worker roles only): SYNC_WORKER_CONCURRENCY slots take the
   * highest-priority pull waiting, and one more slot takes only fresh pulls, so a notification never waits for a
   * backfill's turn to end.
   */
  async workPulls(handler: (job: JobWithMetadata<PullJobData>) => Promise<void>): Promise<void> {
    if (!this.roles.worker) throw new Error('pulls run in worker processes only');
    // Retries and deferred pulls come due without a notification: keep polling (each second by default), also with
    // LISTEN on.
    const seconds = this.config.sync.jobPollSeconds;
    const polling = {
      pollingIntervalSeconds: seconds,
      notifyPollingIntervalSeconds: seconds,
      batchSize: 1,
      includeMetadata: true as const,
    };
    const anySlots: { workId?: string } = {};
    anySlots.workId = await this.boss.work<PullJobData, void, typeof polling & { localConcurrency: number }>(
      PULL_QUEUE,
      { ...polling, localConcurrency: this.config.sync.workerConcurrency },
      async ([job]) => this.runThenFetchAgain(anySlots.workId, () => handler(job)),
    );
    const freshSlots: { workId?: string } = {};
    freshSlots.workId = await this.boss.work<PullJobData, void, typeof polling & { localConcurrency: number; minPriority: number }>(
      PULL_QUEUE,
      { ...polling, localConcurrency: FRESH_SLOTS, minPriority: LANE_PRIORITY.fresh },
      async ([job]) => this.runThenFetchAgain(freshSlots.workId, () => handler(job)),
    );
  }

  /**
   * Runs a pull, then has its slot look for the next one at once. pg-boss's loop waits out the rest of the polling
   * interval after a job shorter than it (a pull of one or two pages often is), so a slot would idle for most of a
   * second between pulls while hundreds wait: one worker process ran about 4 pulls a second whatever its slots could
   * do (docs/sync.md, "freshness"). `notifyWorker` skips that wait for the next round of every slot of `workId` that
   * holds a pull now, this one included; a slot with nothing to do still waits, and is woken by a queued pull.
   */
  private async runThenFetchAgain(workId: string | undefined, pull: () => Promise<void>): Promise<void> {
    try {
      await pull();
    } finally {
      for (const slot of this.boss.getWipData())
        if (slot.workId === workId && slot.count > 0 && !this.stopping) this.boss.notifyWorker(slot.id);
    }
  }

  /** Runs `handler` for dead-lettered pulls (worker roles only). */
  async workDeadLetters(handler: (job: JobWithMetadata<PullJobData>) => Promise<void>): Promise<void> {
    if (!this.roles.worker) throw new Error('dead letters are handled in worker processes only');
    await this.boss.work<PullJobData, void, { pollingIntervalSeconds: number; batchSize: number; includeMetadata: true }>(
      DEAD_LETTER_QUEUE,
      { pollingIntervalSeconds: 2, batchSize: 1, includeMetadata: true },
      async ([job]) => handler(job),
    );
  }

  private async ensureQueue(queue: Queue): Promise<void> {
    const { name, policy, ...options } = queue;
    if (!(await this.boss.getQueue(name))) {
      try {
        await this.boss.createQueue(name, { policy, ...options });
        return;
      } catch (error) {
        // Another process created it at the same moment; bring its options up to date below.
        if (!(await this.boss.getQueue(name))) throw error;
      }
    }
    await this.boss.updateQueue(name, options);
  }
}
