import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import ssh2 from 'ssh2';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { SecretBox } from '@opendsp/crypto';
import { ProgramGroup } from '@opendsp/groups';
import type { FieldErrors } from '@opendsp/i18n';
import { EXPORT_KIND_NAMES } from '@opendsp/measurements';
import type { SftpDestinationForm } from '../dto/export-forms.dto.js';
import { nextRunOf } from './cron-schedule.rules.js';
import { SftpDelivery, SftpDeliveryFile } from './sftp-delivery.entity.js';
import { SftpDestination } from './sftp-destination.entity.js';
import { vetHost } from './host-guard.helpers.js';
import { retrievalFolderOf } from './retrieval-folder.helpers.js';
import { SftpError, SftpSession, type SftpProblem, type SftpTarget } from './sftp-session.helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
type SecretColumn = 'password' | 'private_key' | 'passphrase';

export type DestinationOutcome = { ok: true; destination: SftpDestination } | { ok: false; errors: FieldErrors };

/** What "test connection" found: connected, signed in, and wrote and removed a probe file in the base folder. */
export interface ConnectionTestResult {
  ok: boolean;
  problem: SftpProblem | null;
  message: string;
  /** The host key the server presented (to pin it, or to see that it changed). */
  presentedFingerprint: string | null;
}

/**
 * SFTP destinations: create, change, delete, test, "deliver now", and their delivery history. Secrets are
 * encrypted with SecretBox bound to the row and column; they are never shown again, logged or audited.
 */
