import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { executePrepared, ReadingsLanded, ReadingsRepository, type LandedPage, type LandedStatement } from '@opendsp/measurements';
import { ParticipantReadingsPort } from '@opendsp/participants';
import { ADHERENCE_KINDS } from './adherence.rules.js';

/** The advisory lock key of a participant's days (`participant`: SQL for the participant's ID as uuid). */
const LOCK_KEY = (participant: string) => `hashtextextended('participant_reading_day:' || ${participant}::text, 0)`;

/** One local day's share of a page's new readings. */
interface DayIncrement {
  day: string;
  readings: number;
  bp_readings: number;
  systolic_sum: number;
  diastolic_sum: number;
}

/**
 * Keeps `participant_reading_day` in step with the reading tables, inside the sync writer's transaction
 * (`ReadingsLanded`), without reading them back for the usual page:
 *
 * - A fresh page (a notification, "sync now") whose readings are all new (the upsert inserted them) adds them to
 *   their local days in one statement: an inserted reading was not counted before, and
 *   `readings = readings + excluded.readings` commutes with any concurrent page of the same participant (the row
 *   lock orders them).
 * - A fresh page with a changed reading (a re-sent reading whose values or time differ) may have moved a reading to
 *   another day, which the page no longer says: all of the participant's days are recounted from the readings
 *   through `ReadingsRepository.dailySummarySql` (rare: OMRON re-sends readings unchanged, and unchanged ones do
 *   not land).
 * - A background page (a backfill or reconciliation pull: up to 1,000 readings over 500 days) counts nothing: it
 *   notes the participant in `participant_reading_day_recount` (one row), and the transaction that finishes the
 *   pull (`ReadingsLanded.pullFinished`) recounts the participant's days once, set-based, if the note is there.
 *   Until then the participant's days lag behind the readings that pull wrote. A pull that fails half way keeps
 *   its pages and the note (or neither, page by page); its retry resumes and its finish recounts. A note left by a
 *   pull that never finishes (a dead letter) is recounted by the participant's next finished background pull.
 *
 * Recount and increments: an increment takes a shared transaction-scoped advisory lock on the participant (in its
 * statement), a recount the exclusive one before its statements. So a page either committed before the recount's
 * statements start (its readings are in their snapshot and its increments deleted with the rest) or adds its
 * increments after the recount committed (its readings were not in it). Without it, a page's new day row, not yet
 * committed, would be invisible to the recount's delete and collide with the recount's insert. A page noting a
 * recount waits for a finishing pull that deletes the note, then notes it again; its readings, uncommitted when the
 * recount ran, are counted by the next one.
 *
 * A withdrawal that deletes the readings deletes the days and the note in the same transaction, through the
 * participants room's `ParticipantReadingsPort`.
 */
@Injectable()
export class ReadingDays implements OnModuleInit {
  constructor(
    private readonly landed: ReadingsLanded,
    private readonly readings: ReadingsRepository,
    private readonly participantReadings: ParticipantReadingsPort,
  ) {}

  onModuleInit(): void {
    this.landed.listen('insights.reading-days', (em, page) => this.pageLanded(em, page));
    this.landed.listenPullFinished('insights.reading-days', (em, pull) => this.pullFinished(em, pull.participantId));
    this.participantReadings.implement(async (em, participantId) => {
      await this.forget(em, participantId);
      // A summary, not readings: it does not add to the count.
      return 0;
    });
  }

