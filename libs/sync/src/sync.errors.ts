/** OMRON did not answer usefully after every attempt (network, timeouts, 5xx, unreadable bodies): the job is retried later. */
export class UpstreamUnavailableError extends Error {
  override name = 'UpstreamUnavailableError';
}

/**
 * No request may go before `until` (a long Retry-After, or the circuit breaker is open): rather than hold a
 * worker, the pull is put back in the queue to start then. Not a failure.
 */
export class UpstreamDeferredError extends Error {
  override name = 'UpstreamDeferredError';
  constructor(
    readonly until: Date,
    /** Why, without the time: e.g. `OMRON is failing (circuit breaker open)`. */
    readonly reason: string,
  ) {
    super(`${reason}; resuming after ${until.toISOString()}`);
  }
}

/** OMRON refused the request itself (4xx other than 401/429, or a second 401 after a refresh). */
export class UpstreamRejectedError extends Error {
  override name = 'UpstreamRejectedError';
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
  }
}

/** The participant did not grant this measurement type to the platform (HTTP 403): nothing to pull, nothing to retry. */
export class ScopeNotGrantedError extends Error {
  override name = 'ScopeNotGrantedError';
}

/** Another worker took the pull over (this one was presumed dead); this one stops without committing anything more. */
export class PullSupersededError extends Error {
  override name = 'PullSupersededError';
}
