import { PrimaryKeyProp, type Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { JWK } from 'jose';

/** The RS256 key that signs id_tokens, generated on first use and kept so tokens verify across restarts. */
@Entity({ tableName: 'oauth_signing_key', schema: 'omron_sandbox' })
export class SigningKey {
  [PrimaryKeyProp]?: 'kid';

  @PrimaryKey({ type: 'text' })
  kid: string;

  @Property({ type: 'json', hidden: true })
  privateJwk: JWK;

  @Property({ type: 'json' })
  publicJwk: JWK;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(kid: string, privateJwk: JWK, publicJwk: JWK) {
    this.kid = kid;
    this.privateJwk = privateJwk;
    this.publicJwk = publicJwk;
  }
}
