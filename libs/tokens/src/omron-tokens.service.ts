import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { SecretBox } from '@opendsp/crypto';
import { OmronConnection, OmronConnectionEvent, type ConnectionState } from './omron-connection.entity.js';
import { GrantRejectedError, OmronOAuthClient, TransientUpstreamError, type TokenSet } from './omron-oauth-client.service.js';
import { Clock } from './clock.service.js';
import { backoffMs, isRefreshDue, isStillValid } from './refresh-policy.rules.js';

/** The connection cannot give out tokens: it needs a new authorisation, or was revoked or withdrawn. */
export class ConnectionUnavailableError extends Error {
  override name = 'ConnectionUnavailableError';
  constructor(
    readonly connectionId: string,
    readonly state: ConnectionState,
  ) {
    super(`connection ${connectionId} is ${state}`);
  }
}

type TokenColumn = 'access_token' | 'refresh_token' | 'id_token';
type RefreshOutcome =
  | { kind: 'token'; token: string }
  | { kind: 'unavailable'; state: ConnectionState }
  | { kind: 'transient'; error: TransientUpstreamError; token?: string };

const USABLE_STATES: ConnectionState[] = ['active', 'refreshing'];
/** Attempts of one refresh before giving the failure back to the caller (the scheduler retries later). */
const REFRESH_ATTEMPTS = 3;
/** A Retry-After longer than this is not waited out in line, with the row lock held. */
const MAX_INLINE_WAIT_MS = 10_000;

/**
 * Keeps OMRON OAuth tokens: stores them encrypted, hands out access tokens, refreshes before expiry.
 *
 * Invariant (single-flight): a refresh happens only while holding the connection's row lock, and the new
 * tokens are committed in that same transaction. Whoever waited on the lock then re-reads the row and finds a
 * fresh token, so one refresh per token reaches OMRON however many callers and processes ask at once.
 * Inside one process, callers asking for the same connection also share one database round trip.
 */
