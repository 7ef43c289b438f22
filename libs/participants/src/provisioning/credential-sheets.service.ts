import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { SecretBox } from '@opendsp/crypto';
import type { ProgramGroup } from '@opendsp/groups';
import { CredentialSheet } from './credential-sheet.entity.js';

/** How long a credential sheet waits to be opened; after that the credentials are gone (reset them to get new ones). */
export const CREDENTIAL_SHEET_TTL_MINUTES = 30;

/** One participant's generated credentials, as shown on the sheet. */
export interface ProvisionedCredential {
  ogscId: string;
  loginId: string;
  password: string;
  internalCustomerId: string | null;
}

export interface OpenedSheet {
  credentials: ProvisionedCredential[];
  /** When the generated passwords stop working if unused. */
  credentialsExpireAt: string;
}

const LOCATION = (rowId: string) => ({ table: 'credential_sheet', column: 'credentials', rowId });
const SHEET_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * One-time credential sheets. Generated passwords exist in plaintext only in memory and, for at most
 * CREDENTIAL_SHEET_TTL_MINUTES, as SecretBox ciphertext bound to its row; opening the sheet deletes the row
 * in the same statement that reads it, so it can be seen once, by the admin who provisioned, and never again.
 */
@Injectable()
export class CredentialSheets {
  private readonly logger = new Logger(CredentialSheets.name);

  constructor(
    private readonly em: EntityManager,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
  ) {}

  /** Adds a sheet to `em`'s unit of work (the provisioning transaction), so it exists exactly when the accounts do. */
  create(em: EntityManager, group: ProgramGroup, adminId: string, sheet: OpenedSheet, now = new Date()): CredentialSheet {
    const row = new CredentialSheet(
      group,
      adminId,
      sheet.credentials.length,
      new Date(now.getTime() + CREDENTIAL_SHEET_TTL_MINUTES * 60_000),
    );
    row.credentialsCiphertext = this.box.encrypt(JSON.stringify(sheet), LOCATION(row.id));
    em.persist(row);
    return row;
  }

  /**
   * Opens and deletes a sheet in one statement, audited in the same transaction: the credentials, or null when
   * it was opened already, has expired, belongs to another group or was made by another admin
   * (indistinguishable on purpose).
   */
  async open(group: ProgramGroup, sheetId: string, actor: AuditActor & { adminId: string }): Promise<OpenedSheet | null> {
    if (!SHEET_ID.test(sheetId)) return null;
    const ciphertext = await this.em.fork().transactional(async (em) => {
      const rows = await em.getConnection().execute<{ credentials_ciphertext: string; participant_count: number }[]>(
        `delete from credential_sheet where id = ? and group_id = ? and created_by = ? and expires_at > now()
           returning credentials_ciphertext, participant_count`,
        [sheetId, group.id, actor.adminId],
        'all',
        em.getTransactionContext(),
      );
      if (rows.length === 0) return null;
      this.audit.record(em, {
        action: 'participants.credential_sheet_opened',
        actor,
        target: { type: 'group', id: group.groupId },
        detail: { sheetId, count: rows[0].participant_count },
      });
      return rows[0].credentials_ciphertext;
    });
    return ciphertext === null ? null : (JSON.parse(this.box.decrypt(ciphertext, LOCATION(sheetId))) as OpenedSheet);
  }

  /** Deletes sheets nobody opened in time. */
  async purgeExpired(): Promise<number> {
    const deleted = await this.em.fork().nativeDelete(CredentialSheet, { expiresAt: { $lte: new Date() } });
    if (deleted > 0) this.logger.log({ deleted }, 'expired credential sheets purged');
    return deleted;
  }
}
