import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { executePrepared } from './bound-statement.helpers.js';
import type { MeasurementKind } from './measurement-kinds.catalogue.js';
import type { ReadingInput } from './readings.repository.js';

/** A reading a page inserted or changed (a replayed, unchanged reading does not land again). */
export interface LandedReading {
  /** The reading's row ID in its kind's table. */
  id: string;
  /** False: the reading was stored before and one of its values changed. */
  inserted: boolean;
  /** The normalised reading as written: `ReadingInput`'s columns and the kind's catalogue columns. */
  row: ReadingInput & Record<string, unknown>;
}

/**
 * Where a page came from. `fresh`: a page someone waits for (a notification, "sync now"). `background`: one of
 * possibly many pages of a backfill or reconciliation pull.
 */
export type LandingLane = 'fresh' | 'background';

/** What one page write changed for one participant and kind. */
export interface LandedPage {
  participantId: string;
  kind: MeasurementKind;
  lane: LandingLane;
  readings: readonly LandedReading[];
}

/**
 * One statement a listener hands to `ReadingsLanded.apply` instead of running it, so that it rides in the writer's
 * round trip after the page's upsert: `sql` with `$1..$n` bind parameters (`params`), numbered from 1 as if it ran
 * alone. A data-modifying statement (insert, update, delete) ends in `returning …` (`returning 1` when it wants
 * no rows): the composed statement reads every part to its end, in order, which is what runs them in order. At
 * most one contribution of a page may be a select. `$n` must appear only as bind parameters (not inside literals).
 * The text must not depend on values (they go in `params`): the composed statement is prepared by its text.
 */
export interface LandedStatement {
  sql: string;
  params: readonly unknown[];
  /**
   * Auxiliary CTEs the statement reads (`name as (…), name2 as (…)`, `$n` numbered with `sql`'s), composed before
   * it at the top level, where PostgreSQL wants data-modifying ones. Their names must not clash with another
   * part's: prefix them with the room's name.
   */
  with?: string;
  /** The rows it returns are handed to `onRows` (as JSON values, one object a row). */
  wantsRows?: boolean;
  /**
   * Runs after the composed statement, in the same transaction, with the rows asked for ([] if none). (Not named
   * `then`: an object with a `then` method is a thenable, and `await` would call it.)
   */
  onRows?: (rows: Record<string, unknown>[]) => Promise<void>;
}

/**
 * Runs inside the writer's transaction, after the page's upsert: what it writes commits or rolls back with it. It
 * may run statements itself (rare paths) and return the page's usual work as statements for `apply` to compose.
 */
export type ReadingsLandedListener = (em: EntityManager, page: LandedPage) => Promise<void | readonly LandedStatement[]>;

/**
 * Where rooms above measurements learn that readings landed, in the same transaction as the write, without
 * rescanning the reading tables: the sync writer calls `notify` after each page; a room that derives something
 * from readings (alerts, adherence) registers a listener when its module starts. Whatever writes readings outside
 * the app must load those rooms too: the renormalise command builds its writer in an application context of its own
 * (apps/dsp/src/cli/renormalise.module.ts), and a test compares its `listenerNames` with a worker process's. A
 * writer built by hand (benchmarks, tests) gets an instance with no listeners.
 */
@Injectable()
export class ReadingsLanded {
  private readonly listeners: { name: string; listener: ReadingsLandedListener }[] = [];
  /** Composed texts by their parts' texts: a page's parts have one of a few shapes, composed once each. */
  private readonly composedTexts = new Map<string, string>();

  listen(name: string, listener: ReadingsLandedListener): void {
    if (this.listeners.some((entry) => entry.name === name))
      throw new Error(`A readings-landed listener named ${name} is already registered`);
    this.listeners.push({ name, listener });
  }

  /** The registered listeners' names, in registration order (read-only: a copy). */
  get listenerNames(): string[] {
    return this.listeners.map(({ name }) => name);
  }

