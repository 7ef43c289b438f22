import { BadRequestException, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { DspConfig, type Language } from '@opendsp/config';
import { MEASUREMENT_KIND_NAMES, type MeasurementKind } from '@opendsp/measurements';
import { SyncStatusService } from '@opendsp/sync';
import {
  bloodPressureChart,
  bodyCompositionChart,
  ecgWaveformChart,
  hourlyStepsChart,
  oxygenChart,
  pulseChart,
  stepsChart,
  temperatureChart,
  weightChart,
  type ChartContext,
} from '../charts/reading-charts.helpers.js';
import { addDays, zonedDay, zonedDayStart } from '@opendsp/time-zone';
import { WINDOW_DAYS, type ParticipantPageQuery } from './dto/participant-page-query.dto.js';
import { ParticipantRecords } from './participant-records.service.js';
import { ReadingQueries, type ReadingWindow } from './reading-queries.service.js';

const ECG_CLASSIFICATIONS = ['normal', 'possibleAfib', 'bradycardia', 'tachycardia', 'unclassified'];
/** The message key of an ECG classification; one the catalogue does not know is shown as sent. */
const classificationKey = (classification: string) =>
  ECG_CLASSIFICATIONS.includes(classification) ? `ecg.${classification}` : classification;

export interface PeriodQuery {
  days: number;
  end: string;
  /** The activity day whose hourly detail is shown. */
  day?: string;
  /** The ECG recording whose waveform is shown. */
  ecg?: string;
}

/**
 * The participant page's period from its validated query (`ParticipantPageQuery`): `end` defaults to today and
 * must lie between 2000-01-01 and tomorrow, which only a check against today can say (a 400 otherwise).
 */
export function periodOf(query: ParticipantPageQuery, today: string): PeriodQuery {
  const end = query.end ?? today;
  if (end > addDays(today, 1) || end < '2000-01-01') throw new BadRequestException();
  return { days: query.days, end, day: query.day, ecg: query.ecg };
}

/** The link to this page with some of its parameters changed. */
function pageLink(ogscId: string, period: PeriodQuery, change: Partial<PeriodQuery>, anchor = ''): string {
  const next = { ...period, ...change };
  const params = new URLSearchParams({ days: String(next.days), end: next.end });
  if (next.day) params.set('day', next.day);
  if (next.ecg) params.set('ecg', next.ecg);
  return `/participants/${ogscId}?${params.toString()}${anchor}`;
}

/**
 * Everything the participant page shows, assembled: identity and enrollments, the OMRON connection and its
 * history, devices, the sync ledger (when the sync module provides one), and per kind of reading a chart and
 * a table for the chosen period, in the environment's time zone.
 */
@Injectable()
export class ParticipantPage {
  constructor(
    private readonly em: EntityManager,
    private readonly records: ParticipantRecords,
    private readonly readings: ReadingQueries,
    private readonly config: DspConfig,
    private readonly sync: SyncStatusService,
  ) {}

  async view(user: PortalUser, ogscId: string, query: ParticipantPageQuery, lang: Language): Promise<Record<string, unknown>> {
    const timeZone = this.config.environment.timezone;
    const today = zonedDay(new Date(), timeZone);
    const period = periodOf(query, today);
    const { participant, enrollments } = await this.records.visible(this.em.fork(), user, ogscId);
    const participantId = participant.id;
    const firstDay = addDays(period.end, -(period.days - 1));
    const window: ReadingWindow = {
      days: period.days,
      firstDay,
      lastDay: period.end,
      from: zonedDayStart(firstDay, timeZone),
      to: zonedDayStart(addDays(period.end, 1), timeZone),
    };
    const context: ChartContext = { lang, timeZone, window };
    const id = participant.ogscId;

    // Independent reads, side by side: the reading tables in one statement (every kind's period and latest time);
    // the chosen day's hours and the chosen recording's waveform follow it in one more, in the same chain, so the
    // page waits for the slowest chain, not for two rounds of queries.
    const [
      connection,
      [{ latest, bloodPressure, weight, activity, temperature, oxygen, ecg, devices }, selectedActivity, hours, selectedEcg, waveform],
      ledger,
    ] = await Promise.all([
      this.records.connection(participant),
      this.readings.page(participantId, window).then(async (found) => {
        const activityRow = found.activity.rows.find((row) => row.day === period.day) ?? found.activity.rows.at(-1) ?? null;
        const ecgRow = found.ecg.rows.find((row) => row.id === period.ecg) ?? found.ecg.rows.at(-1) ?? null;
        const detail = await this.readings.detail(participantId, activityRow?.id ?? null, ecgRow?.id ?? null);
        return [found, activityRow, detail.hours, ecgRow, detail.waveform] as const;
      }),
      this.sync.ledger(participantId),
    ]);

    const record = { participant, enrollments: this.records.withStale(enrollments), ...connection, devices };

    const newest = MEASUREMENT_KIND_NAMES.map((kind) => latest[kind]).filter((at): at is Date => at !== null);
    const latestOverall = newest.length ? new Date(Math.max(...newest.map((at) => at.getTime()))) : null;
    const inWindow =
      bloodPressure.rows.length +
      weight.rows.length +
      activity.rows.length +
      temperature.rows.length +
      oxygen.rows.length +
      ecg.rows.length;
    const has = (kind: MeasurementKind) => latest[kind] !== null;
    const newestFirst = <T>(rows: T[]) => [...rows].reverse();

    return {
      title: 'participants.details_title',
      record,
      ogscId: id,
      connectionEvents: record.connectionEvents,
      ledger: ledger.map((entry) => ({ ...entry, kindKey: `kind.${entry.kind}` })),
      syncKinds: MEASUREMENT_KIND_NAMES.filter(has).map((kind) => ({ kind, label: `kind.${kind}` })),
      period: {
        ...period,
        firstDay,
        lastDay: period.end,
        choices: WINDOW_DAYS.map((days) => ({ days, href: pageLink(id, period, { days, day: undefined }), current: days === period.days })),
        previous: pageLink(id, period, { end: addDays(period.end, -period.days), day: undefined, ecg: undefined }),
        next:
          period.end < today
            ? pageLink(id, period, {
                end: addDays(period.end, period.days) > today ? today : addDays(period.end, period.days),
                day: undefined,
                ecg: undefined,
              })
            : null,
        latest:
          inWindow === 0 && latestOverall && latestOverall < window.from
            ? pageLink(id, period, { end: zonedDay(latestOverall, timeZone), day: undefined, ecg: undefined })
            : null,
      },
      latestOverall,
      kinds: {
        blood_pressure: has('blood_pressure') && {
          rows: newestFirst(bloodPressure.rows),
          count: bloodPressure.rows.length,
          afibCount: bloodPressure.rows.filter((row) => row.possibleAfib).length,
          truncated: bloodPressure.truncated,
          chart: bloodPressureChart(context, bloodPressure.rows),
          pulseChart: pulseChart(context, bloodPressure.rows),
        },
        weight: has('weight') && {
          rows: newestFirst(weight.rows),
          count: weight.rows.length,
          truncated: weight.truncated,
          chart: weightChart(context, weight.rows),
          bodyChart: weight.rows.some((row) => row.bodyFatPercent !== null || row.skeletalMusclePercent !== null)
            ? bodyCompositionChart(context, weight.rows)
            : null,
        },
        activity: has('activity') && {
          rows: newestFirst(activity.rows).map((row) => ({
            ...row,
            href: pageLink(id, period, { day: row.day }, '#activity'),
            selected: row.id === selectedActivity?.id,
          })),
          count: activity.rows.length,
          truncated: activity.truncated,
          chart: stepsChart(context, activity.rows, selectedActivity?.day ?? null, (day) => pageLink(id, period, { day }, '#activity')),
          selectedDay: selectedActivity?.day ?? null,
          hours,
          hourlyChart:
            selectedActivity && hours.length ? hourlyStepsChart(context, selectedActivity.day, hours, selectedActivity.id) : null,
        },
        temperature: has('temperature') && {
          rows: newestFirst(temperature.rows),
          count: temperature.rows.length,
          truncated: temperature.truncated,
          chart: temperatureChart(context, temperature.rows),
        },
        oxygen: has('oxygen') && {
          rows: newestFirst(oxygen.rows),
          count: oxygen.rows.length,
          truncated: oxygen.truncated,
          chart: oxygenChart(context, oxygen.rows),
        },
        ecg: has('ecg') && {
          rows: newestFirst(ecg.rows).map((row) => ({
            ...row,
            classificationKey: classificationKey(row.classification),
            href: pageLink(id, period, { ecg: row.id }, '#ecg'),
            selected: row.id === selectedEcg?.id,
          })),
          count: ecg.rows.length,
          truncated: ecg.truncated,
          selected: selectedEcg && { ...selectedEcg, classificationKey: classificationKey(selectedEcg.classification) },
          chart: selectedEcg && waveform ? ecgWaveformChart(context, selectedEcg, waveform) : null,
        },
      },
      hasAnyReadings: latestOverall !== null,
    };
  }
}
