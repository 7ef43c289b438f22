import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { JobWithMetadata } from 'pg-boss';
import { ConsentedParticipants } from '@opendsp/participants';
import { ConnectionUnavailableError } from '@opendsp/tokens';
import { PullSupersededError, ScopeNotGrantedError, UpstreamDeferredError } from './sync.errors.js';
import { LANE_PRIORITY, SyncJobs, type PullJobData, type PullLane } from './sync-jobs.service.js';
import { describe, SyncPuller } from './sync-puller.service.js';

/** Runs pulls and files dead letters, in worker processes. */
@Injectable()
export class SyncWorkers implements OnApplicationBootstrap {
  private readonly logger = new Logger(SyncWorkers.name);

  constructor(
    private readonly jobs: SyncJobs,
    private readonly puller: SyncPuller,
    private readonly em: EntityManager,
    private readonly participants: ConsentedParticipants,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.workPulls((job) => this.runPull(job));
    await this.jobs.workDeadLetters((job) => this.fileDeadLetter(job));
  }

  /** One pull job. Throwing hands the job back to pg-boss for a retry with backoff (and, in the end, the dead-letter list). */
  async runPull(job: JobWithMetadata<PullJobData>): Promise<void> {
    const { participantId, kind } = job.data;
    const lane: PullLane = job.priority >= LANE_PRIORITY.fresh ? 'fresh' : 'background';
    try {
      const outcome = await this.puller.pull(participantId, kind, {
        signal: job.signal,
        shouldStop: () => this.jobs.stopping,
        othersWaiting: () => this.jobs.otherPullsWaiting(job.data),
        lane,
      });
      if (outcome.status === 'interrupted') await this.jobs.enqueuePulls([{ ...job.data, lane }]);
      // Behind every background pull already waiting (fairness). A notification for this participant and kind waits
      // its turn too: the whole history, read oldest first, must be pulled before its newest readings.
      if (outcome.status === 'yielded') await this.jobs.enqueuePulls([{ ...job.data, lane: 'background' }]);
      if (outcome.status === 'completed' && outcome.changed > 0) {
        this.logger.log(`${kind} of ${participantId}: ${outcome.changed} new or changed readings in ${outcome.pages} page(s)`);
      }
    } catch (error) {
      if (error instanceof UpstreamDeferredError) {
        // Not a failure of this pull: it goes back in the queue for when OMRON may be called again. The ledger's
        // last error stays what it was (the real reason), the deferral is noted beside it.
        await this.puller.recordDeferral(participantId, kind, error.until, error.reason);
        await this.jobs.enqueuePulls([{ ...job.data, lane }], { startAfter: error.until });
        this.logger.log(`${kind} pull of ${participantId} waits until ${error.until.toISOString()}: ${error.reason}`);
        return;
      }
      if (error instanceof PullSupersededError) return;
      if (error instanceof ScopeNotGrantedError || error instanceof ConnectionUnavailableError) {
        // Retrying cannot help until the participant authorises again, which requests a new backfill.
        await this.puller.recordFailure(participantId, kind, error, { release: true });
        this.logger.warn(`${kind} pull of ${participantId} stopped: ${describe(error)}`);
        return;
      }
      await this.puller.recordFailure(participantId, kind, error as Error);
      this.logger.warn(`${kind} pull of ${participantId} failed (attempt ${job.retryCount + 1}): ${describe(error as Error)}`);
      throw error;
    }
  }

  /**
   * A pull that failed its last retry: listed for the portal, its waiting requests closed, and nobody owns
   * it any more. Its cursor stays, so the next request resumes where it stopped.
   */
  async fileDeadLetter(job: JobWithMetadata<PullJobData>): Promise<void> {
    const { participantId, kind } = job.data;
    const output = (job.sourceOutput ?? {}) as { name?: string; message?: string };
    const error = `${output.name ?? 'Error'}: ${output.message ?? 'failed'}`.slice(0, 1000);
    await this.em.fork().transactional(async (em) => {
      // A job's participant that does not exist (never, since participants are not deleted) gets no dead letter.
      if (await this.participants.find(em, participantId)) {
        await em.execute(
          `insert into "sync_dead_letter" ("participant_id", "kind", "job_id", "error", "attempts", "failed_at")
           values (?, ?, ?, ?, ?, now()) on conflict ("job_id") do nothing`,
          [participantId, kind, job.sourceId ?? job.id, error, (job.sourceRetryCount ?? 0) + 1],
        );
      }
      await em.execute(
        `update "sync_ledger" set "pending_since" = null, "in_flight_since" = null, "pull_token" = null, "last_error" = ?, "last_error_at" = now(), "updated_at" = now()
         where "participant_id" = ? and "kind" = ?`,
        [`gave up: ${error}`, participantId, kind],
      );
    });
    this.logger.warn(`${kind} pull of ${participantId} gave up after ${(job.sourceRetryCount ?? 0) + 1} attempts: ${error}`);
  }
}
