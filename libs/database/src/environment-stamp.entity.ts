import { Check, Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * The single row that ties a database to one DSP environment. Written on the first migration; a process
 * configured for another environment type or ID refuses to start against it, so staging and production
 * data can never meet.
 */
@Entity({ tableName: 'environment_stamp' })
@Check({ name: 'environment_stamp_id_check', expression: '"id" = 1' })
export class EnvironmentStamp {
  @PrimaryKey({ type: 'smallint', autoincrement: false })
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
