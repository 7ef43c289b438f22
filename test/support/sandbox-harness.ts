import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { loadSandboxConfig } from '@opendsp/config';
import { createSandboxApp } from '../../apps/omron-sandbox/src/bootstrap.js';
import { ReadingIngestion, type NewReading } from '../../apps/omron-sandbox/src/measurements/index.js';
import { issueTestAccessToken } from '../../apps/omron-sandbox/src/oauth/index.js';
import { ensureSandboxUser } from '../../apps/omron-sandbox/src/users/sandbox-users.js';
import { createTestDatabase, freePort, type TestDatabase } from './test-database.js';
import { testSandboxEnv } from './test-environment.js';

/** A sandbox listening on a free loopback port, on a database of its own. */
export interface SandboxHarness {
  app: NestExpressApplication;
  database: TestDatabase;
  baseUrl: string;
  em(): EntityManager;
  /** A test user (password `password-123`). */
  user(email: string): Promise<{ id: string; sub: string }>;
  token(
    userId: string,
    scopes: string[],
    options?: { clientId?: string; expiresInSeconds?: number; notificationUri?: string | null; environment?: 'stg' | 'prd' },
  ): Promise<string>;
  ingest(userId: string, readings: NewReading[]): ReturnType<ReadingIngestion['ingest']>;
  /** Stops the app (the database stays, for a restart). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startSandboxHarness(env: Record<string, string> = {}, existing?: TestDatabase): Promise<SandboxHarness> {
  const database = existing ?? (await createTestDatabase());
  const port = await freePort();
  const app = await createSandboxApp(
    loadSandboxConfig(
      testSandboxEnv({
        DATABASE_URL: database.settings.url,
        SANDBOX_PORT: String(port),
        SANDBOX_PUBLIC_URL: `http://127.0.0.1:${port}`,
        ...env,
      }),
    ),
    { shutdownHooks: false },
  );
  await app.listen(port, '127.0.0.1');
  const em = () => app.get(MikroORM).em.fork() as EntityManager;
  let stopped = false;
  const harness: SandboxHarness = {
    app,
    database,
    baseUrl: `http://127.0.0.1:${port}`,
    em,
    async user(email) {
      const user = await ensureSandboxUser(em(), email, 'password-123');
      return { id: user.id, sub: user.sub };
    },
    token: (userId, scopes, options = {}) =>
      issueTestAccessToken(em(), {
        userId,
        clientId: options.clientId ?? 'test-app',
        scopes,
        expiresInSeconds: options.expiresInSeconds,
        notificationUri: options.notificationUri,
        environment: options.environment,
      }),
    ingest: (userId, readings) => app.get(ReadingIngestion).ingest(userId, readings, 'device'),
    async stop() {
      if (!stopped) await app.close();
      stopped = true;
    },
    async close() {
      await harness.stop();
      await database.drop();
    },
  };
  return harness;
}

/** A parsed JSON answer, loosely typed: tests assert its shape themselves. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
