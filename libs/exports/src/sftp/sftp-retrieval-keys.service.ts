import { basename } from 'node:path';
import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import ssh2 from 'ssh2';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import type { FieldErrors } from '@opendsp/i18n';
import type { RetrievalKeyForm } from '../dto/export-forms.dto.js';
import { hostKeyFingerprint } from './host-key.rules.js';
import type { RetrievalScope } from './retrieval-tree.rules.js';
import { SftpDelivery } from './sftp-delivery.entity.js';
import { SftpDestination } from './sftp-destination.entity.js';
import { SftpRetrievalKey } from './sftp-retrieval-key.entity.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type RetrievalKeyOutcome = { ok: true; key: SftpRetrievalKey } | { ok: false; errors: FieldErrors };

/** A key that may sign in, with what it may read. */
export interface RetrievalAccess {
  keyId: string;
  destinationId: string;
  /** The key, parsed, to verify the client's signature. */
  publicKey: ssh2.ParsedKey;
  scope: RetrievalScope;
}

/** Why a sign-in was refused, as the audit log records it. */
export type SignInRefusal = 'unknown_key' | 'revoked_key' | 'wrong_user' | 'not_retrieval' | 'bad_signature' | 'method_not_allowed';

/**
 * Partners' SSH public keys for SFTP retrieval: added and revoked by admins (audited), and looked up by the
 * SFTP server when a partner signs in. A key reads its retrieval destination's files, within the
 * destination's groups as they stand at the moment of each request.
 */