@Injectable()
export class OmronTokens {
  private readonly logger = new Logger(OmronTokens.name);
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly em: EntityManager,
    private readonly client: OmronOAuthClient,
    private readonly secrets: SecretBox,
    private readonly config: DspConfig,
    private readonly clockService: Clock,
  ) {}

  private clock(): Date {
    return this.clockService.now();
  }

  /** Stores the tokens of a new authorisation; a returning OMRON user gets their existing connection back, reactivated. */
  async connect(input: { omronUserId: string; scopes: string; redirectUri: string; tokens: TokenSet }): Promise<OmronConnection> {
    return this.em.fork().transactional(async (em) => {
      const expiresAt = this.expiryOf(input.tokens);
      let connection = await em.findOne(OmronConnection, { omronUserId: input.omronUserId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!connection) {
        connection = new OmronConnection({
          ...input,
          accessTokenExpiresAt: expiresAt,
          accessTokenLifetimeSeconds: input.tokens.expiresInSeconds,
        });
        em.persist(connection);
        em.persist(new OmronConnectionEvent(connection.id, null, 'active', 'authorised'));
      } else {
        Object.assign(connection, { scopes: input.scopes, redirectUri: input.redirectUri });
        this.transition(em, connection, 'active', 'authorised again');
      }
      this.storeTokens(connection, input.tokens);
      if (input.tokens.profile?.customUserId) connection.customUserId = input.tokens.profile.customUserId;
      if (input.tokens.profile?.email) connection.email = input.tokens.profile.email;
      return connection;
    });
  }

  /** A usable access token, refreshed first when it is about to expire. Throws ConnectionUnavailableError or TransientUpstreamError. */
  accessToken(connectionId: string): Promise<string> {
    return this.coalesce(connectionId, () => this.refreshIfNeeded(connectionId, { force: false }));
  }

  /**
   * After OMRON answered 401 to `rejectedToken`: refresh even though the token looked valid, unless another
   * caller already replaced it.
   */
  refreshRejected(connectionId: string, rejectedToken: string): Promise<string> {
    return this.coalesce(`${connectionId}:rejected`, () => this.refreshIfNeeded(connectionId, { force: true, rejectedToken }));
  }

  /**
   * The scheduler's pass: refreshes connections whose tokens fall below the threshold, soonest first, spaced
   * to stay within TOKEN_REFRESHES_PER_MINUTE. Returns how many were refreshed and how many failed.
   */
  async refreshDue(options: { limit?: number; spacingMs?: number } = {}): Promise<{ refreshed: number; failed: number }> {
    const now = this.clock();
    const { refreshesPerMinute } = this.config.tokens;
    const spacingMs = options.spacingMs ?? 60_000 / refreshesPerMinute;
    const horizon = new Date(now.getTime() + (this.config.tokens.clockSkewSeconds + 24 * 3600) * 1000);
    const candidates = await this.em.fork().find(
      OmronConnection,
      {
        state: { $in: USABLE_STATES },
        accessTokenExpiresAt: { $lte: horizon },
        $or: [{ nextRefreshAttemptAt: null }, { nextRefreshAttemptAt: { $lte: now } }],
      },
      {
        orderBy: { accessTokenExpiresAt: 'asc' },
        limit: options.limit ?? refreshesPerMinute * 5,
        fields: ['id', 'accessTokenExpiresAt', 'accessTokenLifetimeSeconds'],
      },
    );
    const due = candidates.filter((c) => isRefreshDue(c.accessTokenExpiresAt, c.accessTokenLifetimeSeconds, this.config.tokens, now));
    let refreshed = 0;
    let failed = 0;
    for (const [index, { id }] of due.entries()) {
      if (index > 0 && spacingMs > 0) await sleep(spacingMs);
      try {
        await this.accessToken(id);
        refreshed++;
      } catch (error) {
        failed++;
        this.logger.warn(`refresh of connection ${id} failed: ${(error as Error).name}`);
      }
    }
    return { refreshed, failed };
  }

  /**
   * Ends a connection for good (the participant withdrew): asks OMRON to revoke both tokens, then wipes them
   * here. A failed revocation is logged; the local tokens are destroyed either way.
   */
  async withdraw(connectionId: string, reason: string): Promise<void> {
    const tokens = await this.em.fork().transactional(async (em) => {
      const connection = await em.findOneOrFail(OmronConnection, connectionId, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const held = {
        refresh: connection.refreshTokenCiphertext && this.decrypt(connection, 'refresh_token', connection.refreshTokenCiphertext),
        access: connection.accessTokenCiphertext && this.decrypt(connection, 'access_token', connection.accessTokenCiphertext),
      };
      Object.assign(connection, {
        accessTokenCiphertext: null,
        refreshTokenCiphertext: null,
        idTokenCiphertext: null,
        nextRefreshAttemptAt: null,
      });
      this.transition(em, connection, 'withdrawn', reason);
      return held;
    });
    if (!this.client.canRevoke) {
      // Nothing pretends otherwise: the grant stays at OMRON until the participant removes the app in OMRON connect.
      this.logger.log(`tokens of ${connectionId} deleted here; no OMRON_REVOCATION_URL, so nothing was revoked at OMRON`);
      return;
    }
    for (const [token, hint] of [
      [tokens.refresh, 'refresh_token'],
      [tokens.access, 'access_token'],
    ] as const) {
      if (!token) continue;
      await this.client
        .revoke(token, hint)
        .catch((error: Error) => this.logger.warn(`revocation of a ${hint} for ${connectionId} failed: ${error.message}`));
    }
  }

  private async coalesce(key: string, work: () => Promise<string>): Promise<string> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const promise = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  private async refreshIfNeeded(connectionId: string, options: { force: boolean; rejectedToken?: string }): Promise<string> {
    // Fast path without a lock: most calls find a token with plenty of life left.
    if (!options.force) {
      const current = await this.em.fork().findOne(OmronConnection, connectionId);
      if (!current) throw new ConnectionUnavailableError(connectionId, 'withdrawn');
      if (!USABLE_STATES.includes(current.state)) throw new ConnectionUnavailableError(connectionId, current.state);
      if (!this.needsRefresh(current)) return this.decrypt(current, 'access_token', current.accessTokenCiphertext!);
    }
    const outcome = await this.em.fork().transactional((em) => this.refreshLocked(em, connectionId, options));
    if (outcome.kind === 'token') return outcome.token;
    if (outcome.kind === 'unavailable') throw new ConnectionUnavailableError(connectionId, outcome.state);
    // A transient failure still leaves a token that OMRON accepts: use it, the scheduler retries the refresh.
    if (outcome.token) return outcome.token;
    throw outcome.error;
  }

  /** Runs with the row locked; every outcome, failures included, is committed by returning normally. */
  private async refreshLocked(
    em: EntityManager,
    connectionId: string,
    options: { force: boolean; rejectedToken?: string },
  ): Promise<RefreshOutcome> {
    const connection = await em.findOne(OmronConnection, connectionId, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!connection) return { kind: 'unavailable', state: 'withdrawn' };
    if (!USABLE_STATES.includes(connection.state)) return { kind: 'unavailable', state: connection.state };
    const current = this.decrypt(connection, 'access_token', connection.accessTokenCiphertext!);
    // Someone else refreshed while this caller waited for the lock.
    if (!options.force && !this.needsRefresh(connection)) return { kind: 'token', token: current };
    if (options.force && options.rejectedToken !== current) return { kind: 'token', token: current };

    const refreshToken = this.decrypt(connection, 'refresh_token', connection.refreshTokenCiphertext!);
    try {
      const tokens = await this.refreshWithRetry(refreshToken, connection.redirectUri);
      this.storeTokens(connection, tokens);
      Object.assign(connection, { lastRefreshedAt: this.clock(), transientFailures: 0, nextRefreshAttemptAt: null });
      if (connection.state !== 'active') this.transition(em, connection, 'active', 'refreshed');
      return { kind: 'token', token: tokens.accessToken };
    } catch (error) {
      if (error instanceof GrantRejectedError) {
        // The refresh token is dead: say so at once and stop trying (no retry storm).
        Object.assign(connection, { nextRefreshAttemptAt: null });
        this.transition(em, connection, 'reconnect_needed', error.errorCode);
        this.logger.warn(`connection ${connectionId} needs reconnecting: ${error.errorCode}`);
        return { kind: 'unavailable', state: 'reconnect_needed' };
      }
      if (!(error instanceof TransientUpstreamError)) throw error;
      connection.transientFailures += 1;
      const waitMs = Math.max(error.retryAfterMs ?? 0, backoffMs(connection.transientFailures, 5_000, 10 * 60_000));
      connection.nextRefreshAttemptAt = new Date(this.clock().getTime() + waitMs);
      const stillValid = isStillValid(connection.accessTokenExpiresAt, this.config.tokens, this.clock());
      if (!stillValid && connection.state === 'active') this.transition(em, connection, 'refreshing', error.message);
      return { kind: 'transient', error, token: stillValid ? current : undefined };
    }
  }

  private async refreshWithRetry(refreshToken: string, redirectUri: string): Promise<TokenSet> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.refresh({ refreshToken, redirectUri });
      } catch (error) {
        if (!(error instanceof TransientUpstreamError) || attempt >= REFRESH_ATTEMPTS) throw error;
        const waitMs = Math.max(error.retryAfterMs ?? 0, backoffMs(attempt, 250, 4_000));
        if (waitMs > MAX_INLINE_WAIT_MS) throw error;
        await sleep(waitMs);
      }
    }
  }

  private needsRefresh(connection: OmronConnection): boolean {
    return isRefreshDue(connection.accessTokenExpiresAt, connection.accessTokenLifetimeSeconds, this.config.tokens, this.clock());
  }

  private expiryOf(tokens: TokenSet): Date {
    return new Date(tokens.requestedAt.getTime() + tokens.expiresInSeconds * 1000);
  }

  private storeTokens(connection: OmronConnection, tokens: TokenSet): void {
    connection.accessTokenCiphertext = this.encrypt(connection, 'access_token', tokens.accessToken);
    // OMRON may keep the refresh token as it is and leave it out of the response: keep ours then.
    if (tokens.refreshToken) connection.refreshTokenCiphertext = this.encrypt(connection, 'refresh_token', tokens.refreshToken);
    if (tokens.idToken) connection.idTokenCiphertext = this.encrypt(connection, 'id_token', tokens.idToken);
    connection.accessTokenExpiresAt = this.expiryOf(tokens);
    connection.accessTokenLifetimeSeconds = tokens.expiresInSeconds;
  }

  private transition(em: EntityManager, connection: OmronConnection, to: ConnectionState, reason: string): void {
    em.persist(new OmronConnectionEvent(connection.id, connection.state, to, reason));
    Object.assign(connection, { state: to, stateChangedAt: this.clock(), stateReason: to === 'active' ? null : reason });
  }

  private encrypt(connection: OmronConnection, column: TokenColumn, value: string): string {
    return this.secrets.encrypt(value, { table: 'omron_connection', column, rowId: connection.id });
  }

  private decrypt(connection: OmronConnection, column: TokenColumn, value: string): string {
    return this.secrets.decrypt(value, { table: 'omron_connection', column, rowId: connection.id });
  }
}
