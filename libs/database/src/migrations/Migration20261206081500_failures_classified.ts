import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 18: the circuit breaker counts failures per participant within a window (`sync_upstream_failure`), and a
 * pull put off until OMRON may be called again says so in its own ledger columns instead of over `last_error`.
 */
export class Migration20261206081500_failures_classified extends Migration {
  override up(): void {
    this.addSql(
      `create table "sync_upstream_failure" ("id" bigserial primary key, "endpoint" text not null, "subject" text not null, "reason" text not null, "failed_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "sync_upstream_failure_endpoint_failed_at_index" on "sync_upstream_failure" ("endpoint", "failed_at");`);
    this.addSql(`alter table "sync_ledger" add column "deferred_until" timestamptz null, add column "deferred_reason" text null;`);
  }

  override down(): void {
    this.addSql(`alter table "sync_ledger" drop column "deferred_until", drop column "deferred_reason";`);
    this.addSql(`drop table if exists "sync_upstream_failure";`);
  }
}
