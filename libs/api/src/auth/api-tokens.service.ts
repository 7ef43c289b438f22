import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { formatScopes, parseScopes, type ApiScope } from '../api-scopes.catalogue.js';
import { ApiAccessToken, ApiClient } from '../clients/api-client.entity.js';
import {
  ACCESS_TOKEN_PATTERN,
  CLIENT_ID_PATTERN,
  credentialMatches,
  hashCredential,
  newAccessToken,
} from '../clients/client-credentials.helpers.js';
import type { ApiPrincipal } from './api-principal.types.js';

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

/**
 * The client-credentials grant and bearer-token resolution. Tokens are opaque random strings stored as
 * SHA-256, so a token can be revoked (client disabled) at once and a database dump holds none that work.
 */
@Injectable()
export class ApiTokensService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  /** The enabled client these credentials belong to (current secret, or the previous one during its overlap), else null. */
  async authenticate(clientId: string, secret: string): Promise<ApiClient | null> {
    if (!CLIENT_ID_PATTERN.test(clientId) || secret.length > 200) return null;
    const client = await this.em.fork().findOne(ApiClient, { clientId });
    if (!client || client.disabledAt) return null;
    if (credentialMatches(secret, client.secretHash)) return client;
    const overlapOpen = client.previousSecretExpiresAt !== null && client.previousSecretExpiresAt > new Date();
    return overlapOpen && credentialMatches(secret, client.previousSecretHash) ? client : null;
  }

  /** Issues a token for `scopes` (all of the client's when none are asked for); the caller has checked they are the client's. */
  async issue(client: ApiClient, scopes: ApiScope[]): Promise<IssuedToken> {
    const em = this.em.fork();
    const accessToken = newAccessToken();
    const ttl = this.config.api.accessTokenTtlSeconds;
    const now = new Date();
    const scope = formatScopes(scopes);
    em.persist(
      new ApiAccessToken(hashCredential(accessToken), em.getReference(ApiClient, client.id), scope, new Date(now.getTime() + ttl * 1000)),
    );
    await em.flush();
    // Bookkeeping outside the hot path of API calls: tokens long expired go, and the client shows when it was last used.
    await em.nativeDelete(ApiAccessToken, { client: client.id, expiresAt: { $lt: new Date(now.getTime() - 86_400_000) } });
    await em.nativeUpdate(ApiClient, { id: client.id }, { lastTokenIssuedAt: now });
    return { accessToken, expiresIn: ttl, scope };
  }

  /** The principal of a bearer token that is known, unexpired and of an enabled client; else null. */
  async resolve(token: string): Promise<ApiPrincipal | null> {
    if (!ACCESS_TOKEN_PATTERN.test(token)) return null;
    const [row] = await this.em
      .getConnection()
      .execute<{ id: string; client_id: string; name: string; scopes: string; all_groups: boolean; group_ids: string[] }[]>(
        `select c.id, c.client_id, c.name, t.scopes, c.all_groups,
              coalesce((select array_agg(g.group_id::text) from api_client_group g where g.client_id = c.id), '{}') as group_ids
         from api_access_token t join api_client c on c.id = t.client_id
        where t.token_hash = ? and t.expires_at > now() and c.disabled_at is null`,
        [hashCredential(token)],
      );
    if (!row) return null;
    return {
      id: row.id,
      clientId: row.client_id,
      name: row.name,
      scopes: parseScopes(row.scopes),
      allGroups: row.all_groups,
      groupIds: row.all_groups ? [] : row.group_ids,
    };
  }
}
