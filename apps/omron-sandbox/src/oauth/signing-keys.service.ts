import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { SigningKey } from './signing-key.entity.js';

export interface ActiveSigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/**
 * The id_token signing key: generated on first use and kept in the sandbox database, so id_tokens
 * issued before a restart still verify against the JWKS served after it.
 */
@Injectable()
export class SigningKeys {
  private active?: Promise<ActiveSigningKey>;

  constructor(private readonly em: EntityManager) {}

  /** The key new tokens are signed with. */
  current(): Promise<ActiveSigningKey> {
    this.active ??= this.loadOrCreate().catch((error: unknown) => {
      // A database hiccup must not poison the cache for the life of the process.
      this.active = undefined;
      throw error;
    });
    return this.active;
  }

  /** Every public key, as a JWK Set (RFC 7517). */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.current();
    const rows = await this.em.fork().find(SigningKey, {}, { orderBy: { createdAt: 'asc', kid: 'asc' } });
    return { keys: rows.map((row) => ({ ...row.publicJwk, kid: row.kid, alg: 'RS256', use: 'sig' })) };
  }

  private async loadOrCreate(): Promise<ActiveSigningKey> {
    const em = this.em.fork();
    if ((await em.count(SigningKey)) === 0) {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
      const publicJwk = await exportJWK(publicKey);
      const kid = await calculateJwkThumbprint(publicJwk);
      await em.insert(SigningKey, new SigningKey(kid, await exportJWK(privateKey), publicJwk));
    }
    // Two processes starting together may both insert; both then settle on the oldest key, and the
    // JWKS lists every key, so whichever signed a token, it verifies.
    const [row] = await em.find(SigningKey, {}, { orderBy: { createdAt: 'asc', kid: 'asc' }, limit: 1 });
    const privateKey = (await importJWK({ ...row!.privateJwk, alg: 'RS256' }, 'RS256')) as CryptoKey;
    return { kid: row!.kid, privateKey };
  }
}