@Injectable()
export class SftpRetrievalKeysService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditLog,
    private readonly config: DspConfig,
  ) {}

  /** A destination's keys, the active ones first, newest first. */
  list(destination: SftpDestination): Promise<SftpRetrievalKey[]> {
    return this.em
      .fork()
      .find(SftpRetrievalKey, { destination: destination.id }, { orderBy: { revokedAt: 'asc nulls first', createdAt: 'desc' } });
  }

  async add(destinationId: string, form: RetrievalKeyForm, actor: AuditActor): Promise<RetrievalKeyOutcome> {
    return this.em.fork().transactional(async (em) => {
      const destination = await this.retrievalDestination(em, destinationId);
      const parsed = parsePublicKey(form.publicKey);
      if (!parsed) return { ok: false, errors: { publicKey: 'sftp.retrieval_key_invalid' } };
      const fingerprint = hostKeyFingerprint(parsed.getPublicSSH());
      // One active registration per key: a key names exactly one scope.
      if (await em.count(SftpRetrievalKey, { fingerprint, revokedAt: null }))
        return { ok: false, errors: { publicKey: 'sftp.retrieval_key_in_use' } };
      const key = new SftpRetrievalKey(destination, {
        name: form.name,
        publicKey: `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`,
        fingerprint,
        keyType: parsed.type,
      });
      em.persist(key);
      this.audit.record(em, {
        action: 'sftp_retrieval_key.added',
        actor,
        target: { type: 'sftp_retrieval_key', id: key.id },
        detail: { destinationId: destination.id, name: key.name, fingerprint, keyType: key.keyType },
      });
      return { ok: true, key };
    });
  }

  /** Revokes a key of the destination at once; 404 for anything else. Revoking twice changes nothing more. */
  async revoke(destinationId: string, keyId: string, actor: AuditActor): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const key = UUID.test(keyId)
        ? await em.findOne(SftpRetrievalKey, { id: keyId, destination: UUID.test(destinationId) ? destinationId : null })
        : null;
      if (!key) throw new NotFoundException();
      if (key.revokedAt) return;
      key.revokedAt = new Date();
      this.audit.record(em, {
        action: 'sftp_retrieval_key.revoked',
        actor,
        target: { type: 'sftp_retrieval_key', id: key.id },
        detail: { destinationId, name: key.name, fingerprint: key.fingerprint },
      });
    });
  }

  /**
   * Who a public key offered at sign-in is: its access, or why it is refused. `keyBlob` is the key as the
   * client sent it (SSH wire format).
   */
  async signInKey(
    username: string,
    keyBlob: Buffer,
  ): Promise<{ access: RetrievalAccess } | { refused: SignInRefusal; keyId: string | null; fingerprint: string }> {
    const fingerprint = hostKeyFingerprint(keyBlob);
    const em = this.em.fork();
    const keys = await em.find(SftpRetrievalKey, { fingerprint }, { populate: ['destination'], orderBy: { revokedAt: 'asc nulls first' } });
    const key = keys[0];
    if (!key) return { refused: 'unknown_key', keyId: null, fingerprint };
    if (key.revokedAt) return { refused: 'revoked_key', keyId: key.id, fingerprint };
    if (key.destination.mode !== 'retrieval') return { refused: 'not_retrieval', keyId: key.id, fingerprint };
    if (key.destination.username !== username) return { refused: 'wrong_user', keyId: key.id, fingerprint };
    const publicKey = ssh2.utils.parseKey(key.publicKey);
    if (publicKey instanceof Error) return { refused: 'unknown_key', keyId: key.id, fingerprint };
    return { access: { keyId: key.id, destinationId: key.destination.id, publicKey, scope: await this.scope(em, key.destination.id) } };
  }

  /** The key's scope now; null once it is revoked (or gone), so a session opened before a revocation stops reading. */
  async currentScope(keyId: string): Promise<RetrievalScope | null> {
    const em = this.em.fork();
    const key = await em.findOne(SftpRetrievalKey, keyId, { populate: ['destination'] });
    if (!key || key.revokedAt || key.destination.mode !== 'retrieval') return null;
    return this.scope(em, key.destination.id);
  }

  /** Notes when a key last signed in (shown beside it in the portal). */
  async touch(keyId: string): Promise<void> {
    await this.em.fork().nativeUpdate(SftpRetrievalKey, { id: keyId }, { lastUsedAt: new Date() });
  }

  /** Records a partner's use of the SFTP server; the actor is the key, by ID. */
  async recordUse(
    action:
      'sftp_retrieval.sign_in_accepted' | 'sftp_retrieval.sign_in_refused' | 'sftp_retrieval.files_listed' | 'sftp_retrieval.file_read',
    keyId: string | null,
    ip: string | null,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.recordNow({
      action,
      actor: { login: keyId ? `sftp-key:${keyId}` : null, ip },
      ...(keyId ? { target: { type: 'sftp_retrieval_key', id: keyId } } : {}),
      detail,
    });
  }

  private async scope(em: EntityManager, destinationId: string): Promise<RetrievalScope> {
    const destination = await em.findOneOrFail(SftpDestination, destinationId, { populate: ['groups'] });
    const groupIds = new Set(destination.groups.getItems().map((group) => group.groupId));
    const deliveries = await em.find(
      SftpDelivery,
      { destination: destinationId, status: 'succeeded', prunedAt: null, manifestPath: { $ne: null } },
      { fields: ['manifestPath', 'units'] },
    );
    // A manifest names its delivery's groups: shown only while every one of them is still in the scope.
    const manifests = new Set(
      deliveries
        .filter((delivery) => delivery.units.every((unit) => groupIds.has(unit.groupId)))
        .map((delivery) => basename(delivery.manifestPath!)),
    );
    return { partnerId: this.config.exports.partnerId, groupIds, manifests };
  }

  private async retrievalDestination(em: EntityManager, id: string): Promise<SftpDestination> {
    const destination = UUID.test(id) ? await em.findOne(SftpDestination, id) : null;
    if (!destination || destination.mode !== 'retrieval') throw new NotFoundException();
    return destination;
  }
}

/** An SSH public key as pasted (`ssh-ed25519 AAAA… comment`, or PEM); null for anything else, a private key included. */
export function parsePublicKey(text: string): ssh2.ParsedKey | null {
  const parsed = ssh2.utils.parseKey(text.trim());
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || key.isPrivateKey()) return null;
  return key;
}
