import { appendFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestDatabase, freePort, type TestDatabase } from './support/test-database.js';
import { installCopy, run, shellEnv, waitForOk, type InstallCopy } from './support/install-copy.js';
import { testDspEnv } from './support/test-environment.js';

describe('CLI commands beside a running platform (scripts/build.mjs)', () => {
  let install: InstallCopy;
  let database: TestDatabase;
  let env: Record<string, string | undefined>;
  let baseUrl: string;

  beforeAll(async () => {
    [install, database] = await Promise.all([installCopy(), createTestDatabase()]);
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    // Development mode: views are read from disk on every request, the harshest case for a swapped build.
    env = shellEnv(
      testDspEnv({
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        DATABASE_URL: database.settings.url,
        PORT: String(port),
        PUBLIC_BASE_URL: baseUrl,
      }),
    );
  });
  afterAll(async () => {
    await install?.remove();
    await database?.drop();
  });

  it('answers every request while `npm run migrate` rebuilds, and builds nothing when the sources are unchanged', async () => {
    const build = run('npm run build', install.dir, env);
    expect(await build.exit).toBe(0);
    const firstBuild = await readlink(join(install.dir, 'dist'));

    const platform = run('npm run start:platform', install.dir, env);
    try {
      await waitForOk(`${baseUrl}/health/ready`, platform);
      // A changed source makes the next CLI command build again.
      await appendFile(join(install.dir, 'apps/dsp/src/views/auth/login.hbs'), '\n');

      const migrate = run('npm run migrate', install.dir, env);
      let migrateDone = false;
      void migrate.exit.then(() => (migrateDone = true));
      const statuses: number[] = [];
      const requestRound = async (): Promise<void> => {
        for (const path of ['/login', '/static/portal.css', '/health/ready']) statuses.push((await fetch(`${baseUrl}${path}`)).status);
      };
      // Requests go on until the command has finished, then one more round against the swapped build.
      while (!migrateDone) await requestRound();
      await requestRound();
      expect(await migrate.exit).toBe(0);
      expect(migrate.output()).toContain('Database is up to date.');
      expect(statuses.length).toBeGreaterThan(3);
      expect(statuses.filter((status) => status >= 500)).toEqual([]);

      const secondBuild = await readlink(join(install.dir, 'dist'));
      expect(secondBuild).not.toBe(firstBuild);
      // The running platform's own build stays on disk.
      await expect(stat(join(install.dir, firstBuild, 'apps/dsp/src/views/auth/login.hbs'))).resolves.toBeTruthy();

      const again = run('npm run build', install.dir, env);
      expect(await again.exit).toBe(0);
      expect(again.output()).toContain('dist is up to date');
      expect(await readlink(join(install.dir, 'dist'))).toBe(secondBuild);
    } finally {
      platform.kill();
      await platform.exit;
    }
  }, 300_000);
});
