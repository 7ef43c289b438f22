import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Failed sign-ins per login ID (`login:<id>`) and per client address (`ip:<address>`). Keyed by what was
 * typed, so an unknown login ID is throttled and locked exactly like a real one.
 */
@Entity({ tableName: 'login_throttle' })
export class LoginThrottle {
  @PrimaryKey({ type: 'text' })
  key: string;

  @Property({ type: 'int' })
  failures: number = 0;

  @Property({ type: 'timestamptz' })
  windowStartedAt: Date;

  @Property({ type: 'timestamptz', nullable: true })
  lockedUntil: Date | null = null;

  constructor(key: string, windowStartedAt: Date) {
    this.key = key;
    this.windowStartedAt = windowStartedAt;
  }
}
