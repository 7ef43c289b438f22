import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { hash, verify } from '@node-rs/argon2';
import type { MeasurementType } from '@opendsp/omron-api';
import {
  generatedSpan,
  isKnownTimeZone,
  maxReadingsInRange,
  MeasurementStore,
  offsetLookup,
  ReadingIngestion,
  streamReadings,
  UserPreferencesService,
  type IngestResult,
  type Preferences,
} from '../measurements/index.js';
import { randomSeed } from '../random/seeded-random.js';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import type { CreateTestUserDto, GenerateReadingsDto, PreferencesDto } from './dto/staging-tool.dto.js';
import { parseUploadedReadings } from './reading-upload.js';
import { parseReadingsSpreadsheet } from './readings-spreadsheet.js';

/** A staging-tool input the service refuses, with the field it concerns. */
export class StagingToolInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'StagingToolInputError';
  }
}

export class EmailTakenError extends StagingToolInputError {
  constructor() {
    super('email', 'A test user with this e-mail already exists; sign in instead');
  }
}

/** Largest spreadsheet or device upload, in readings. */
export const MAX_UPLOAD_READINGS = 100_000;

export interface TestUserView {
  id: string;
  sub: string;
  email: string;
  createdAt: Date;
  preferences: Preferences;
  readings: Partial<Record<MeasurementType, number>>;
}

/**
 * The staging tool (OMRON's tool.omronwellness.com): test users, random readings, spreadsheet uploads.
 * Pages and the admin JSON API both call it; every reading goes through {@link ReadingIngestion}.
 */
@Injectable()
export class StagingToolService {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly em: EntityManager,
    private readonly ingestion: ReadingIngestion,
    private readonly preferences: UserPreferencesService,
    private readonly store: MeasurementStore,
  ) {}

  async signUp(input: CreateTestUserDto): Promise<TestUserView> {
    const { email, password, ...preferences } = input;
    this.checkPreferences(preferences);
    const em = this.em.fork();
    if (await em.count(SandboxUser, { email: email.toLowerCase() })) throw new EmailTakenError();
    const user = new SandboxUser(email, await hash(password));
    await em.persist(user).flush();
    if (Object.values(preferences).some((value) => value !== undefined)) await this.preferences.update(user.id, preferences);
    return this.view(user.id);
  }

  /** The user with these credentials, or null (the same answer for an unknown e-mail and a wrong password). */
  async signIn(email: string, password: string): Promise<SandboxUser | null> {
    const user = await this.em.fork().findOne(SandboxUser, { email: String(email).toLowerCase() }, { populate: ['passwordHash'] });
    if (!user) {
      // Spend the same time as a real check, so response times do not reveal which e-mails exist.
      this.dummyHash ??= hash('no-such-user');
      await verify(await this.dummyHash, String(password)).catch(() => false);
      return null;
    }
    return (await verify(user.passwordHash, String(password)).catch(() => false)) ? user : null;
  }

  async view(userId: string): Promise<TestUserView> {
    const user = await this.em.fork().findOneOrFail(SandboxUser, { id: userId });
    return {
      id: user.id,
      sub: user.sub,
      email: user.email,
      createdAt: user.createdAt,
      preferences: await this.preferences.get(user.id),
      readings: await this.store.countsByType(this.em.fork(), user.id),
    };
  }

  async findUser(userId: string): Promise<SandboxUser | null> {
    return /^[0-9a-f-]{36}$/i.test(userId) ? this.em.fork().findOne(SandboxUser, { id: userId }) : null;
  }

  async updatePreferences(userId: string, changes: PreferencesDto): Promise<Preferences> {
    this.checkPreferences(changes);
    return this.preferences.update(userId, changes);
  }

  /** Random, realistic readings over a date range, uploaded as a device would. */
  async generate(userId: string, input: GenerateReadingsDto): Promise<IngestResult & { seed: number }> {
    const from = new Date(input.from);
    const to = new Date(input.to);
    if (!(from < to)) throw new StagingToolInputError('to', 'to must be after from');
    if (to.getTime() > Date.now() + 86_400_000) throw new StagingToolInputError('to', 'to must not be in the future');
    const room = maxReadingsInRange(input.type, from, to);
    if (input.count > room) {
      throw new StagingToolInputError(
        'count',
        `at most ${room} ${input.type} readings fit between from and to (${input.type === 'activity' ? 'one per day' : 'one per second'})`,
      );
    }
    const seed = input.seed ?? randomSeed();
    const { timeZone } = await this.preferences.get(userId);
    const options = { type: input.type, from, to, count: input.count, seed, afibRate: input.afibRate, offsetAt: offsetLookup(timeZone) };
    // Generated while they are stored, afresh each time they are iterated.
    const readings = { [Symbol.iterator]: () => streamReadings(options) };
    return { ...(await this.ingestion.ingest(userId, readings, 'generated', generatedSpan(options))), seed };
  }

  /** A device-style upload of explicit readings (JSON). */
  async upload(userId: string, readings: unknown): Promise<IngestResult> {
    return this.ingestion.ingest(userId, parseUploadedReadings(readings, { maxReadings: MAX_UPLOAD_READINGS }), 'device');
  }

  /** A filled-in Excel template; times are local to the user. */
  async uploadSpreadsheet(userId: string, file: Buffer): Promise<IngestResult> {
    const { timeZone } = await this.preferences.get(userId);
    const readings = await parseReadingsSpreadsheet(file, timeZone, { maxReadings: MAX_UPLOAD_READINGS });
    return this.ingestion.ingest(userId, readings, 'spreadsheet');
  }

  private checkPreferences(preferences: PreferencesDto): void {
    if (preferences.timeZone !== undefined && !isKnownTimeZone(preferences.timeZone)) {
      throw new StagingToolInputError(
        'timeZone',
        `timeZone "${preferences.timeZone}" is not an IANA time zone (e.g. America/Chicago, Asia/Tokyo, UTC)`,
      );
    }
  }
}
