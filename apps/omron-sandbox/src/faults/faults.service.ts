import { Injectable, Logger } from '@nestjs/common';
import { SeededRandom } from '../random/seeded-random.js';
import type { FaultSettingsDto } from './fault-settings.dto.js';

export type FaultSettings = Omit<FaultSettingsDto, never>;

/** What to do to one request. */
export interface FaultDecision {
  delayMs: number;
  action: 'none' | 'reset' | 'rate-limit' | 'error' | 'truncate' | 'malformed';
  status?: number;
  retryAfterSeconds?: number;
}

interface EndpointFaults {
  settings: FaultSettings;
  random: SeededRandom;
  burstRemaining: number;
  injected: Record<FaultDecision['action'], number>;
}

/**
 * Fault injection state, per endpoint. In memory on purpose: faults are set up by a test or a demo
 * for its own run and should not outlive the process.
 */
@Injectable()
export class FaultsService {
  private readonly logger = new Logger(FaultsService.name);
  private readonly endpoints = new Map<string, EndpointFaults>();

  /** Sets (or replaces, restarting its random sequence) the faults of one endpoint. */
  set(settings: FaultSettings): void {
    const endpoint = normalise(settings.endpoint);
    this.endpoints.set(endpoint, {
      settings: { ...settings, endpoint },
      random: new SeededRandom(settings.seed),
      burstRemaining: 0,
      injected: { none: 0, reset: 0, 'rate-limit': 0, error: 0, truncate: 0, malformed: 0 },
    });
    this.logger.warn({ endpoint }, 'fault injection enabled');
  }

  clear(endpoint?: string): void {
    if (endpoint === undefined) this.endpoints.clear();
    else this.endpoints.delete(normalise(endpoint));
  }

  list(): (FaultSettings & { injected: Record<string, number> })[] {
    return [...this.endpoints.values()].map(({ settings, injected }) => ({ ...settings, injected: { ...injected } }));
  }

  /** Draws the fault for one request to `path`; one fixed sequence of draws per request keeps runs repeatable. */
  decide(path: string): FaultDecision | null {
    const state = this.endpoints.get(normalise(path)) ?? this.endpoints.get('*');
    if (!state) return null;
    const { settings, random } = state;
    const delayMs = settings.latencyMs + Math.round(random.next() * settings.latencyJitterMs);
    const [reset, burst, error, status, truncate, malformed] = [
      random.next(),
      random.next(),
      random.next(),
      random.next(),
      random.next(),
      random.next(),
    ];
    let decision: FaultDecision;
    if (reset < settings.resetRate) decision = { delayMs, action: 'reset' };
    else if (state.burstRemaining > 0 || burst < settings.rateLimitBurstRate) {
      state.burstRemaining = (state.burstRemaining > 0 ? state.burstRemaining : settings.rateLimitBurstLength) - 1;
      decision = { delayMs, action: 'rate-limit', status: 429, retryAfterSeconds: settings.retryAfterSeconds };
    } else if (error < settings.errorRate) {
      decision = { delayMs, action: 'error', status: settings.errorStatuses[Math.floor(status * settings.errorStatuses.length)] };
    } else if (truncate < settings.truncateRate) decision = { delayMs, action: 'truncate' };
    else if (malformed < settings.malformedRate) decision = { delayMs, action: 'malformed' };
    else decision = { delayMs, action: 'none' };
    state.injected[decision.action]++;
    return decision;
  }
}

function normalise(path: string): string {
  return path === '*' || path === '/' ? path : path.replace(/\/+$/, '');
}
