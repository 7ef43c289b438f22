import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import { DEFAULT_PREFERENCES, UserPreferences, type Preferences } from './user-preferences.entity.js';

/** A test user's unit and time-zone settings. */
@Injectable()
export class UserPreferencesService {
  constructor(private readonly em: EntityManager) {}

  async get(userId: string, em: EntityManager = this.em): Promise<Preferences> {
    const row = await em.fork().findOne(UserPreferences, { user: userId });
    if (!row) return { ...DEFAULT_PREFERENCES };
    const { weightUnit, temperatureUnit, distanceUnit, timeZone, utcOffsetFormat } = row;
    return { weightUnit, temperatureUnit, distanceUnit, timeZone, utcOffsetFormat };
  }

  /** Changes some settings; the rest keep their values. Readings already stored keep their offsets. */
  async update(userId: string, changes: Partial<Preferences>): Promise<Preferences> {
    const em = this.em.fork();
    let row = await em.findOne(UserPreferences, { user: userId });
    if (!row) {
      row = em.create(UserPreferences, { user: em.getReference(SandboxUser, userId) });
    }
    em.assign(row, Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)));
    await em.flush();
    return this.get(userId);
  }
}
