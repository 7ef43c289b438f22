import { Injectable, Logger } from '@nestjs/common';

/** A participant consented to share with a group and has a working OMRON connection: time for a full backfill. */
export interface ConsentAccepted {
  enrollmentId: string;
  participantId: string;
  ogscId: string;
  /** The public group ID. */
  groupId: string;
  omronUserId: string;
  connectionId: string;
  /** The data types (OMRON scopes) agreed to, e.g. `bloodpressure`. */
  scopes: string[];
  at: Date;
}

/** A connection that needed a new authorisation (`reconnect_needed`, `revoked`, `withdrawn`) works again. */
export interface ConnectionRestored {
  participantId: string;
  ogscId: string;
  omronUserId: string;
  connectionId: string;
  at: Date;
}

/** An enrollment ended; when `tokensRevoked`, the person has no consented group left and no data may flow. */
export interface EnrollmentWithdrawn {
  enrollmentId: string;
  participantId: string;
  ogscId: string;
  groupId: string;
  /** `participant` or `admin:<admin account id>`. */
  by: string;
  tokensRevoked: boolean;
  readingsDeleted: number;
  at: Date;
}

interface EventMap {
  consentAccepted: ConsentAccepted;
  connectionRestored: ConnectionRestored;
  withdrawn: EnrollmentWithdrawn;
}
type Listener<T> = (event: T) => unknown;

/**
 * What happens to enrollments, for the modules that act on it (sync queues a backfill on `consentAccepted`).
 * A plain callback registry: subscribe in `onModuleInit`, get an unsubscribe function back. Listeners run
 * after the change is committed, one after another; a listener that throws is logged and does not undo the
 * change or stop the others, so whoever subscribes must also be able to catch up on its own (e.g. by looking
 * for consented enrollments without readings). What must not be lost with a crash between the commit and the
 * listener belongs in `EnrollmentChangesPort` instead, inside the change's transaction (webhook deliveries).
 */
@Injectable()
export class EnrollmentEvents {
  private readonly logger = new Logger(EnrollmentEvents.name);
  private readonly listeners: { [K in keyof EventMap]: Listener<EventMap[K]>[] } = {
    consentAccepted: [],
    connectionRestored: [],
    withdrawn: [],
  };

  onConsentAccepted(listener: Listener<ConsentAccepted>): () => void {
    return this.subscribe('consentAccepted', listener);
  }

  onConnectionRestored(listener: Listener<ConnectionRestored>): () => void {
    return this.subscribe('connectionRestored', listener);
  }

  onWithdrawn(listener: Listener<EnrollmentWithdrawn>): () => void {
    return this.subscribe('withdrawn', listener);
  }

  /** Tells every listener of `name`; never throws. */
  async emit<K extends keyof EventMap>(name: K, event: EventMap[K]): Promise<void> {
    for (const listener of [...this.listeners[name]]) {
      try {
        await listener(event);
      } catch (error) {
        this.logger.error({ err: error, event: name, participantId: event.participantId }, 'an enrollment event listener failed');
      }
    }
  }

  private subscribe<K extends keyof EventMap>(name: K, listener: Listener<EventMap[K]>): () => void {
    const list = this.listeners[name] as Listener<EventMap[K]>[];
    list.push(listener);
    return () => {
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
    };
  }
}
