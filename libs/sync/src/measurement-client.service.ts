import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { DspConfig } from '@opendsp/config';
import { measurementRequestBody, type MeasurementRequestParams, type MeasurementType, PAGINATION_KEYS } from '@opendsp/omron-api';
import { backoffMs, OmronTokens, parseRetryAfter, TransientUpstreamError } from '@opendsp/tokens';
import { ScopeNotGrantedError, UpstreamRejectedError, UpstreamUnavailableError } from './sync.errors.js';
import { UpstreamGate } from './upstream-gate.service.js';

/** The endpoint's key in the shared upstream state (one request budget for the measurement API). */
export const MEASUREMENT_ENDPOINT = 'measurement';
/** Failed attempts (network, timeouts, 5xx, unreadable answers) of one page before the job gives up for now. */
const ATTEMPTS = 5;
/** 429 answers in a row for one page before giving up for now (each already waited out its Retry-After). */
const RATE_LIMITED_ATTEMPTS = 10;
/** Waited when a 429 comes without a usable Retry-After. */
const DEFAULT_RETRY_AFTER_MS = 60_000;
const BACKOFF_CAP_MS = 30_000;

export interface PageRequest {
  type: MeasurementType;
  /** `YYYY-MM-DD`; absent for the whole history. */
  since: string | null;
  /** The pagination key of the previous page. */
  paginationKey: string | null;
}

export interface MeasurementPage {
  /** The answer's `result` object, with the entries still as OMRON sent them. */
  result: Record<string, unknown>;
  /** The type's pagination key for the next page, or null when this was the last. */
  nextKey: string | null;
}

/**
 * A failed attempt. `upstream`: OMRON itself is in trouble (5xx, timeouts, dropped connections), which counts
 * toward the shared circuit breaker. `unreadable`: a complete answer this participant got that cannot be read;
 * retried like the others, but it is theirs, so it never touches the breaker.
 */
type Attempt =
  { ok: true; page: MeasurementPage } | { ok: false; kind: 'upstream' | 'unreadable' | 'rate-limited' | 'unauthorised'; reason: string };

/**
 * `POST {OMRON_OAUTH_API_URL}/api/measurement` (Partner API spec, "Using the Omron Wellness Data API"), one
 * page at a time, with everything between the platform and a flaky, rate-limited upstream handled here:
 * the shared budget, Retry-After and circuit breaker (UpstreamGate), exponential backoff with full jitter on
 * 5xx, timeouts, resets and unreadable bodies, and one token refresh before retrying a 401.
 *
 * Failures are classified: only 5xx, timeouts and resets count toward the circuit breaker shared by every
 * participant. What belongs to one participant (401 after the refresh, 403, other 4xx whatever their body,
 * unreadable answers) is thrown or retried for that pull alone, with the real reason, which is logged at warn
 * level. Tokens never reach a log line or an error message.
 */
@Injectable()
export class OmronMeasurementClient {
  private readonly logger = new Logger(OmronMeasurementClient.name);

  constructor(
    private readonly config: DspConfig,
    private readonly tokens: OmronTokens,
    private readonly gate: UpstreamGate,
  ) {}

  /** `lane`: a background request (backfill, reconciliation) stays within its share of the budget (UpstreamGate). */
  async fetchPage(
    connectionId: string,
    request: PageRequest,
    signal?: AbortSignal,
    lane: 'fresh' | 'background' = 'fresh',
  ): Promise<MeasurementPage> {
    let failures = 0;
    let rateLimited = 0;
    let refreshed = false;
    let token: string | undefined;
    for (;;) {
      signal?.throwIfAborted();
      await this.gate.acquire(MEASUREMENT_ENDPOINT, signal, lane);
      if (!token) {
        try {
          token = await this.tokens.accessToken(connectionId);
        } catch (error) {
          if (!(error instanceof TransientUpstreamError)) throw error;
          if (++failures >= ATTEMPTS) throw new UpstreamUnavailableError(`no access token: ${error.message}`);
          await sleep(backoffMs(failures, this.config.sync.requestBackoffMs, BACKOFF_CAP_MS), undefined, { signal });
          continue;
        }
      }
      const attempt = await this.attempt(token, request, signal);
      if (attempt.ok) {
        await this.gate.recordSuccess(MEASUREMENT_ENDPOINT);
        return attempt.page;
      }
      if (attempt.kind === 'unauthorised') {
        // The token looked valid to us but not to OMRON: refresh it (unless someone already did) and try once more.
        if (refreshed) throw new UpstreamRejectedError(401, `OMRON refused the access token for ${request.type} again after a refresh`);
        refreshed = true;
        token = await this.tokens.refreshRejected(connectionId, token);
        continue;
      }
      if (attempt.kind === 'rate-limited') {
        if (++rateLimited >= RATE_LIMITED_ATTEMPTS) throw new UpstreamUnavailableError(`still rate limited: ${attempt.reason}`);
        continue;
      }
      if (attempt.kind === 'upstream') await this.gate.recordFailure(MEASUREMENT_ENDPOINT, connectionId, attempt.reason);
      if (++failures >= ATTEMPTS) throw new UpstreamUnavailableError(`${failures} attempts failed, the last: ${attempt.reason}`);
      this.logger.warn(`${request.type} request of connection ${connectionId} failed (${attempt.reason}); attempt ${failures + 1} follows`);
      await sleep(backoffMs(failures, this.config.sync.requestBackoffMs, BACKOFF_CAP_MS), undefined, { signal });
    }
  }

