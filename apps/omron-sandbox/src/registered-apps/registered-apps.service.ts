import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { hash, verify } from '@node-rs/argon2';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { SANDBOX_SCOPES } from '../oauth/scopes.js';
import { newOpaqueToken } from '../oauth/secrets.js';
import {
  RegisteredAppsSeedDto,
  type CreateRegisteredAppDto,
  type RegisteredAppView,
  type UpdateRegisteredAppDto,
} from './dto/registered-app.dto.js';
import { RegisteredApp } from './registered-app.entity.js';

/** What an app may ask for unless registered otherwise: every scope, `ecg` included, as a sandbox should be permissive. */
const DEFAULT_SCOPES: readonly string[] = SANDBOX_SCOPES;

const OPTIONAL_FIELDS = [
  'infoUri',
  'policyUri',
  'tosUri',
  'logoUri',
  'notificationUri',
  'companyName',
  'companyAddress',
  'companyLogoUri',
  'contactName',
  'contactEmail',
  'contactPhone',
] as const;

/** A seed file that cannot be read or does not describe apps; the sandbox refuses to start with it. */
export class RegisteredAppsSeedError extends Error {
  override name = 'RegisteredAppsSeedError';
}

/** Applies the given fields to an app; undefined leaves a field as it is. */
async function applyFields(app: RegisteredApp, input: Partial<CreateRegisteredAppDto>): Promise<void> {
  if (input.displayName !== undefined) app.displayName = input.displayName;
  if (input.redirectUris !== undefined) app.redirectUris = [...new Set(input.redirectUris)];
  if (input.allowedScopes !== undefined) app.allowedScopes = [...new Set(input.allowedScopes)];
  for (const field of OPTIONAL_FIELDS) if (input[field] !== undefined) app[field] = input[field] ?? null;
  if (input.clientSecret !== undefined) app.clientSecretHash = await hash(input.clientSecret);
}

/**
 * Registers an app or overwrites the given fields of an existing one (the local launcher's way of
 * keeping the sandbox in step with the platform's configured client). Flushes.
 */
export async function upsertRegisteredApp(
  em: EntityManager,
  input: CreateRegisteredAppDto & { clientSecret: string },
): Promise<RegisteredApp> {
  let app = await em.findOne(RegisteredApp, { clientId: input.clientId });
  if (!app) {
    app = new RegisteredApp(input.clientId, '', input.displayName);
    app.allowedScopes = [...DEFAULT_SCOPES];
    em.persist(app);
  }
  await applyFields(app, input);
  await em.flush();
  return app;
}

/** Registered apps: the admin API's operations, the seed file and client authentication. */
@Injectable()
export class RegisteredApps {
  private readonly logger = new Logger(RegisteredApps.name);
  /**
   * Secrets that verified recently, keyed by client and a digest of the secret, so a busy token
   * endpoint does not pay for Argon2 on every call. Cleared when a secret changes.
   */
  private readonly verified = new Map<string, { hash: string; until: number }>();

  constructor(private readonly em: EntityManager) {}

  find(clientId: string): Promise<RegisteredApp | null> {
    return this.em.fork().findOne(RegisteredApp, { clientId });
  }

  async list(): Promise<RegisteredAppView[]> {
    const apps = await this.em.fork().find(RegisteredApp, {}, { orderBy: { clientId: 'asc' } });
    return apps.map(toView);
  }

  async get(clientId: string): Promise<RegisteredAppView> {
    const app = await this.find(clientId);
    if (!app) throw new NotFoundException(`No registered app with client id ${clientId}`);
    return toView(app);
  }

  /** Registers an app; returns it with its client secret, which is shown this once. */
  async create(input: CreateRegisteredAppDto): Promise<RegisteredAppView & { clientSecret: string }> {
    const em = this.em.fork();
    if (await em.findOne(RegisteredApp, { clientId: input.clientId })) {
      throw new ConflictException(`An app with client id ${input.clientId} is already registered`);
    }
    const clientSecret = input.clientSecret ?? newOpaqueToken();
    const app = new RegisteredApp(input.clientId, '', input.displayName);
    app.allowedScopes = [...DEFAULT_SCOPES];
    await applyFields(app, { ...input, clientSecret });
    await em.persist(app).flush();
    this.logger.log(`registered app ${app.clientId}`);
    return { ...toView(app), clientSecret };
  }

