import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { MEASUREMENT_KIND_NAMES, ReadingsRepository, type MeasurementKind, type TimelineRow } from '@opendsp/measurements';
import type { ApiPrincipal } from '../auth/api-principal.types.js';
import { decodeCursor, encodeCursor } from '../data/cursor.helpers.js';
import { ReadingsApiService } from '../data/readings-api.service.js';
import { ApiProblem } from '../problems/api-problem.exception.js';
import type { ReadingDto } from '../dto/readings.dto.js';
import { OBSERVATION_TYPES, toObservation, type Observation } from './fhir-observations.helpers.js';
import { parseCodeCriteria, parseDateCriteria } from './fhir-search.parser.js';

/** The search's parameters as the controller validated them. */
export interface ObservationSearch {
  date: string[];
  code?: string;
  count: number;
  cursor?: string;
}

export interface BundleLink {
  relation: 'self' | 'next';
  url: string;
}

export interface SearchsetBundle {
  resourceType: 'Bundle';
  type: 'searchset';
  link: BundleLink[];
  entry?: { fullUrl: string; resource: Observation; search: { mode: 'match' } }[];
}

/** Where a page starts: an Observation of a reading (its measured_at in microseconds, kind, ID, type index). */
const CURSOR_PATTERNS = [
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/,
  new RegExp(`^(${MEASUREMENT_KIND_NAMES.join('|')})$`),
  /^\d{1,19}$/,
  /^\d{1,2}$/,
];

interface Positioned {
  observation: Observation;
  position: [string, MeasurementKind, string, number];
}

/**
 * FHIR R4 Observation search over one participant's readings: a `searchset` Bundle in time order, paged by an
 * opaque cursor in the `next` link. Who may read what is the REST API's rule (`ReadingsApiService`).
 */
@Injectable()
export class FhirApiService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
    private readonly readingsApi: ReadingsApiService,
    private readonly readings: ReadingsRepository,
  ) {}

  async searchObservations(principal: ApiPrincipal, ogscId: string, search: ObservationSearch): Promise<SearchsetBundle> {
    const dates = parseDateCriteria(search.date);
    const types = parseCodeCriteria(search.code);
    const start = decodeCursor(search.cursor, CURSOR_PATTERNS);
    const em = this.em.fork();
    const { participant, readable } = await this.readingsApi.readableParticipant(em, principal, ogscId);
    const self = this.searchUrl(participant.ogsc_id, search, search.cursor);
    const bundle = (entries: Observation[], next?: string): SearchsetBundle => ({
      resourceType: 'Bundle',
      type: 'searchset',
      link: [{ relation: 'self', url: self }, ...(next ? [{ relation: 'next' as const, url: next }] : [])],
      ...(entries.length
        ? { entry: entries.map((resource) => ({ fullUrl: this.observationUrl(resource), resource, search: { mode: 'match' as const } })) }
        : {}),
    });
    const kinds = MEASUREMENT_KIND_NAMES.filter((kind) => types.some((type) => type.kind === kind));
    // A kind whose wanted Observations all need a value: only readings with one of those values (body fat alone, say).
    const present: Partial<Record<MeasurementKind, string[]>> = {};
    for (const kind of kinds) {
      const needs = types.filter((type) => type.kind === kind).map((type) => type.requires);
      if (needs.every((field) => field !== null)) present[kind] = needs as string[];
    }
    if (!readable || dates.empty || kinds.length === 0) return bundle([]);

    // Readings are fetched until one Observation more than the page holds is found: that one starts the next page.
    const found: Positioned[] = [];
    let from = start ? { measuredAt: start[0], kind: start[1] as MeasurementKind, id: start[2], inclusive: true } : undefined;
    let skipBefore = start ? Number(start[3]) : 0;
    for (;;) {
      const rows = await this.readings.timelinePage(em, {
        participantId: participant.id,
        kinds,
        from: dates.from,
        to: dates.to,
        excluded: dates.excluded,
        start: from,
        present,
        limit: search.count + 1,
      });
      for (const row of rows) {
        found.push(...this.observationsOf(row, types, from?.inclusive && row.id === from.id && row.kind === from.kind ? skipBefore : 0));
        if (found.length > search.count) break;
      }
      const last = rows.at(-1);
      if (found.length > search.count || rows.length <= search.count || !last) break;
      from = { measuredAt: last.cursor_time, kind: last.kind, id: last.id, inclusive: false };
      skipBefore = 0;
    }
    const next = found[search.count];
    return bundle(
      found.slice(0, search.count).map((item) => item.observation),
      next ? this.searchUrl(participant.ogsc_id, search, encodeCursor(next.position.map(String))) : undefined,
    );
  }

  /**
   * One Observation by its id, `{ogscId}-{type}-{upstreamId}`, under the same access rule as the search: an id
   * that is not this participant's, or a reading that is gone or not readable, is a 404.
   */
  async readObservation(principal: ApiPrincipal, ogscId: string, id: string): Promise<Observation> {
    const em = this.em.fork();
    const { participant, readable } = await this.readingsApi.readableParticipant(em, principal, ogscId);
    const notFound = new ApiProblem('not_found', `No Observation ${id} of participant ${participant.ogsc_id}.`);
    const prefix = `${participant.ogsc_id}-`;
    const match = id.startsWith(prefix) ? /^(.+)-(\d{1,19})$/.exec(id.slice(prefix.length)) : null;
    const type = match ? OBSERVATION_TYPES.find((candidate) => candidate.token === match[1]) : undefined;
    if (!readable || !match || !type) throw notFound;
    const reading = await this.readings.apiReading(em, type.kind, participant.id, match[2]);
    const observation = reading ? toObservation(type, reading as ReadingDto) : null;
    if (!observation) throw notFound;
    return observation;
  }

  /** An Observation's own URL (the Bundle entry's `fullUrl`), which `readObservation` answers. */
  private observationUrl(observation: Observation): string {
    const ogscId = observation.subject.identifier.value;
    return `${this.config.http.publicBaseUrl}/api/v1/participants/${encodeURIComponent(ogscId)}/fhir/Observation/${observation.id}`;
  }

  private observationsOf(row: TimelineRow, types: readonly (typeof OBSERVATION_TYPES)[number][], skipBefore: number): Positioned[] {
    const result: Positioned[] = [];
    OBSERVATION_TYPES.forEach((type, index) => {
      if (type.kind !== row.kind || index < skipBefore || !types.includes(type)) return;
      const observation = toObservation(type, row.reading as ReadingDto);
      if (observation) result.push({ observation, position: [row.cursor_time, row.kind, row.id, index] });
    });
    return result;
  }

  /** The search's absolute URL at the environment's public address, parameters in a fixed order. */
  private searchUrl(ogscId: string, search: ObservationSearch, cursor: string | undefined): string {
    const params = new URLSearchParams();
    for (const date of search.date) params.append('date', date);
    if (search.code !== undefined) params.append('code', search.code);
    params.append('_count', String(search.count));
    if (cursor) params.append('_cursor', cursor);
    return `${this.config.http.publicBaseUrl}/api/v1/participants/${encodeURIComponent(ogscId)}/fhir/Observation?${params.toString()}`;
  }
}
