import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { executeBound, ReadingsLanded, ReadingsRepository, type LandedPage } from '@opendsp/measurements';
import { ParticipantReadingsPort } from '@opendsp/participants';
import { ADHERENCE_KINDS } from './adherence.rules.js';

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
 * - A page whose readings are all new (the upsert inserted them) adds them to their local days in one statement:
 *   an inserted reading was not counted before, and `readings = readings + excluded.readings` commutes with any
 *   concurrent page of the same participant (the row lock orders them).
 * - A page with a changed reading (a re-sent reading whose values or time differ) may have moved a reading to
 *   another day, which the page no longer says: all of the participant's days are recomputed from the readings
 *   through `ReadingsRepository.dailySummarySql` (rare: OMRON re-sends readings unchanged, and unchanged ones do
 *   not land). A concurrent page's increment either commits before the recompute's statements start (and is in
 *   their snapshot) or waits on the recomputed rows and adds to them. Two recomputes of one participant take
 *   turns on a transaction-scoped advisory lock, so the second deletes the rows the first inserted.
 *
 * A withdrawal that deletes the readings deletes the days in the same transaction, through the participants
 * room's `ParticipantReadingsPort`.
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
    this.participantReadings.implement(async (em, participantId) => {
      await this.forget(em, participantId);
      // A summary, not readings: it does not add to the count.
      return 0;
    });
  }

  async pageLanded(em: EntityManager, page: LandedPage): Promise<void> {
    // Activity pages change nothing here: steps do not count as a day's measurement and carry no blood pressure.
    if (!ADHERENCE_KINDS.includes(page.kind)) return;
    if (page.readings.some((reading) => !reading.inserted)) return this.recompute(em, page.participantId);
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
    // Bound parameters, one array per column: inlined, a page's values would be parsed as one long literal.
    await executeBound(
      em,
      `insert into "participant_reading_day" as t ("participant_id", "day", "readings", "bp_readings", "systolic_sum", "diastolic_sum")
       select $1::uuid, i.day, i.readings, i.bp_readings, i.systolic_sum, i.diastolic_sum
         from unnest($2::date[], $3::int[], $4::int[], $5::bigint[], $6::bigint[]) as i(day, readings, bp_readings, systolic_sum, diastolic_sum)
       on conflict ("participant_id", "day") do update set
         "readings" = t."readings" + excluded."readings", "bp_readings" = t."bp_readings" + excluded."bp_readings",
         "systolic_sum" = t."systolic_sum" + excluded."systolic_sum", "diastolic_sum" = t."diastolic_sum" + excluded."diastolic_sum"`,
      [
        page.participantId,
        increments.map((entry) => entry.day),
        increments.map((entry) => entry.readings),
        increments.map((entry) => entry.bp_readings),
        increments.map((entry) => entry.systolic_sum),
        increments.map((entry) => entry.diastolic_sum),
      ],
    );
  }

  /** Recomputes every day of a participant from their readings. */
  async recompute(em: EntityManager, participantId: string): Promise<void> {
    await em.execute(`select pg_advisory_xact_lock(hashtextextended('participant_reading_day:' || ?, 0))`, [participantId]);
    await em.execute(`delete from "participant_reading_day" where "participant_id" = ?`, [participantId]);
    await this.fill(em, participantId);
  }

  /**
   * Rebuilds the whole summary from the readings (a repair, or a database seeded without the sync's writer);
   * run it in a transaction that also holds the change-sequence lock, so no page lands meanwhile.
   */
  async rebuildAll(em: EntityManager): Promise<void> {
    await em.execute(`delete from "participant_reading_day"`);
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
  }
}
