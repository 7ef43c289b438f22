import { posix } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager, type PostgreSqlConnection } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { ReadingsRepository } from '@opendsp/measurements';
import { CSV_NEWLINE } from '@opendsp/csv';
import { changePages, headerLine } from '../csv/reading-rows.helpers.js';
import { nextRunOf } from './cron-schedule.rules.js';
import { deliveryFileName, deliveryFolder, manifestPath, nextStamp, temporaryName } from './delivery-layout.rules.js';
import { SftpDelivery, SftpDeliveryFile, type DeliveryUnit } from './sftp-delivery.entity.js';
import { SftpDeliveryCursor, SftpDestination } from './sftp-destination.entity.js';
import { SftpDestinationsService } from './sftp-destinations.service.js';
import { RetrievalFolder, retrievalFolderOf, type DeliveryFile, type DeliveryTarget } from './retrieval-folder.helpers.js';
import { SftpError, SftpSession } from './sftp-session.helpers.js';

export type DeliveryOutcome =
  | { status: 'busy' }
  | { status: 'gone' }
  | { status: 'nothing_new' }
  | { status: 'succeeded'; deliveryId: string; files: number; rows: number }
  | { status: 'failed'; deliveryId: string | null; error: string };

interface OpenFile {
  number: number;
  path: string;
  remote: DeliveryFile;
  rows: number;
  firstSeq: string;
  lastSeq: string;
}

/** Connects on first use, so a delivery without rows never touches the server. */
class LazySession {
  private session: Promise<DeliveryTarget> | null = null;

  constructor(private readonly open: () => Promise<DeliveryTarget>) {}

  get(): Promise<DeliveryTarget> {
    this.session ??= this.open();
    return this.session;
  }

  async close(): Promise<void> {
    if (!this.session) return;
    try {
      (await this.session).close();
    } catch {
      // Never connected.
    }
  }
}

/**
 * Scheduled SFTP delivery. Each destination receives, per kind and group, the readings whose change sequence
 * number lies above its cursor, so nothing is sent twice or skipped: the upper bound is the change horizon
 * (`ReadingsRepository.committedChangeSeq`), below which no reading can still commit.
 *
 * A delivery's scope (units, upper bound, folder stamp) is fixed when it starts. Every file is written under a
 * temporary name, renamed when complete and then recorded; an interrupted delivery (process killed, server
 * gone) is resumed after its last recorded file, and a file renamed but not yet recorded is made again from the
 * same rows under the same name. The manifest goes last, then the cursors move, in one transaction.
 */