  /**
   * The readings-landed listener. A page's usual work (its day increments, or a background page's note) is returned
   * as one statement for `ReadingsLanded.apply` to send in the writer's round trip; only a fresh page with a changed
   * reading runs its recount here, in its own statements.
   */
  async pageLanded(em: EntityManager, page: LandedPage): Promise<LandedStatement[]> {
    // Activity pages change nothing here: steps do not count as a day's measurement and carry no blood pressure.
    if (!ADHERENCE_KINDS.includes(page.kind)) return [];
    if (page.lane === 'background') return [this.noteRecount(page.participantId)];
    if (page.readings.some((reading) => !reading.inserted)) {
      await this.recompute(em, page.participantId);
      return [];
    }
    const days = new Map<string, DayIncrement>();
    for (const { row } of page.readings) {
      const day = String(row.local_time).slice(0, 10);
      let entry = days.get(day);
      if (!entry) days.set(day, (entry = { day, readings: 0, bp_readings: 0, systolic_sum: 0, diastolic_sum: 0 }));
      entry.readings++;
      if (page.kind === 'blood_pressure' && typeof row.systolic_mmhg === 'number' && typeof row.diastolic_mmhg === 'number') {
        entry.bp_readings++;
        entry.systolic_sum += row.systolic_mmhg;
        entry.diastolic_sum += row.diastolic_mmhg;
      }
    }
    // In day order, so concurrent pages of one participant lock the rows they share in the same order.
    const increments = [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
    // Bound parameters, one array per column: inlined, a page's values would be parsed as one long literal. The
    // shared lock is a one-time filter's init plan, taken before the first row is inserted (inside `exists`, the
    // planner would drop the call); composed with the writer's statement, it is still this part's own plan.
    const increment: LandedStatement = {
      sql: `insert into "participant_reading_day" as t ("participant_id", "day", "readings", "bp_readings", "systolic_sum", "diastolic_sum")
       select $1::uuid, i.day, i.readings, i.bp_readings, i.systolic_sum, i.diastolic_sum
         from unnest($2::date[], $3::int[], $4::int[], $5::bigint[], $6::bigint[]) as i(day, readings, bp_readings, systolic_sum, diastolic_sum)
        where (select pg_advisory_xact_lock_shared(${LOCK_KEY('$1::uuid')})::text) is not null
       on conflict ("participant_id", "day") do update set
         "readings" = t."readings" + excluded."readings", "bp_readings" = t."bp_readings" + excluded."bp_readings",
         "systolic_sum" = t."systolic_sum" + excluded."systolic_sum", "diastolic_sum" = t."diastolic_sum" + excluded."diastolic_sum"
       returning 1`,
      params: [
        page.participantId,
        increments.map((entry) => entry.day),
        increments.map((entry) => entry.readings),
        increments.map((entry) => entry.bp_readings),
        increments.map((entry) => entry.systolic_sum),
        increments.map((entry) => entry.diastolic_sum),
      ],
    };
    return [increment];
  }

  /** A background page: the participant's days are recounted when the pull finishes. */
  private noteRecount(participantId: string): LandedStatement {
    return {
      sql: `insert into "participant_reading_day_recount" ("participant_id") values ($1::uuid) on conflict do nothing returning 1`,
      params: [participantId],
    };
  }

  /** A background pull finished: recounts the participant's days if one of its pages (or an earlier pull's) left a note. */
  async pullFinished(em: EntityManager, participantId: string): Promise<void> {
    // The note and the participant's lock in one round trip (the lock is cheap when nothing was noted).
    const [{ noted }] = await em.execute<{ noted: number }[]>(
      `with noted as (delete from "participant_reading_day_recount" where "participant_id" = ? returning 1)
       select (select count(*) from noted)::int as noted, pg_advisory_xact_lock(${LOCK_KEY('?::uuid')})::text as locked`,
      [participantId, participantId],
    );
    if (noted > 0) await this.recount(em, participantId);
  }

  /** Recomputes every day of a participant from their readings. */
  async recompute(em: EntityManager, participantId: string): Promise<void> {
    await em.execute(`select pg_advisory_xact_lock(${LOCK_KEY('?::uuid')})`, [participantId]);
    await this.recount(em, participantId);
  }

  /**
   * Replaces the participant's days with a count of their readings; the caller holds the participant's lock. One
   * statement, prepared (its text is fixed; parsing and planning the summary's union of every counting kind cost
   * a good part of a new participant's count): the days no reading is on any more are deleted, the counted days
   * the summary has already are updated where their figures differ, and the others inserted. All three read the
   * statement's one snapshot and touch different rows; no other transaction adds a day of the participant
   * meanwhile (their increments wait for the lock), so the insert needs no conflict handling (a plain insert: an
   * upsert's speculative insertion cost a new participant's 1,000 days about 1.5 ms more).
   */
  private async recount(em: EntityManager, participantId: string): Promise<void> {
    const summary = this.readings.dailySummarySql(participantId, ADHERENCE_KINDS, '$1');
    await executePrepared(
      em,
      `with s as (${summary.sql}),
       gone as (
         delete from "participant_reading_day" d where d."participant_id" = $1::uuid and d."day" not in (select s.day from s) returning 1),
       changed as (
         update "participant_reading_day" t
            set "readings" = s.readings, "bp_readings" = s.bp_readings, "systolic_sum" = s.systolic_sum, "diastolic_sum" = s.diastolic_sum
           from s
          where t."participant_id" = $1::uuid and t."day" = s.day
            and (t."readings", t."bp_readings", t."systolic_sum", t."diastolic_sum")
                is distinct from (s.readings, s.bp_readings, s.systolic_sum, s.diastolic_sum)
         returning 1)
       insert into "participant_reading_day" ("participant_id", "day", "readings", "bp_readings", "systolic_sum", "diastolic_sum")
       select $1::uuid, s.day, s.readings, s.bp_readings, s.systolic_sum, s.diastolic_sum from s
        where not exists (select 1 from "participant_reading_day" t where t."participant_id" = $1::uuid and t."day" = s.day)`,
      summary.params,
    );
  }

  /**
   * Rebuilds the whole summary from the readings (a repair, or a database seeded without the sync's writer);
   * run it in a transaction that also holds the change-sequence lock, so no page lands meanwhile.
   */
  async rebuildAll(em: EntityManager): Promise<void> {
    await em.execute(`delete from "participant_reading_day"`);
    await em.execute(`delete from "participant_reading_day_recount"`);
    await this.fill(em, null);
  }

  private async fill(em: EntityManager, participantId: string | null): Promise<void> {
    const summary = this.readings.dailySummarySql(participantId, ADHERENCE_KINDS);
    await em.execute(
      `insert into "participant_reading_day" ("participant_id", "day", "readings", "bp_readings", "systolic_sum", "diastolic_sum")
       select s.participant_id, s.day, s.readings, s.bp_readings, s.systolic_sum, s.diastolic_sum from (${summary.sql}) s`,
      summary.params,
    );
  }

  async forget(em: EntityManager, participantId: string): Promise<void> {
    await em.execute(`delete from "participant_reading_day" where "participant_id" = ?`, [participantId]);
    await em.execute(`delete from "participant_reading_day_recount" where "participant_id" = ?`, [participantId]);
  }
}
