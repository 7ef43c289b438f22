import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A dated fact about how this environment is operated, for the environment page's readiness checklist:
 * `backup.pg_dump` (the last backup, as the operator records it) and `encryption_key:<id>` (when the platform
 * first saw that key active).
 */
@Entity({ tableName: 'operations_fact' })
export class OperationsFact {
  @PrimaryKey({ type: 'text' })
  name: string;

  @Property({ type: 'timestamptz' })
  recordedAt: Date;

  /** The admin who recorded it; null for what the platform records itself. */
  @Property({ type: 'text', nullable: true })
  recordedBy: string | null;

  constructor(name: string, recordedAt: Date, recordedBy: string | null) {
    this.name = name;
    this.recordedAt = recordedAt;
    this.recordedBy = recordedBy;
  }
}
