import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * The single row that ties a database to one DSP environment. Written on the first migration; a process
 * configured for another environment type or ID refuses to start against it, so staging and production
 * data can never meet.
 */
@Entity({ tableName: 'environment_stamp' })
export class EnvironmentStamp {
  @PrimaryKey({ type: 'smallint' })
  id: number = 1;

  @Property({ type: 'text' })
  environmentType: string;

  @Property({ type: 'text' })
  environmentId: string;

  @Property({ type: 'timestamptz' })
  stampedAt: Date = new Date();

  constructor(environmentType: string, environmentId: string) {
    this.environmentType = environmentType;
    this.environmentId = environmentId;
  }
}
