import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 21 item 4: a group's lists (adherence, blood-pressure control, the CSV, the API's list) start from the
 * group's consented members with their OGSC and customer IDs (libs/participants' `consentedMembersSql`), and the
 * group page's funnel counts the group's enrollments by stage and connection state. Both read every row of the
 * group from the heaps of `enrollment` (one page per row: a group's rows are scattered) and `participant`; at
 * 5,000 members that is about 3,800 pages per list. These indexes answer them from index pages alone:
 * - `enrollment_group_status_index` (group, status) now carries the columns those statements read. It replaces the
 *   index of the same key, so an enrollment's update writes as many index entries as before (its reading-time
 *   update is not heap-only anyway: `last_reading_at` is indexed for the participant list);
 * - `participant_id_covering_index`: a participant's OGSC ID and OMRON user by ID (a participant changes rarely);
 * - `omron_connection_user_state_index`: a connection's state by OMRON user (libs/tokens' table, for
 *   `connectionJoinSql`). The new indexes take an entry on their tables' inserts and non-heap-only updates only
 *   (a participant connecting, a connection's state change or token refresh), never per readings page.
 */
export class Migration20261206191000_group_member_indexes extends Migration {
  override up(): void {
    this.addSql(`drop index if exists "enrollment_group_status_index";`);
    this.addSql(
      `create index "enrollment_group_status_index" on "enrollment" ("group_id", "status") include ("participant_id", "internal_customer_id", "invited_at", "link_opened_at", "consented_at", "first_reading_at", "last_reading_at");`,
    );
    this.addSql(`create index "participant_id_covering_index" on "participant" ("id") include ("ogsc_id", "omron_user_id");`);
    this.addSql(`create index "omron_connection_user_state_index" on "omron_connection" ("omron_user_id") include ("state");`);
  }

  override down(): void {
    this.addSql(`drop index if exists "omron_connection_user_state_index";`);
    this.addSql(`drop index if exists "participant_id_covering_index";`);
    this.addSql(`drop index if exists "enrollment_group_status_index";`);
    this.addSql(`create index "enrollment_group_status_index" on "enrollment" ("group_id", "status");`);
  }
}