@Injectable()
export class SftpDestinationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditLog,
    private readonly config: DspConfig,
    private readonly secrets: SecretBox,
  ) {}

  list(): Promise<SftpDestination[]> {
    return this.em.fork().find(SftpDestination, {}, { populate: ['groups'], orderBy: { name: 'asc', id: 'asc' } });
  }

  /** A destination by ID; 404 for anything else. */
  /** The groups a destination may deliver (archived ones too), by name, for the form's checkboxes. */
  async groupChoices(): Promise<ProgramGroup[]> {
    return this.em.fork().find(ProgramGroup, {}, { orderBy: { displayName: 'asc', groupId: 'asc' }, limit: 1000 });
  }

  async get(id: string, em = this.em.fork()): Promise<SftpDestination> {
    const destination = UUID.test(id) ? await em.findOne(SftpDestination, id, { populate: ['groups'] }) : null;
    if (!destination) throw new NotFoundException();
    return destination;
  }

  /** The newest deliveries of a destination, newest first. */
  history(destination: SftpDestination, limit = 50): Promise<SftpDelivery[]> {
    return this.em.fork().find(SftpDelivery, { destination: destination.id }, { orderBy: { startedAt: 'desc', id: 'desc' }, limit });
  }

  /** One delivery of a destination with its files; 404 for anything else. */
  async delivery(destination: SftpDestination, deliveryId: string): Promise<{ delivery: SftpDelivery; files: SftpDeliveryFile[] }> {
    const em = this.em.fork();
    const delivery = UUID.test(deliveryId) ? await em.findOne(SftpDelivery, { id: deliveryId, destination: destination.id }) : null;
    if (!delivery) throw new NotFoundException();
    const files = await em.find(SftpDeliveryFile, { delivery }, { orderBy: { id: 'asc' } });
    return { delivery, files };
  }

  async create(form: SftpDestinationForm, actor: AuditActor): Promise<DestinationOutcome> {
    return this.em.fork().transactional(async (em) => {
      const destination = new SftpDestination({ ...form, kinds: this.kindsOf(form) });
      const errors = await this.apply(em, destination, form);
      if (errors) return { ok: false, errors };
      em.persist(destination);
      this.audit.record(em, {
        action: 'sftp_destination.created',
        actor,
        target: { type: 'sftp_destination', id: destination.id },
        detail: this.describe(destination),
      });
      return { ok: true, destination };
    });
  }

  async update(id: string, form: SftpDestinationForm, actor: AuditActor): Promise<DestinationOutcome> {
    return this.em.fork().transactional(async (em) => {
      const destination = await this.get(id, em);
      const before = this.describe(destination);
      const errors = await this.apply(em, destination, form);
      if (errors) return { ok: false, errors };
      this.audit.record(em, {
        action: 'sftp_destination.updated',
        actor,
        target: { type: 'sftp_destination', id: destination.id },
        detail: { before, after: this.describe(destination), secretsChanged: this.changedSecrets(form) },
      });
      return { ok: true, destination };
    });
  }

  async remove(id: string, actor: AuditActor): Promise<void> {
    const mode = await this.em.fork().transactional(async (em) => {
      const destination = await this.get(id, em);
      this.audit.record(em, {
        action: 'sftp_destination.deleted',
        actor,
        target: { type: 'sftp_destination', id: destination.id },
        detail: this.describe(destination),
      });
      em.remove(destination);
      return destination.mode;
    });
    // A retrieval destination's files go with it (its keys went with the row); nobody can fetch them any more.
    if (mode === 'retrieval') await rm(retrievalFolderOf(this.config.exports.retrieval.dir, id), { recursive: true, force: true });
  }

  /** "Deliver now": the scheduler (in a worker process) picks it up on its next tick. */
  async requestRun(id: string, actor: AuditActor): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const destination = await this.get(id, em);
      const now = new Date();
      destination.runRequestedAt = now;
      destination.nextRunAt = now;
      this.audit.record(em, {
        action: 'sftp_destination.delivery_requested',
        actor,
        target: { type: 'sftp_destination', id: destination.id },
        detail: { name: destination.name },
      });
    });
  }

  /** Connects with the pinned host key, signs in, checks the base folder and writes and removes a probe file. */
  async testConnection(id: string, actor: AuditActor): Promise<ConnectionTestResult> {
    const destination = await this.get(id);
    // A retrieval destination has no server of its own to test.
    if (destination.mode === 'retrieval') throw new NotFoundException();
    const result = await this.probe(destination);
    await this.audit.recordNow({
      action: 'sftp_destination.tested',
      actor,
      target: { type: 'sftp_destination', id: destination.id },
      detail: { ok: result.ok, problem: result.problem, presentedFingerprint: result.presentedFingerprint },
    });
    return result;
  }

  /** How to reach a destination, with its secrets decrypted (in memory only). */
  targetOf(destination: SftpDestination): SftpTarget {
    const secret = (column: SecretColumn, value: string | null): string | undefined =>
      value === null ? undefined : this.secrets.decrypt(value, { table: 'sftp_destination', column, rowId: destination.id });
    return {
      host: destination.host,
      port: destination.port,
      username: destination.username,
      password: destination.authMethod === 'password' ? secret('password', destination.passwordCiphertext) : undefined,
      privateKey: destination.authMethod === 'private_key' ? secret('private_key', destination.privateKeyCiphertext) : undefined,
      passphrase: destination.authMethod === 'private_key' ? secret('passphrase', destination.passphraseCiphertext) : undefined,
      hostKeyFingerprint: destination.hostKeyFingerprint,
      timeoutMs: this.config.exports.sftp.timeoutSeconds * 1000,
      allowPrivateHosts: this.config.exports.sftp.allowPrivateHosts,
    };
  }

  private async probe(destination: SftpDestination): Promise<ConnectionTestResult> {
    let session: SftpSession | undefined;
    try {
      session = await SftpSession.open(this.targetOf(destination));
      if (!(await session.isDirectory(destination.remoteBaseDir)))
        throw new SftpError('base_dir_missing', `the folder ${destination.remoteBaseDir} does not exist on the server`);
      const probe = posix.join(destination.remoteBaseDir, `.opendsp-connection-test-${randomBytes(6).toString('hex')}`);
      const file = await session.create(probe);
      await file.write('ok\n');
      await file.close();
      await session.remove(probe);
      return {
        ok: true,
        problem: null,
        message: `connected to ${destination.host}:${destination.port}`,
        presentedFingerprint: session.fingerprint,
      };
    } catch (error) {
      const failure = error instanceof SftpError ? error : new SftpError('remote_error', String((error as Error)?.message ?? error));
      return {
        ok: false,
        problem: failure.problem,
        message: failure.message,
        presentedFingerprint: failure.presentedFingerprint ?? session?.fingerprint ?? null,
      };
    } finally {
      session?.close();
    }
  }

  /** Copies a valid form onto the destination (encrypting new secrets); field errors when it cannot. */
  private async apply(em: EntityManager, destination: SftpDestination, form: SftpDestinationForm): Promise<FieldErrors | null> {
    const errors: FieldErrors = {};
    const groups = await em.find(ProgramGroup, { groupId: { $in: form.groupIds } });
    if (groups.length !== new Set(form.groupIds).size) errors.groupIds = 'sftp.groups_unknown';
    // Its cursors and folders belong to one kind of target: a destination keeps the mode it was made with.
    if (destination.mode !== form.mode && (await em.count(SftpDelivery, { destination: destination.id })) > 0)
      errors.mode = 'sftp.mode_fixed';
    if (form.mode === 'retrieval') return this.applyRetrieval(em, destination, form, groups, errors);
    if (!(await vetHost(form.host, this.config.exports.sftp.allowPrivateHosts)).allowed) errors.host = 'sftp.host_private';
    // Stored credentials belong to the server they were entered for: pointing the destination at another
    // host or port drops them unless they are entered again, so they are never sent to a server nobody typed
    // them for.
    const moved = destination.host !== form.host || destination.port !== form.port;
    const kept = (method: SftpDestination['authMethod'], ciphertext: string | null) =>
      !moved && destination.authMethod === method && ciphertext !== null;
    if (form.authMethod === 'password' && !form.password && !kept('password', destination.passwordCiphertext))
      errors.password = 'sftp.password_required';
    if (form.authMethod === 'private_key') {
      if (form.privateKey) {
        const parsed = ssh2.utils.parseKey(form.privateKey, form.passphrase || undefined);
        if (parsed instanceof Error) errors.privateKey = 'sftp.private_key_invalid';
      } else if (!kept('private_key', destination.privateKeyCiphertext)) {
        errors.privateKey = 'sftp.private_key_required';
      }
    }
    // Nothing is changed before this point: a refused form leaves the destination as it was.
    if (Object.keys(errors).length > 0) return errors;
    if (moved) {
      destination.passwordCiphertext = null;
      destination.privateKeyCiphertext = null;
      destination.passphraseCiphertext = null;
    }

    const scheduleChanged = destination.schedule !== form.schedule || !destination.nextRunAt;
    Object.assign(destination, {
      name: form.name,
      host: form.host,
      port: form.port,
      username: form.username,
      hostKeyFingerprint: form.hostKeyFingerprint || null,
      remoteBaseDir: form.remoteBaseDir,
      kinds: this.kindsOf(form),
      schedule: form.schedule,
      enabled: form.enabled,
    });
    destination.groups.set(groups);
    const seal = (column: SecretColumn, value: string): string =>
      this.secrets.encrypt(value, { table: 'sftp_destination', column, rowId: destination.id });
    if (form.authMethod !== destination.authMethod) {
      // Switching method drops the other method's secrets.
      destination.passwordCiphertext = null;
      destination.privateKeyCiphertext = null;
      destination.passphraseCiphertext = null;
      destination.authMethod = form.authMethod;
    }
    if (form.authMethod === 'password' && form.password) destination.passwordCiphertext = seal('password', form.password);
    if (form.authMethod === 'private_key' && form.privateKey) {
      destination.privateKeyCiphertext = seal('private_key', form.privateKey);
      destination.passphraseCiphertext = form.passphrase ? seal('passphrase', form.passphrase) : null;
    }
    if (scheduleChanged && !destination.runRequestedAt) {
      destination.nextRunAt = nextRunOf(form.schedule, new Date(), this.config.environment.timezone);
    }
    return null;
  }

  /** A retrieval destination: no server or credentials; its user name is the one partners sign in with, unique among them. */
  private async applyRetrieval(
    em: EntityManager,
    destination: SftpDestination,
    form: SftpDestinationForm,
    groups: ProgramGroup[],
    errors: FieldErrors,
  ): Promise<FieldErrors | null> {
    if (await em.count(SftpDestination, { mode: 'retrieval', username: form.username, id: { $ne: destination.id } }))
      errors.username = 'sftp.retrieval_username_taken';
    if (Object.keys(errors).length > 0) return errors;
    const scheduleChanged = destination.schedule !== form.schedule || !destination.nextRunAt;
    Object.assign(destination, {
      mode: 'retrieval',
      name: form.name,
      host: '',
      port: 22,
      username: form.username,
      authMethod: 'password',
      passwordCiphertext: null,
      privateKeyCiphertext: null,
      passphraseCiphertext: null,
      hostKeyFingerprint: null,
      remoteBaseDir: '.',
      kinds: this.kindsOf(form),
      schedule: form.schedule,
      enabled: form.enabled,
    });
    destination.groups.set(groups);
    if (scheduleChanged && !destination.runRequestedAt) {
      destination.nextRunAt = nextRunOf(form.schedule, new Date(), this.config.environment.timezone);
    }
    return null;
  }

  private kindsOf(form: SftpDestinationForm): SftpDestination['kinds'] {
    return EXPORT_KIND_NAMES.filter((kind) => form.kinds.includes(kind));
  }

  private changedSecrets(form: SftpDestinationForm): string[] {
    return [
      ...(form.authMethod === 'password' && form.password ? ['password'] : []),
      ...(form.authMethod === 'private_key' && form.privateKey ? ['private_key'] : []),
    ];
  }

  /** What the audit log keeps of a destination: everything but its secrets. */
  private describe(destination: SftpDestination): Record<string, unknown> {
    return {
      mode: destination.mode,
      name: destination.name,
      host: destination.host,
      port: destination.port,
      username: destination.username,
      authMethod: destination.authMethod,
      hostKeyFingerprint: destination.hostKeyFingerprint,
      remoteBaseDir: destination.remoteBaseDir,
      kinds: destination.kinds,
      groups: destination.groups.isInitialized() ? destination.groups.getItems().map((group) => group.groupId) : [],
      schedule: destination.schedule,
      enabled: destination.enabled,
    };
  }
}
