import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EnrollmentWithdrawn } from './enrollment-events.service.js';

/** A participant's consent to share with a group was recorded (the enrollment became `consented`). */
export interface ConsentRecorded {
  enrollmentId: string;
  participantId: string;
  ogscId: string;
  /** The public group ID. */
  groupId: string;
  /** The data types (OMRON scopes) agreed to, e.g. `bloodpressure`. */
  scopes: string[];
  at: Date;
}

/** What changed on an enrollment, told inside the transaction that changes it. */
export type EnrollmentChange = ({ kind: 'consented' } & ConsentRecorded) | ({ kind: 'withdrawn' } & EnrollmentWithdrawn);

/** Runs inside the transaction that records the change: what it writes commits or rolls back with the change. */
export type EnrollmentChangeListener = (em: EntityManager, change: EnrollmentChange) => Promise<unknown>;

/**
 * Where rooms above participants learn of a consent or a withdrawal in the same transaction as the change, so
 * what they derive from it (libs/webhooks' `participant.consented` and `participant.withdrawn` deliveries) is as
 * durable as the change itself: no crash between two commits can lose it. Every path that consents
 * (`ConsentRecords.consent`) or withdraws (`WithdrawalService.withdraw`) calls `notify`; a room registers a
 * listener when its module starts. `EnrollmentEvents` stays for work that must follow the commit (sync's backfill).
 */
@Injectable()
export class EnrollmentChangesPort {
  private readonly listeners: { name: string; listener: EnrollmentChangeListener }[] = [];

  listen(name: string, listener: EnrollmentChangeListener): () => void {
    if (this.listeners.some((entry) => entry.name === name))
      throw new Error(`An enrollment-change listener named ${name} is already registered`);
    const entry = { name, listener };
    this.listeners.push(entry);
    return () => {
      const index = this.listeners.indexOf(entry);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /** Calls every listener in registration order; a listener's error fails the caller's transaction (nothing is recorded). */
  async notify(em: EntityManager, change: EnrollmentChange): Promise<void> {
    for (const { name, listener } of this.listeners) {
      try {
        await listener(em, change);
      } catch (error) {
        Logger.warn(`Enrollment-change listener ${name} failed for a ${change.kind} change`, EnrollmentChangesPort.name);
        throw error;
      }
    }
  }
}
