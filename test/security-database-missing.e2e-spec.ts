import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadDspConfig } from '@opendsp/config';
import { DatabaseUnavailableError, EnvironmentMismatchError } from '@opendsp/database';
import { startDsp } from '../apps/dsp/src/bootstrap.js';
import { adminQuery, createTestDatabase, itOnServer, type TestDatabase } from './support/test-database.js';
import { buildForChildProcesses } from './support/child-build.js';
import { testDspEnv } from './support/test-environment.js';

/** A DATABASE_URL on the test server for a database that does not exist (with a password that must never be printed). */
function missingDatabaseUrl(server: string): string {
  const url = new URL(server);
  url.username = url.username || 'postgres';
  url.password = 'never-print-this-password';
  url.pathname = '/opendsp_missing_database';
  return url.toString();
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

// The embedded database answers to any database name in its URL, so there no database is missing: server only.
describe('starting against a database that is missing or was never migrated', () => {
  let database: TestDatabase;
  let server: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = database.settings.url;
  });
  afterAll(() => database?.drop());

  async function start(url: string): Promise<unknown> {
    const config = loadDspConfig(testDspEnv({ DATABASE_URL: url, PROCESS_ROLE: 'web', PORT: String(await freePort()) }));
    try {
      const app = await startDsp(config, { shutdownHooks: false });
      await app.close();
      return null;
    } catch (error) {
      return error;
    }
  }

  itOnServer('names a database that does not exist, and the commands to run', async () => {
    const error = await start(missingDatabaseUrl(server));
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    const { message } = error as Error;
    expect(message).toMatch(
      /^The database "opendsp_missing_database" does not exist on [^\n]+: create it \(createdb opendsp_missing_database\), then run `npm run migrate`\.$/,
    );
    expect(message).not.toContain('never-print-this-password');
  });

  itOnServer('names a database that exists but was never migrated', async () => {
    const url = new URL(server);
    const name = `opendsp_unmigrated_${process.pid}`;
    await adminQuery(server, `create database "${name}"`);
    try {
      url.pathname = `/${name}`;
      const error = await start(url.toString());
      expect(error).toBeInstanceOf(EnvironmentMismatchError);
      expect((error as Error).message).toBe(
        `The database "${name}" has not been migrated for any DSP environment yet: run \`npm run migrate\` first.`,
      );
    } finally {
      await adminQuery(server, `drop database if exists "${name}"`);
    }
  });

  itOnServer(
    'prints that one line from a real platform process, and exits 78',
    async () => {
      const build = await buildForChildProcesses();
      const port = String(await freePort());
      const outcome = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [join(build.dir, 'apps', 'dsp', 'src', 'main.js')],
          { env: { ...testDspEnv({ DATABASE_URL: missingDatabaseUrl(server), PROCESS_ROLE: 'web', PORT: port }), PATH: process.env.PATH } },
          (_error, stdout, stderr) => resolve({ code: child.exitCode, stderr, stdout }),
        );
      });
      expect(outcome.code).toBe(78);
      expect(outcome.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^The database "opendsp_missing_database" does not exist/)]);
      expect(outcome.stderr + outcome.stdout).not.toContain('never-print-this-password');
    },
    120_000,
  );
});
