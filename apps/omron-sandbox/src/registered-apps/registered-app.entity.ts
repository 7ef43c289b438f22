import { ArrayType, PrimaryKeyProp, type Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A partner application registered with the emulated OMRON service: the fields of the spec's sign-up
 * list ("Before You Begin") plus the client id and a hash of the client secret.
 */
@Entity({ tableName: 'registered_app', schema: 'omron_sandbox' })
export class RegisteredApp {
  [PrimaryKeyProp]?: 'clientId';

  @PrimaryKey({ type: 'text' })
  clientId: string;

  /** Argon2 hash; the secret itself is shown once, when it is set. */
  @Property({ type: 'text', hidden: true })
  clientSecretHash: string;

  @Property({ type: 'text' })
  displayName: string;

  @Property({ type: 'text', nullable: true })
  infoUri: string | null = null;

  @Property({ type: 'text', nullable: true })
  policyUri: string | null = null;

  @Property({ type: 'text', nullable: true })
  tosUri: string | null = null;

  @Property({ type: 'text', nullable: true })
  logoUri: string | null = null;

  /** Compared exactly, character for character, with the `redirect_uri` of a request. */
  @Property({ type: ArrayType, columnType: 'text[]' })
  redirectUris: string[] & Opt = [];

  @Property({ type: 'text', nullable: true })
  notificationUri: string | null = null;

  @Property({ type: ArrayType, columnType: 'text[]' })
  allowedScopes: string[] & Opt = [];

  @Property({ type: 'text', nullable: true })
  companyName: string | null = null;

  @Property({ type: 'text', nullable: true })
  companyAddress: string | null = null;

  @Property({ type: 'text', nullable: true })
  companyLogoUri: string | null = null;

  @Property({ type: 'text', nullable: true })
  contactName: string | null = null;

  @Property({ type: 'text', nullable: true })
  contactEmail: string | null = null;

  @Property({ type: 'text', nullable: true })
  contactPhone: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  constructor(clientId: string, clientSecretHash: string, displayName: string) {
    this.clientId = clientId;
    this.clientSecretHash = clientSecretHash;
    this.displayName = displayName;
  }
}
