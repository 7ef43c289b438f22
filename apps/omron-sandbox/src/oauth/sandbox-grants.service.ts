import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { OAuthGrant } from './oauth-grant.entity.js';

/** An app a user has authorised. */
export interface AppGrant {
  clientId: string;
  notificationUri: string | null;
  scopes: string[];
}

/** Which apps may hear about a user's data. */
@Injectable()
export class SandboxGrants {
  constructor(private readonly em: EntityManager) {}

  /** The apps a user has authorised and not revoked, for notifications; several grants to one app are merged. */
  async activeGrantsForUser(userId: string): Promise<AppGrant[]> {
    const grants = await this.em
      .fork()
      .find(OAuthGrant, { user: userId, revokedAt: null }, { populate: ['app'], orderBy: { createdAt: 'asc' } });
    const byClient = new Map<string, AppGrant>();
    for (const grant of grants) {
      const existing = byClient.get(grant.app.clientId);
      if (existing) existing.scopes = [...new Set([...existing.scopes, ...grant.scopes])];
      else
        byClient.set(grant.app.clientId, {
          clientId: grant.app.clientId,
          notificationUri: grant.app.notificationUri,
          scopes: [...grant.scopes],
        });
    }
    return [...byClient.values()];
  }
}
