import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { deliveryFolder } from './delivery-layout.rules.js';
import { RetrievalFolder, retrievalFolderOf } from './retrieval-folder.helpers.js';
import { SftpDelivery } from './sftp-delivery.entity.js';

/**
 * Removes retrieval deliveries older than EXPORT_RETRIEVAL_RETENTION_DAYS (counted from when each completed):
 * first the manifest, so no manifest ever names a file that is gone, then the delivery's folders; the history
 * keeps the delivery, marked pruned. Push deliveries are the partner's to keep and are never touched.
 */
@Injectable()
export class RetrievalRetentionService {
  private readonly logger = new Logger(RetrievalRetentionService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  /** Prunes what is past its retention at `now`; returns the IDs of the deliveries removed. */
  async prune(now = new Date()): Promise<string[]> {
    const { dir, retentionDays } = this.config.exports.retrieval;
    const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
    const em = this.em.fork();
    const due = await em.find(
      SftpDelivery,
      { destination: { mode: 'retrieval' }, status: 'succeeded', prunedAt: null, finishedAt: { $lt: cutoff } },
      { orderBy: { finishedAt: 'asc' }, limit: 500 },
    );
    const pruned: string[] = [];
    for (const delivery of due) {
      const folder = new RetrievalFolder(retrievalFolderOf(dir, delivery.destination.id));
      if (delivery.manifestPath) await folder.remove(delivery.manifestPath);
      for (const unit of delivery.units)
        await folder.remove(deliveryFolder(this.config.exports.partnerId, unit.kind, unit.groupId, delivery.stamp));
      delivery.prunedAt = now;
      await em.flush();
      pruned.push(delivery.id);
    }
    if (pruned.length > 0) this.logger.log({ deliveries: pruned.length, cutoff }, 'retrieval deliveries past their retention removed');
    return pruned;
  }
}