@Injectable()
export class SftpDeliveryService {
  private readonly logger = new Logger(SftpDeliveryService.name);
  private readonly runningHere = new Set<string>();

  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
    private readonly destinations: SftpDestinationsService,
    private readonly readings: ReadingsRepository,
  ) {}

  /** True when this environment lists SFTP among its data transfer methods (DSP_DATA_TRANSFER_METHODS). */
  get enabled(): boolean {
    return this.config.environment.dataTransferMethods.includes('sftp');
  }

  /** Runs every enabled destination whose next run is due, and every one asked to deliver now, one after another. */
  async runDue(now = new Date()): Promise<DeliveryOutcome[]> {
    if (!this.enabled) return [];
    const due = await this.em.fork().find(
      SftpDestination,
      // "Deliver now" works for a destination whose schedule is switched off, too.
      { $or: [{ enabled: true, nextRunAt: { $lte: now } }, { runRequestedAt: { $ne: null } }] },
      { orderBy: { nextRunAt: 'asc' }, fields: ['id'] },
    );
    const outcomes: DeliveryOutcome[] = [];
    for (const { id } of due) outcomes.push(await this.deliver(id));
    return outcomes;
  }

  /**
   * Delivers (or resumes delivering) to one destination now; `busy` when a delivery to it is running already,
   * in this process or another (see `tryLock`).
   */
  async deliver(destinationId: string): Promise<DeliveryOutcome> {
    if (this.runningHere.has(destinationId)) return { status: 'busy' };
    this.runningHere.add(destinationId);
    try {
      const lock = await this.tryLock(destinationId);
      if (!lock) return { status: 'busy' };
      try {
        return await this.deliverLocked(destinationId);
      } finally {
        await lock.release();
      }
    } finally {
      this.runningHere.delete(destinationId);
    }
  }

  /**
   * Claims the destination for one delivery, across processes. The claim names the PostgreSQL backend of a
   * connection held for the whole delivery and carries a lease renewed while the delivery runs. Another process
   * may take the destination over only when that backend is gone (PostgreSQL ends it the moment the holding
   * process dies) or the lease has run out (the embedded database serves every connection from one backend, so
   * there only the lease tells). The claim is one UPDATE, so two claimers cannot both win.
   */
  private async tryLock(destinationId: string): Promise<{ release(): Promise<void> } | null> {
    const leaseSeconds = 3 * this.config.exports.sftp.timeoutSeconds;
    const pool = await (this.em.getConnection() as PostgreSqlConnection).getNativeClient();
    const client = await pool.connect();
    let pid: number;
    try {
      const { rows } = await client.query<{ pid: number }>(
        `update sftp_destination set delivery_lock_pid = pg_backend_pid(), delivery_lock_until = now() + make_interval(secs => $2)
          where id = $1 and (delivery_lock_until is null or delivery_lock_until < now()
            or not exists (select 1 from pg_stat_activity where pid = delivery_lock_pid))
          returning delivery_lock_pid as pid`,
        [destinationId, leaseSeconds],
      );
      if (rows.length === 0) {
        client.release();
        return null;
      }
      pid = rows[0].pid;
    } catch (error) {
      client.release(true);
      throw error;
    }
    const renew = setInterval(
      () => {
        client
          .query(
            `update sftp_destination set delivery_lock_until = now() + make_interval(secs => $3) where id = $1 and delivery_lock_pid = $2`,
            [destinationId, pid, leaseSeconds],
          )
          .catch((error: unknown) => this.logger.warn({ destination: destinationId, err: error }, 'could not renew the delivery lease'));
      },
      (leaseSeconds * 1000) / 3,
    );
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        try {
          await client.query(
            `update sftp_destination set delivery_lock_pid = null, delivery_lock_until = null where id = $1 and delivery_lock_pid = $2`,
            [destinationId, pid],
          );
          client.release();
        } catch {
          // The lease runs out on its own.
          client.release(true);
        }
      },
    };
  }

  private async deliverLocked(destinationId: string): Promise<DeliveryOutcome> {
    const em = this.em.fork();
    const destination = await em.findOne(SftpDestination, destinationId, { populate: ['groups'] });
    if (!destination) return { status: 'gone' };
    const now = new Date();
    const trigger = destination.runRequestedAt ? 'manual' : 'schedule';
    destination.runRequestedAt = null;
    destination.lastRunAt = now;

    let delivery = await em.findOne(
      SftpDelivery,
      { destination, status: { $in: ['running', 'failed'] } },
      { orderBy: { startedAt: 'asc' } },
    );
    if (delivery) {
      // Resumed: the same scope and folder as before, one more attempt.
      Object.assign(delivery, { status: 'running', attempts: delivery.attempts + 1, lastAttemptAt: now, error: null });
    } else {
      const upToSeq = await this.committedChangeSeq();
      const units = await this.pendingUnits(em, destination, upToSeq);
      if (units.length === 0) {
        this.scheduleNext(destination, now, { failed: false, more: false });
        destination.lastOutcome = 'nothing_new';
        await em.flush();
        return { status: 'nothing_new' };
      }
      const previous = await em.findOne(SftpDelivery, { destination }, { orderBy: { stamp: 'desc' }, fields: ['stamp'] });
      delivery = new SftpDelivery(destination, { trigger, stamp: nextStamp(now, previous?.stamp ?? null), upToSeq, units });
      em.persist(delivery);
    }
    await em.flush();

    // A retrieval destination's files go to its folder under EXPORT_RETRIEVAL_DIR, the same way, for OpenDSP's SFTP server to serve.
    const session = new LazySession(() =>
      destination.mode === 'retrieval'
        ? Promise.resolve(new RetrievalFolder(retrievalFolderOf(this.config.exports.retrieval.dir, destination.id)))
        : SftpSession.open(this.destinations.targetOf(destination)),
    );
    try {
      let capped = false;
      for (const unit of delivery.units) capped = (await this.deliverUnit(em, session, destination, delivery, unit)) || capped;
      const files = await em.find(SftpDeliveryFile, { delivery }, { orderBy: { id: 'asc' } });
      if (files.length > 0) await this.uploadManifest(session, destination, delivery, files);
      await this.complete(em, destination, delivery, files, capped);
      const rows = files.reduce((sum, file) => sum + file.rowCount, 0);
      this.logger.log({ destination: destination.id, delivery: delivery.id, files: files.length, rows }, 'SFTP delivery complete');
      return files.length > 0 ? { status: 'succeeded', deliveryId: delivery.id, files: files.length, rows } : { status: 'nothing_new' };
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
      this.logger.warn(
        { destination: destination.id, delivery: delivery.id, problem: (error as SftpError).problem },
        `SFTP delivery failed: ${message}`,
      );
      delivery.status = 'failed';
      delivery.error = message;
      destination.consecutiveFailures += 1;
      destination.lastOutcome = 'failed';
      this.scheduleNext(destination, new Date(), { failed: true, more: false });
      await em.flush();
      return { status: 'failed', deliveryId: delivery.id, error: message };
    } finally {
      await session.close();
    }
  }

  /** Every reading at or below it is committed already, or never will be (`ReadingsRepository.committedChangeSeq`). */
  private committedChangeSeq(): Promise<string> {
    return this.readings.committedChangeSeq(this.em.fork());
  }

  /** The destination's kinds × groups whose cursor is below `upToSeq`. */
  private async pendingUnits(em: EntityManager, destination: SftpDestination, upToSeq: string): Promise<DeliveryUnit[]> {
    const cursors = await em.find(SftpDeliveryCursor, { destination });
    const through = new Map(cursors.map((cursor) => [`${cursor.kind}/${cursor.group.id}`, cursor.deliveredThroughSeq]));
    const groups = destination.groups.getItems().sort((a, b) => a.groupId.localeCompare(b.groupId));
    return destination.kinds
      .flatMap((kind) =>
        groups.map((group) => ({ kind, groupUuid: group.id, groupId: group.groupId, fromSeq: through.get(`${kind}/${group.id}`) ?? '0' })),
      )
      .filter((unit) => BigInt(unit.fromSeq) < BigInt(upToSeq));
  }

  /**
   * Writes one kind of one group into its folder, continuing after the files already recorded. Returns true
   * when the folder reached SFTP_MAX_FILES_PER_FOLDER with rows left (the next delivery takes them).
   */
  private async deliverUnit(
    em: EntityManager,
    session: LazySession,
    destination: SftpDestination,
    delivery: SftpDelivery,
    unit: DeliveryUnit,
  ): Promise<boolean> {
    const { sftp, partnerId } = { sftp: this.config.exports.sftp, partnerId: this.config.exports.partnerId };
    const recorded = await em.find(
      SftpDeliveryFile,
      { delivery, kind: unit.kind, groupId: unit.groupId },
      { orderBy: { fileNumber: 'asc' } },
    );
    let fileNumber = recorded.at(-1)?.fileNumber ?? 0;
    const afterSeq = recorded.at(-1)?.lastSeq ?? unit.fromSeq;
    const rowsPerFile = unit.kind === 'ecg' ? sftp.ecgRowsPerFile : sftp.rowsPerFile;
    const folder = deliveryFolder(partnerId, unit.kind, unit.groupId, delivery.stamp);
    const format = { timeZone: this.config.environment.timezone, escapeFormulas: false };
    let current: OpenFile | null = null;

    const pages = changePages(
      this.readings,
      em,
      unit.kind,
      { groupUuid: unit.groupUuid, groupId: unit.groupId, afterSeq, upToSeq: delivery.upToSeq },
      format,
    );
    for await (const page of pages) {
      let index = 0;
      // Row i is page.csv[ends[i-1], ends[i]) and its change_seq is keys[i][0]. A full file is closed only before
      // a row with another change_seq, so a day's hours (one change_seq) never straddle two files, and a resumed
      // delivery, which starts after the last file's last change_seq, neither repeats nor skips an hour.
      while (index < page.ends.length) {
        if (current && current.rows >= rowsPerFile && page.keys[index][0] !== current.lastSeq) {
          await this.finishFile(em, session, destination, delivery, unit, current);
          current = null;
        }
        if (!current) {
          if (fileNumber >= sftp.maxFilesPerFolder) return true;
          fileNumber += 1;
          current = await this.openFile(session, destination, folder, fileNumber, unit, page.keys[index][0]);
        }
        let end = index + Math.min(Math.max(rowsPerFile - current.rows, 0), page.ends.length - index);
        const lastSeq = end > index ? page.keys[end - 1][0] : current.lastSeq;
        while (end < page.ends.length && page.keys[end][0] === lastSeq) end += 1;
        await current.remote.write(page.csv.subarray(index === 0 ? 0 : page.ends[index - 1], page.ends[end - 1]));
        current.rows += end - index;
        current.lastSeq = lastSeq;
        index = end;
      }
    }
    if (current) await this.finishFile(em, session, destination, delivery, unit, current);
    return false;
  }

  private async openFile(
    session: LazySession,
    destination: SftpDestination,
    folder: string,
    number: number,
    unit: DeliveryUnit,
    firstSeq: string,
  ): Promise<OpenFile> {
    const sftp = await session.get();
    await sftp.makeDirectories(posix.join(destination.remoteBaseDir, folder));
    const path = posix.join(folder, deliveryFileName(number));
    const remote = await sftp.create(temporaryName(posix.join(destination.remoteBaseDir, path)));
    await remote.write(headerLine(unit.kind) + CSV_NEWLINE);
    return { number, path, remote, rows: 0, firstSeq, lastSeq: firstSeq };
  }

  /** Closes the temporary file, renames it to its real name, and records it (committed at once). */
  private async finishFile(
    em: EntityManager,
    session: LazySession,
    destination: SftpDestination,
    delivery: SftpDelivery,
    unit: DeliveryUnit,
    file: OpenFile,
  ): Promise<void> {
    const { bytes, sha256 } = await file.remote.close();
    const finalPath = posix.join(destination.remoteBaseDir, file.path);
    await (await session.get()).rename(temporaryName(finalPath), finalPath);
    em.persist(
      new SftpDeliveryFile(delivery, {
        kind: unit.kind,
        groupId: unit.groupId,
        fileNumber: file.number,
        path: file.path,
        rowCount: file.rows,
        byteCount: String(bytes),
        sha256,
        firstSeq: file.firstSeq,
        lastSeq: file.lastSeq,
      }),
    );
    delivery.fileCount += 1;
    delivery.rowCount = String(BigInt(delivery.rowCount) + BigInt(file.rows));
    delivery.byteCount = String(BigInt(delivery.byteCount) + BigInt(bytes));
    await em.flush();
  }

  private async uploadManifest(
    session: LazySession,
    destination: SftpDestination,
    delivery: SftpDelivery,
    files: SftpDeliveryFile[],
  ): Promise<void> {
    const manifest = {
      format: 'opendsp-sftp-delivery/1',
      deliveryId: delivery.id,
      partnerId: this.config.exports.partnerId,
      environmentId: this.config.environment.id,
      stamp: delivery.stamp,
      startedAt: delivery.startedAt.toISOString(),
      changeSeq: { upTo: delivery.upToSeq, units: delivery.units.map(({ kind, groupId, fromSeq }) => ({ kind, groupId, after: fromSeq })) },
      files: files.map((file) => ({
        path: file.path,
        kind: file.kind,
        groupId: file.groupId,
        rows: file.rowCount,
        bytes: Number(file.byteCount),
        sha256: file.sha256,
        firstChangeSeq: file.firstSeq,
        lastChangeSeq: file.lastSeq,
      })),
      totals: {
        files: files.length,
        rows: files.reduce((sum, file) => sum + file.rowCount, 0),
        bytes: files.reduce((sum, file) => sum + Number(file.byteCount), 0),
      },
    };
    const path = manifestPath(this.config.exports.partnerId, delivery.stamp);
    const sftp = await session.get();
    const finalPath = posix.join(destination.remoteBaseDir, path);
    await sftp.makeDirectories(posix.dirname(finalPath));
    const remote = await sftp.create(temporaryName(finalPath));
    await remote.write(`${JSON.stringify(manifest, null, 2)}\n`);
    await remote.close();
    await sftp.rename(temporaryName(finalPath), finalPath);
    delivery.manifestPath = path;
  }

  /** Marks the delivery done and moves the cursors, in one transaction; a delivery that found no rows leaves no history. */
  private async complete(
    em: EntityManager,
    destination: SftpDestination,
    delivery: SftpDelivery,
    files: SftpDeliveryFile[],
    capped: boolean,
  ): Promise<void> {
    const now = new Date();
    await em.begin();
    try {
      for (const unit of delivery.units) {
        const unitFiles = files.filter((file) => file.kind === unit.kind && file.groupId === unit.groupId);
        // A full folder stops at its last file; the next delivery continues from there.
        const through = unitFiles.length >= this.config.exports.sftp.maxFilesPerFolder ? unitFiles.at(-1)!.lastSeq : delivery.upToSeq;
        await em.getConnection().execute(
          `insert into sftp_delivery_cursor (destination_id, kind, group_id, delivered_through_seq, updated_at) values (?, ?, ?, ?, now())
           on conflict (destination_id, kind, group_id) do update set delivered_through_seq = excluded.delivered_through_seq, updated_at = now()`,
          [destination.id, unit.kind, unit.groupUuid, through],
          'run',
          em.getTransactionContext(),
        );
      }
      if (files.length === 0) em.remove(delivery);
      else Object.assign(delivery, { status: 'succeeded', finishedAt: now, error: null });
      destination.consecutiveFailures = 0;
      destination.lastOutcome = files.length > 0 ? 'delivered' : 'nothing_new';
      this.scheduleNext(destination, now, { failed: false, more: capped });
      await em.commit();
    } catch (error) {
      await em.rollback();
      throw error;
    }
  }

  /** After success: the schedule's next time (or now, when a full folder left rows behind); after a failure: the backoff. */
  private scheduleNext(destination: SftpDestination, now: Date, outcome: { failed: boolean; more: boolean }): void {
    const { retryBaseSeconds, retryMaxSeconds } = this.config.exports.sftp;
    if (outcome.failed) {
      const seconds = Math.min(retryMaxSeconds, retryBaseSeconds * 2 ** Math.min(30, destination.consecutiveFailures - 1));
      destination.nextRunAt = new Date(now.getTime() + seconds * 1000);
    } else if (outcome.more) {
      destination.nextRunAt = now;
    } else {
      destination.nextRunAt = nextRunOf(destination.schedule, now, this.config.environment.timezone);
    }
  }
}
