import { hash } from '@node-rs/argon2';
import type { EntityManager } from '@mikro-orm/postgresql';
import { RegisteredApp } from '../registered-apps/registered-app.entity.js';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import { OAuthGrant } from './oauth-grant.entity.js';
import { OAuthToken } from './oauth-token.entity.js';
import { SANDBOX_SCOPES } from './scopes.js';
import { newOpaqueToken, tokenDigest } from './secrets.js';

/**
 * For tests: registers (or reuses) an app, grants it to the user and returns a fresh access token,
 * without the browser flow. A non-positive `expiresInSeconds` gives an already expired token. A
 * `notificationUri` given (null included) replaces the app's.
 */
export async function issueTestAccessToken(
  em: EntityManager,
  input: {
    userId: string;
    clientId: string;
    scopes: string[];
    expiresInSeconds?: number;
    notificationUri?: string | null;
    /** The token host it belongs to (default `stg`). */
    environment?: 'stg' | 'prd';
  },
): Promise<string> {
  const user = await em.findOneOrFail(SandboxUser, input.userId);
  let app = await em.findOne(RegisteredApp, { clientId: input.clientId });
  if (!app) {
    // Nobody learns this secret: the app exists for bearer tokens only, not for the token endpoint.
    app = new RegisteredApp(input.clientId, await hash(newOpaqueToken()), input.clientId);
    app.allowedScopes = [...SANDBOX_SCOPES];
    em.persist(app);
  }
  if (input.notificationUri !== undefined) app.notificationUri = input.notificationUri;
  const grant = new OAuthGrant(user, app, [...new Set(input.scopes)]);
  grant.environment = input.environment ?? 'stg';
  const token = newOpaqueToken();
  const expiresAt = new Date(Date.now() + (input.expiresInSeconds ?? 3600) * 1000);
  em.persist([grant, new OAuthToken(tokenDigest(token), 'access', grant, expiresAt)]);
  await em.flush();
  return token;
}
