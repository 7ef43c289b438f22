import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { OAuthToken } from './oauth-token.entity.js';
import { SandboxClock } from '../clock/sandbox-clock.js';
import { tokenDigest } from './secrets.js';

/** What a valid access token grants. */
export interface AuthenticatedAccess {
  /** The sandbox user's row id (SandboxUser.id). */
  userId: string;
  /** The OMRON user identifier (the id_token's `sub`). */
  sub: string;
  clientId: string;
  scopes: string[];
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Resolves bearer tokens for the sandbox's resource endpoints. */
@Injectable()
export class SandboxAccessTokens {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: SandboxClock,
  ) {}

  /** Resolves an `Authorization: Bearer …` header to the access it grants, or null if missing/unknown/expired/revoked. */
  /** `environment`: the token host the request reached (`stg`, `prd`); a token of the other one is unknown there. */
  async authenticate(authorizationHeader: string | undefined, environment?: 'stg' | 'prd'): Promise<AuthenticatedAccess | null> {
    const token = BEARER.exec(authorizationHeader ?? '')?.[1];
    if (!token) return null;
    // A fork: this runs inside other modules' requests and jobs, whose identity maps it must not fill.
    const row = await this.em
      .fork()
      .findOne(OAuthToken, { tokenHash: tokenDigest(token), kind: 'access' }, { populate: ['grant.user', 'grant.app'] });
    if (!row || row.revokedAt || row.grant.revokedAt) return null;
    if (environment !== undefined && row.grant.environment !== environment) return null;
    if (row.expiresAt && row.expiresAt.getTime() <= this.clock.now().getTime()) return null;
    return { userId: row.grant.user.id, sub: row.grant.user.sub, clientId: row.grant.app.clientId, scopes: [...row.grant.scopes] };
  }
}
