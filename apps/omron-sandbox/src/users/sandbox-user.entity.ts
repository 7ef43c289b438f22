import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/** A test user of the emulated OMRON connect service (the staging tool's "Signup"). */
@Entity({
  tableName: 'sandbox_user',
  schema: 'omron_sandbox',
  // What a cascading foreign key would do; the readings table has none (see Measurement.user).
  triggers: [
    {
      name: 'delete_measurements',
      timing: 'after',
      events: ['delete'],
      body: 'delete from "omron_sandbox"."measurement" where "user_id" = old."id"; return old;',
    },
  ],
})
export class SandboxUser {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  /** The OMRON user identifier: the id_token's `sub` and the notification's `id`. */
  @Property({ type: 'text' })
  @Unique()
  sub: string & Opt = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  email: string;

  @Property({ type: 'text', hidden: true, lazy: true })
  passwordHash: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(email: string, passwordHash: string) {
    this.email = email.toLowerCase();
    this.passwordHash = passwordHash;
  }
}