  private async attempt(token: string, request: PageRequest, outer?: AbortSignal): Promise<Attempt> {
    const params: MeasurementRequestParams = {
      type: request.type,
      sortOrder: 'asc',
      includeHourlyActivity: true,
      limit: this.config.sync.pageSize,
      ...(request.since ? { since: request.since } : {}),
      ...(request.paginationKey ? { [PAGINATION_KEYS[request.type]]: Number(request.paginationKey) } : {}),
    };
    const timeout = AbortSignal.timeout(this.config.sync.requestTimeoutSeconds * 1000);
    const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.config.omron.apiUrl}/api/measurement`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: measurementRequestBody(params),
        signal,
      });
      text = await response.text();
    } catch (error) {
      outer?.throwIfAborted();
      return { ok: false, kind: 'upstream', reason: timeout.aborted ? 'timed out' : `no answer (${(error as Error).name})` };
    }

    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    if (response.status === 429) {
      await this.gate.block(MEASUREMENT_ENDPOINT, retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
      return { ok: false, kind: 'rate-limited', reason: `HTTP 429, Retry-After ${response.headers.get('retry-after') ?? 'absent'}` };
    }
    if (response.status >= 500) {
      if (retryAfterMs !== undefined) await this.gate.block(MEASUREMENT_ENDPOINT, retryAfterMs);
      return { ok: false, kind: 'upstream', reason: `HTTP ${response.status}` };
    }
    if (response.status === 401) return { ok: false, kind: 'unauthorised', reason: 'HTTP 401' };

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      // The body's type and size, never the body: it may be a whole page and could echo what we sent.
      const notJson = `HTTP ${response.status} with a body that is not JSON (${response.headers.get('content-type') ?? 'no content type'}, ${Buffer.byteLength(text)} bytes)`;
      if (response.status === 403) throw new ScopeNotGrantedError(`OMRON refused ${request.type}: ${notJson}`);
      if (!response.ok) throw new UpstreamRejectedError(response.status, `OMRON refused the ${request.type} request: ${notJson}`);
      return { ok: false, kind: 'unreadable', reason: notJson };
    }
    const answer = (typeof body === 'object' && body !== null ? body : {}) as { status?: unknown; reason?: unknown; result?: unknown };
    if (response.status === 403) throw new ScopeNotGrantedError(`OMRON refused ${request.type}: ${String(answer.reason ?? 'HTTP 403')}`);
    if (response.ok && answer.status === undefined) return { ok: false, kind: 'unreadable', reason: 'an answer without a status' };
    if (!response.ok || answer.status !== 0) {
      throw new UpstreamRejectedError(
        response.status,
        `OMRON refused the request: HTTP ${response.status}, status ${String(answer.status)}, ${String(answer.reason ?? '')}`.trim(),
      );
    }
    if (typeof answer.result !== 'object' || answer.result === null || Array.isArray(answer.result)) {
      return { ok: false, kind: 'unreadable', reason: 'an answer without a result object' };
    }
    const result = answer.result as Record<string, unknown>;
    const keys = (result.paginationKey ?? {}) as Record<string, unknown>;
    const next = keys[PAGINATION_KEYS[request.type]];
    if (
      next !== undefined &&
      next !== null &&
      !(typeof next === 'number' && Number.isSafeInteger(next)) &&
      !(typeof next === 'string' && /^\d+$/.test(next))
    ) {
      return { ok: false, kind: 'unreadable', reason: `an unreadable pagination key ${JSON.stringify(next)}` };
    }
    return { ok: true, page: { result, nextKey: next === undefined || next === null ? null : String(next) } };
  }
}
