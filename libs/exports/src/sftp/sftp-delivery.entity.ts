import { randomUUID } from 'node:crypto';
import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { ExportKind } from '@opendsp/measurements';
import { SftpDestination } from './sftp-destination.entity.js';

/**
 * - `running`: being delivered, or the process delivering it died (the next run resumes it);
 * - `failed`: the last attempt failed; the next run (after the retry backoff) resumes it;
 * - `succeeded`: every file and the manifest are on the server, and the cursors have moved.
 */
export const DELIVERY_STATUSES = ['running', 'failed', 'succeeded'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const DELIVERY_TRIGGERS = ['schedule', 'manual'] as const;
export type DeliveryTrigger = (typeof DELIVERY_TRIGGERS)[number];

/** One folder of a delivery: one kind of one group, from the cursor it stood at when the delivery began. */
export interface DeliveryUnit {
  kind: ExportKind;
  /** The group's internal ID. */
  groupUuid: string;
  /** The group's public ID (the folder name). */
  groupId: string;
  /** Readings with a change sequence number above this… */
  fromSeq: string;
}

/**
 * One delivery to a destination: the readings of its kinds and groups with change sequence numbers in
 * (unit.fromSeq, upToSeq], in the folder named by `stamp`. Fixed when created, so an interrupted delivery is
 * resumed with exactly the same scope and file names.
 */
@Entity({ tableName: 'sftp_delivery' })
@Index({ name: 'sftp_delivery_destination_id_started_at_index', properties: ['destination', 'startedAt'] })
export class SftpDelivery {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @ManyToOne({ entity: () => SftpDestination, deleteRule: 'cascade' })
  destination: Rel<SftpDestination>;

  @Enum({ items: () => DELIVERY_STATUSES, type: 'text' })
  status: DeliveryStatus & Opt = 'running';

  @Enum({ items: () => DELIVERY_TRIGGERS, type: 'text' })
  trigger: DeliveryTrigger;

  /** `YYYYMMDDhhmmss` in UTC: the delivery's folder name, later than every earlier delivery's of the destination. */
  @Property({ type: 'text' })
  stamp: string;

  /** …up to and including this one. */
  @Property({ type: new BigIntType('string') })
  upToSeq: string;

  @Property({ type: 'json' })
  units: DeliveryUnit[];

  @Property({ type: 'integer' })
  attempts: number & Opt = 1;

  @Property({ type: 'timestamptz' })
  startedAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz' })
  lastAttemptAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null = null;

  /** Retrieval: when its files were removed after EXPORT_RETRIEVAL_RETENTION_DAYS. */
  @Property({ type: 'timestamptz', nullable: true })
  prunedAt: Date | null = null;

  /** What went wrong in the last attempt (no secrets: connection and SFTP errors only). */
  @Property({ type: 'text', nullable: true })
  error: string | null = null;

  @Property({ type: 'integer' })
  fileCount: number & Opt = 0;

  @Property({ type: new BigIntType('string') })
  rowCount: string & Opt = '0';

  @Property({ type: new BigIntType('string') })
  byteCount: string & Opt = '0';

  /** Relative to the destination's base folder; set once the manifest is on the server. */
  @Property({ type: 'text', nullable: true })
  manifestPath: string | null = null;

  constructor(destination: SftpDestination, input: { trigger: DeliveryTrigger; stamp: string; upToSeq: string; units: DeliveryUnit[] }) {
    this.destination = destination;
    this.trigger = input.trigger;
    this.stamp = input.stamp;
    this.upToSeq = input.upToSeq;
    this.units = input.units;
  }
}

/**
 * A file that is on the server under its final name. Recorded right after the rename, so a resumed delivery
 * continues after the last recorded file; a file renamed but not yet recorded when the process died is made
 * again from the same rows under the same name.
 */
@Entity({ tableName: 'sftp_delivery_file' })
@Unique({ name: 'sftp_delivery_file_delivery_id_path_unique', properties: ['delivery', 'path'] })
export class SftpDeliveryFile {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string & Opt;

  @ManyToOne({ entity: () => SftpDelivery, deleteRule: 'cascade' })
  delivery: Rel<SftpDelivery>;

  @Property({ type: 'text' })
  kind: ExportKind;

  /** The group's public ID. */
  @Property({ type: 'text' })
  groupId: string;

  /** 1, 2, 3… within the unit's folder. */
  @Property({ type: 'integer' })
  fileNumber: number;

  /** Relative to the destination's base folder. */
  @Property({ type: 'text' })
  path: string;

  @Property({ type: 'integer' })
  rowCount: number;

  @Property({ type: new BigIntType('string') })
  byteCount: string;

  @Property({ type: 'text' })
  sha256: string;

  @Property({ type: new BigIntType('string') })
  firstSeq: string;

  @Property({ type: new BigIntType('string') })
  lastSeq: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(delivery: SftpDelivery, input: Omit<SftpDeliveryFile, 'id' | 'delivery' | 'createdAt'>) {
    this.delivery = delivery;
    this.kind = input.kind;
    this.groupId = input.groupId;
    this.fileNumber = input.fileNumber;
    this.path = input.path;
    this.rowCount = input.rowCount;
    this.byteCount = input.byteCount;
    this.sha256 = input.sha256;
    this.firstSeq = input.firstSeq;
    this.lastSeq = input.lastSeq;
  }
}
