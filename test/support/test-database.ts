import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DatabaseEnvironment, loadEnvironment, type DatabaseSettings } from '@opendsp/config';
import { migrateDspDatabase, startEmbeddedPostgres } from '@opendsp/database';
import { migrateSandboxDatabase } from '../../apps/omron-sandbox/src/index.js';

/** The environment every test database is stamped with; test configs use the same values. */
export const TEST_ENVIRONMENT = { type: 'staging', id: 'test' } as const;

const TEMPLATE_PREFIX = 'opendsp_test_template_';
const MIGRATION_FOLDERS = ['../../libs/database/src/migrations', '../../apps/omron-sandbox/src/database/migrations'];

/**
 * The migrated template's name carries a hash of every migration file, so a changed migration gets a
 * fresh template while unchanged ones are reused across runs.
 */
function templateName(): string {
  const hash = createHash('sha256');
  for (const folder of MIGRATION_FOLDERS) {
    const path = fileURLToPath(new URL(folder, import.meta.url));
    for (const file of readdirSync(path).sort()) hash.update(file).update(readFileSync(join(path, file)));
  }
  return TEMPLATE_PREFIX + hash.digest('hex').slice(0, 16);
}

export interface TestDatabase {
  readonly settings: DatabaseSettings;
  drop(): Promise<void>;
}

/** The PostgreSQL server tests run against: DATABASE_URL when given, else none (embedded per test file). */
export function testServerUrl(): string | undefined {
  return loadEnvironment(DatabaseEnvironment, process.env).DATABASE_URL;
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A free TCP port on loopback, for servers a test starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs SQL on the server's maintenance connection. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  serverUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Creates the migrated template once (the first test file to need it wins an advisory lock), drops stale ones,
 * and copies it into `database` while still holding the lock: worktrees with other migrations share the
 * server, and one of them could otherwise drop this template between the check and the copy.
 */
async function copyTemplate(serverUrl: string, database: string): Promise<void> {
  const name = templateName();
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`select pg_advisory_lock(hashtext('opendsp_test_template'))`);
    const existing = await client.query(`select 1 from pg_database where datname = $1`, [name]);
    if (existing.rowCount === 0) {
      const stale = await client.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [
        `${TEMPLATE_PREFIX}%`,
      ]);
      for (const { datname } of stale.rows) await client.query(`drop database if exists "${datname}" with (force)`);
      await client.query(`create database "${name}_building"`);
      await migrateEverything({ url: databaseUrl(serverUrl, `${name}_building`), poolMax: 2 });
      // Renamed only when complete, so a crash mid-migration never leaves a half-built template behind.
      await client.query(`alter database "${name}_building" rename to "${name}"`);
    }
    await client.query(`create database "${database}" template "${name}"`);
  } finally {
    await client.query(`select pg_advisory_unlock(hashtext('opendsp_test_template'))`).catch(() => undefined);
    await client.end();
  }
}

/**
 * A database of its own for one test file. On a real server it is a copy of the migrated template
 * (`CREATE DATABASE … TEMPLATE`, fast and isolated); without one, an in-memory embedded PostgreSQL.
 * @param options.migrated false for an empty database (migration tests).
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const migrated = options.migrated ?? true;
  const server = testServerUrl();
  if (server) {
    const name = `opendsp_t_${randomBytes(6).toString('hex')}`;
    if (migrated) await copyTemplate(server, name);
    else await adminQuery(server, `create database "${name}"`);
    return {
      settings: { url: databaseUrl(server, name), poolMax: 5 },
      drop: async () => {
        await adminQuery(server, `drop database if exists "${name}" with (force)`);
      },
    };
  }
  const embedded = await startEmbeddedPostgres({ port: await freePort() });
  const settings = { url: embedded.url, poolMax: 5 };
  if (migrated) await migrateEverything(settings);
  return { settings, drop: () => embedded.stop() };
}

/** Applies the platform's and the sandbox's migrations and stamps the test environment. */
export async function migrateEverything(settings: DatabaseSettings): Promise<void> {
  await migrateDspDatabase(settings, TEST_ENVIRONMENT);
  await migrateSandboxDatabase(settings);
}

/**
 * `it` for a claim about concurrent database sessions (row and advisory locks, atomic claims), which only a
 * PostgreSQL server can put to the test: PGlite, the embedded database, runs one transaction at a time for all
 * its connections, so there such a test could not fail. On the embedded database it is skipped, and its name
 * says why in the output.
 */
export function itOnServer(name: string, fn: () => Promise<unknown>, timeout?: number): void {
  if (testServerUrl()) it(name, fn, timeout);
  else it.skip(`${name} (needs a PostgreSQL server: PGlite runs one transaction at a time)`, fn, timeout);
}
