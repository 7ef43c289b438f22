import { randomUUID } from 'node:crypto';
import { BigIntType, Collection, PrimaryKeyProp, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Enum, ManyToMany, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { ProgramGroup } from '@opendsp/groups';
import type { ExportKind } from '@opendsp/measurements';

export const SFTP_AUTH_METHODS = ['password', 'private_key'] as const;
export type SftpAuthMethod = (typeof SFTP_AUTH_METHODS)[number];

/**
 * `push`: files are written to the partner's SFTP server; `retrieval`: into EXPORT_RETRIEVAL_DIR, where the
 * partner fetches them from OpenDSP's own SFTP server, signing in with a registered key (SftpRetrievalKey).
 */
export const SFTP_DESTINATION_MODES = ['push', 'retrieval'] as const;
export type SftpDestinationMode = (typeof SFTP_DESTINATION_MODES)[number];

/** What the last scheduled or requested run of a destination came to. */
export const SFTP_RUN_OUTCOMES = ['delivered', 'nothing_new', 'failed'] as const;
export type SftpRunOutcome = (typeof SFTP_RUN_OUTCOMES)[number];

/**
 * A partner's SFTP server that readings are delivered to on a schedule. The password, private key and its
 * passphrase are SecretBox ciphertext bound to this row (`sftp_destination`/`password`, …); the server's host
 * key is pinned by its SHA-256 fingerprint, and a server presenting any other key is refused.
 */
@Entity({ tableName: 'sftp_destination' })
export class SftpDestination {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Enum({ items: () => SFTP_DESTINATION_MODES, type: 'text' })
  mode: SftpDestinationMode & Opt = 'push';

  /** The admins' name for it. */
  @Property({ type: 'text' })
  name: string;

  @Property({ type: 'text' })
  host: string;

  @Property({ type: 'integer' })
  port: number & Opt = 22;

  /** Push: the user name on the partner's server. Retrieval: the user name partners sign in to OpenDSP's server with. */
  @Property({ type: 'text' })
  username: string;

  @Enum({ items: () => SFTP_AUTH_METHODS, type: 'text' })
  authMethod: SftpAuthMethod;

  @Property({ type: 'text', nullable: true, hidden: true })
  passwordCiphertext: string | null = null;

  @Property({ type: 'text', nullable: true, hidden: true })
  privateKeyCiphertext: string | null = null;

  @Property({ type: 'text', nullable: true, hidden: true })
  passphraseCiphertext: string | null = null;

  /** `SHA256:…` as `ssh-keygen -lf` prints it; without one, deliveries refuse to connect. */
  @Property({ type: 'text', nullable: true })
  hostKeyFingerprint: string | null = null;

  /** The folder on the server that `data/` and `ecgdata/` are created in. */
  @Property({ type: 'text' })
  remoteBaseDir: string & Opt = '.';

  @Property({ type: 'json' })
  kinds: ExportKind[];

  @ManyToMany({ entity: () => ProgramGroup, pivotTable: 'sftp_destination_group', owner: true })
  groups = new Collection<ProgramGroup>(this);

  /** Five-field cron expression, in the environment's time zone. */
  @Property({ type: 'text' })
  schedule: string;

  @Property({ type: 'boolean' })
  enabled: boolean & Opt = true;

  /** When the scheduler should run it next: the schedule's next time, a retry time, or now for "deliver now". */
  @Property({ type: 'timestamptz', nullable: true })
  nextRunAt: Date | null = null;

  /** Set by "deliver now" (the next run is then a manual one); cleared when a run starts. */
  @Property({ type: 'timestamptz', nullable: true })
  runRequestedAt: Date | null = null;

  /**
   * Who is delivering to it: the PostgreSQL backend of the connection the delivering process holds for the
   * whole delivery, and until when its lease runs (renewed while it works). See SftpDeliveryService.tryLock.
   */
  @Property({ type: 'integer', nullable: true })
  deliveryLockPid: number | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  deliveryLockUntil: Date | null = null;

  /** Failed runs in a row; sets the retry backoff. */
  @Property({ type: 'integer' })
  consecutiveFailures: number & Opt = 0;

  @Property({ type: 'timestamptz', nullable: true })
  lastRunAt: Date | null = null;

  @Enum({ items: () => SFTP_RUN_OUTCOMES, type: 'text', nullable: true })
  lastOutcome: SftpRunOutcome | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  constructor(input: { name: string; host: string; username: string; authMethod: SftpAuthMethod; kinds: ExportKind[]; schedule: string }) {
    this.name = input.name;
    this.host = input.host;
    this.username = input.username;
    this.authMethod = input.authMethod;
    this.kinds = input.kinds;
    this.schedule = input.schedule;
  }
}

/**
 * How far a destination has received one kind of one group: every reading with a change sequence number up to
 * `deliveredThroughSeq` has been delivered (or was not the destination's to have). Moved only when a delivery
 * succeeds, in the same transaction that marks it so.
 */
@Entity({ tableName: 'sftp_delivery_cursor' })
export class SftpDeliveryCursor {
  [PrimaryKeyProp]?: ['destination', 'kind', 'group'];

  @ManyToOne({ entity: () => SftpDestination, primary: true, deleteRule: 'cascade' })
  destination: Rel<SftpDestination>;

  @PrimaryKey({ type: 'text' })
  kind: ExportKind;

  @ManyToOne({ entity: () => ProgramGroup, primary: true, deleteRule: 'cascade' })
  group: Rel<ProgramGroup>;

  @Property({ type: new BigIntType('string') })
  deliveredThroughSeq: string;

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  constructor(destination: SftpDestination, kind: ExportKind, group: ProgramGroup, deliveredThroughSeq: string) {
    this.destination = destination;
    this.kind = kind;
    this.group = group;
    this.deliveredThroughSeq = deliveredThroughSeq;
  }
}
