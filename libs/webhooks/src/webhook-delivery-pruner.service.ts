import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';

/** Rows one statement deletes at most, so pruning a large backlog never holds many locks for long. */
const PRUNE_BATCH = 5000;

/**
 * Keeps the delivery log to WEBHOOK_DELIVERY_RETENTION_DAYS: delivered and failed messages whose last attempt is
 * older go. A waiting message (`pending`, a replay included) is never pruned, however old.
 */
@Injectable()
export class WebhookDeliveryPruner {
  private readonly logger = new Logger(WebhookDeliveryPruner.name);

  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  /** Deletes what the retention lets go as of `now`; returns how many messages went. */
  async prune(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.webhooks.deliveryRetentionDays * 86_400_000);
    const connection = this.em.fork().getConnection();
    let pruned = 0;
    for (;;) {
      // The outer conditions are checked again on each row as it is locked: a message replayed meanwhile (pending
      // again) stays.
      const batch = await connection.execute<{ id: string }[]>(
        `delete from webhook_delivery
          where id in (select id from webhook_delivery where status <> 'pending' and last_attempt_at < ? limit ?)
            and status <> 'pending' and last_attempt_at < ?
          returning id`,
        [cutoff, PRUNE_BATCH, cutoff],
      );
      pruned += batch.length;
      if (batch.length < PRUNE_BATCH) break;
    }
    if (pruned > 0) this.logger.log({ pruned, cutoff: cutoff.toISOString() }, 'webhook deliveries pruned');
    return pruned;
  }
}
