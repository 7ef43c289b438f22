import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { SandboxConfig } from '@opendsp/config';
import type { NotificationPayload } from './notification.entity.js';

const POLL_MS = 500;
const BATCH = 20;
/** A claimed row is retried after this long if its process died mid-delivery. */
const LEASE_SECONDS = 60;
const TIMEOUT_MS = 10_000;

interface ClaimedRow {
  id: string;
  uri: string;
  payload: NotificationPayload | string;
  attempts: number;
}

/**
 * Delivers queued notifications: claims due rows (`for update skip locked`, so several sandbox
 * processes never send one twice), POSTs each as JSON, and records success or reschedules a failure
 * (non-2xx, timeout, refused connection) after the next delay of the retry schedule; after the last,
 * the notification is given up. State lives in the database, so a restart resumes where it stopped.
 */
@Injectable()
export class NotificationDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NotificationDispatcher.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly em: EntityManager,
    private readonly config: SandboxConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.runSoon(), POLL_MS);
    this.timer.unref();
    this.runSoon();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Starts a delivery round now, or right after the one in progress. */
  runSoon(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverDue()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn({ err: error }, 'notification round failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.runSoon();
        }
      });
  }

  /** Delivers every due notification; returns how many were attempted. */
  async deliverDue(): Promise<number> {
    let attempted = 0;
    for (;;) {
      if (this.stopped) return attempted;
      const claimed = await this.em.fork().execute<ClaimedRow[]>(
        `update "omron_sandbox"."notification" set "attempts" = "attempts" + 1, "next_attempt_at" = now() + make_interval(secs => ?)
         where "id" in (
           select "id" from "omron_sandbox"."notification"
           where "next_attempt_at" <= now() order by "next_attempt_at" limit ? for update skip locked
         )
         returning "id", "uri", "payload", "attempts"`,
        [LEASE_SECONDS, BATCH],
      );
      if (claimed.length === 0) return attempted;
      attempted += claimed.length;
      await Promise.all(claimed.map((row) => this.deliver(row)));
    }
  }

  private async deliver(row: ClaimedRow): Promise<void> {
    const payload = typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(row.uri, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = response.status;
      await response.body?.cancel();
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (failure) {
      error = failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure);
    }
    const em = this.em.fork();
    if (!error) {
      await em.execute(
        `update "omron_sandbox"."notification" set "delivered_at" = now(), "next_attempt_at" = null, "last_status" = ?, "last_error" = null where "id" = ?`,
        [status, row.id],
      );
      return;
    }
    const delays = this.config.notifications.retryDelaysSeconds;
    const delay = delays[row.attempts - 1];
    if (delay === undefined) {
      await em.execute(
        `update "omron_sandbox"."notification" set "gave_up_at" = now(), "next_attempt_at" = null, "last_status" = ?, "last_error" = ? where "id" = ?`,
        [status, error, row.id],
      );
      this.logger.warn({ notificationId: row.id, attempts: row.attempts, error }, 'notification given up');
    } else {
      await em.execute(
        `update "omron_sandbox"."notification" set "next_attempt_at" = now() + make_interval(secs => ?), "last_status" = ?, "last_error" = ? where "id" = ?`,
        [delay, status, error, row.id],
      );
      this.logger.log({ notificationId: row.id, attempts: row.attempts, retryInSeconds: delay, error }, 'notification failed; will retry');
    }
  }
}