  async update(clientId: string, input: UpdateRegisteredAppDto): Promise<RegisteredAppView> {
    const em = this.em.fork();
    const app = await em.findOne(RegisteredApp, { clientId });
    if (!app) throw new NotFoundException(`No registered app with client id ${clientId}`);
    await applyFields(app, input);
    await em.flush();
    this.forget(clientId);
    return toView(app);
  }

  /** Replaces the client secret with a new random one, returned this once. */
  async rotateSecret(clientId: string): Promise<{ clientId: string; clientSecret: string }> {
    const clientSecret = newOpaqueToken();
    await this.update(clientId, { clientSecret });
    return { clientId, clientSecret };
  }

  /** Removes an app together with its codes, grants and tokens. */
  async remove(clientId: string): Promise<void> {
    const deleted = await this.em.fork().nativeDelete(RegisteredApp, { clientId });
    if (deleted === 0) throw new NotFoundException(`No registered app with client id ${clientId}`);
    this.forget(clientId);
  }

  /** The app if the id and secret match, else null. */
  async authenticate(clientId: string, clientSecret: string): Promise<RegisteredApp | null> {
    const app = await this.find(clientId);
    if (!app || !app.clientSecretHash) return null;
    const key = `${clientId}\u0000${createHash('sha256').update(clientSecret).digest('hex')}`;
    const cached = this.verified.get(key);
    if (cached && cached.hash === app.clientSecretHash && cached.until > Date.now()) return app;
    const ok = await verify(app.clientSecretHash, clientSecret).catch(() => false);
    if (!ok) return null;
    if (this.verified.size > 1000) this.verified.clear();
    this.verified.set(key, { hash: app.clientSecretHash, until: Date.now() + 5 * 60_000 });
    return app;
  }

  /**
   * Registers the apps of a seed file that are not registered yet. Existing apps are left alone, so
   * edits made through the admin API survive a restart.
   */
  async seedFromFile(path: string): Promise<string[]> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new RegisteredAppsSeedError(`SANDBOX_APPS_FILE ${path}: ${(error as Error).message}`);
    }
    const seed = plainToInstance(RegisteredAppsSeedDto, parsed);
    const errors = await validate(seed, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) {
      throw new RegisteredAppsSeedError(`SANDBOX_APPS_FILE ${path}: ${JSON.stringify(errors.flatMap((error) => describeError(error)))}`);
    }
    const created: string[] = [];
    for (const input of seed.apps) {
      if (await this.find(input.clientId)) continue;
      await this.create(input);
      created.push(input.clientId);
    }
    if (created.length > 0) this.logger.log(`registered ${created.length} app(s) from the seed file`);
    return created;
  }

  private forget(clientId: string): void {
    for (const key of this.verified.keys()) if (key.startsWith(`${clientId}\u0000`)) this.verified.delete(key);
  }
}

function describeError(error: ValidationError, path = ''): string[] {
  const here = path ? `${path}.${error.property}` : error.property;
  return [
    ...Object.values(error.constraints ?? {}).map((message) => `${here}: ${message}`),
    ...(error.children ?? []).flatMap((child) => describeError(child, here)),
  ];
}

export function toView(app: RegisteredApp): RegisteredAppView {
  return {
    clientId: app.clientId,
    displayName: app.displayName,
    infoUri: app.infoUri,
    policyUri: app.policyUri,
    tosUri: app.tosUri,
    logoUri: app.logoUri,
    redirectUris: [...app.redirectUris],
    notificationUri: app.notificationUri,
    allowedScopes: [...app.allowedScopes],
    companyName: app.companyName,
    companyAddress: app.companyAddress,
    companyLogoUri: app.companyLogoUri,
    contactName: app.contactName,
    contactEmail: app.contactEmail,
    contactPhone: app.contactPhone,
    createdAt: app.createdAt.toISOString(),
    updatedAt: app.updatedAt.toISOString(),
  };
}
