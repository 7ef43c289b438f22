import { Migration } from '@mikro-orm/migrations';

/**
 * Security hardening (issue 16): outbox messages that carry a one-time link say when it stops working, so
 * the link is removed from the stored body once it has (docs/security.md).
 */
export class Migration20261206046000_security_hardening extends Migration {
  override up(): void {
    this.addSql(`alter table "mail_outbox" add column "link_expires_at" timestamptz null;`);
  }

  override down(): void {
    this.addSql(`alter table "mail_outbox" drop column "link_expires_at";`);
  }
}
