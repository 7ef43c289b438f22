import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** How far the alerts room has followed another room's history (`reconnect`: libs/tokens' connection state changes). */
@Entity({ tableName: 'alert_cursor' })
export class AlertCursor {
  @PrimaryKey({ type: 'text' })
  name: string;

  @Property({ type: 'bigint' })
  throughId: string;

  constructor(name: string, throughId: string) {
    this.name = name;
    this.throughId = throughId;
  }
}