  /**
   * Runs the writer's own per-page statement (`alongside`, if any) and every listener's work for the page in ONE
   * round trip: the listeners are called in registration order and the statements they return are composed after
   * `alongside` into one statement of data-modifying CTEs (`composeLanded`); then each statement's `onRows` runs
   * with its rows, in the same order. A page that landed no reading runs only `alongside`. A listener's error
   * fails the page's transaction (it is retried).
   */
  async apply(em: EntityManager, page: LandedPage, alongside?: { sql: string; params: readonly unknown[] }): Promise<void> {
    const parts: { name: string; statement: LandedStatement }[] = alongside ? [{ name: 'writer', statement: alongside }] : [];
    if (page.readings.length > 0)
      for (const { name, listener } of this.listeners) {
        const returned = await this.call(name, page, () => listener(em, page));
        if (!returned) continue;
        for (const statement of returned) parts.push({ name, statement });
      }
    if (parts.length === 0) return;
    const shape = parts.map(({ statement }) => `${statement.with ?? ''}\u0000${statement.sql}`).join('\u0001');
    let sql = this.composedTexts.get(shape);
    if (sql === undefined) {
      sql = composeLanded(parts.map((part) => part.statement)).sql;
      if (this.composedTexts.size >= 100) this.composedTexts.clear();
      this.composedTexts.set(shape, sql);
    }
    // In the parts' order, as composeLanded numbers them.
    const params = parts.flatMap(({ statement }) => statement.params);
    // Prepared: its text depends only on the page's kind, lane and which parts it has, and parsing and planning
    // several CTEs cost more than running them.
    const rows = await executePrepared<{ part: number; row: Record<string, unknown> | null }>(em, sql, params);
    const byPart = parts.map((): Record<string, unknown>[] => []);
    for (const { part, row } of rows) if (row !== null) byPart[part].push(row);
    for (const [index, { name, statement }] of parts.entries())
      if (statement.onRows) await this.call(name, page, () => statement.onRows!(byPart[index]));
  }

  private async call<T>(name: string, page: LandedPage, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      Logger.warn(`Readings-landed listener ${name} failed for a ${page.kind} page`, 'ReadingsLanded');
      throw error;
    }
  }
}

/**
 * Composes statements into one: `with c0 as (…), c1 as (…) select 0 as part, … from c0 union all select 1, … from
 * c1 …`, each statement's `$n` renumbered after the ones before it, so they are sent as bound parameters in one
 * round trip. A part that wants rows yields one row per returned row (`row`: the row as JSON); any other yields
 * one row with a null `row` after counting its rows.
 *
 * Why this is safe for the page listeners: PostgreSQL runs every data-modifying CTE exactly once and to its end,
 * all against the statement's one snapshot, so a part does not see another part's writes. The writer's update of
 * the participant's enrollments (reading times), alerts' resolution of silences (`no_reading` alerts), alerts'
 * raise (reads alert_rule_set and enrollment's status and group, which the reading-times update does not change;
 * inserts `bp_crisis` and `possible_afib` alerts, which the resolution does not touch, and their webhook
 * deliveries) and insights' month increments (participant_reading_month) touch different tables, rows or
 * columns, so none needs to see another's write. The main query reads the parts to their end one after the other
 * (`union all` runs its branches in order; the count reads every row), so their row locks are taken in the order
 * of the parts: enrollment, alert, then insights' advisory lock (taken in its part's own plan before its first
 * row) and its months in month order. An auxiliary CTE no part reads (alerts' webhook deliveries) runs after them.
 */
export function composeLanded(statements: readonly Pick<LandedStatement, 'sql' | 'params' | 'wantsRows' | 'with'>[]): {
  sql: string;
  params: unknown[];
} {
  const params: unknown[] = [];
  const ctes: string[] = [];
  const selects: string[] = [];
  statements.forEach((statement, index) => {
    const offset = params.length;
    const renumbered = (text: string) =>
      text.replace(/\$(\d+)/g, (_, n: string) => {
        const number = Number(n);
        if (number < 1 || number > statement.params.length)
          throw new Error(`A landed statement refers to $${number} but has ${statement.params.length} parameters`);
        return `$${number + offset}`;
      });
    params.push(...statement.params);
    if (statement.with) ctes.push(renumbered(statement.with));
    ctes.push(`c${index} as (${renumbered(statement.sql)})`);
    selects.push(
      statement.wantsRows
        ? `select ${index} as part, to_jsonb(c${index}.*) as row from c${index}`
        : `select ${index} as part, case when count(*) >= 0 then null::jsonb end as row from c${index}`,
    );
  });
  return { sql: `with ${ctes.join(',\n')}\n${selects.join('\nunion all ')}`, params };
}
