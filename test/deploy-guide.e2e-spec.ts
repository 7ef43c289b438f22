import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { adminQuery, freePort, testServerUrl } from './support/test-database.js';
import { installCopy, run, shellEnv, waitForOk, type Command, type InstallCopy } from './support/install-copy.js';

/** The shell blocks of docs/deploy.md marked _tested_, in order. */
async function testedBlocks(): Promise<string[]> {
  const guide = await readFile(join(import.meta.dirname, '..', 'docs', 'deploy.md'), 'utf8');
  return [...guide.matchAll(/^_tested_[^\n]*\n\n```sh\n([\s\S]*?)```/gm)].map((match) => match[1]);
}

/**
 * This machine's stand-ins: a database server the tests may use instead of the VM's local one, unique database and
 * role names (tests share the server), and no `sudo -u postgres` (PGUSER is the server's superuser).
 */
function onThisMachine(block: string, name: string, port: string): string {
  return block.replaceAll('sudo -u postgres ', '').replaceAll('opendsp', name).replaceAll('127.0.0.1:5432', `127.0.0.1:${port}`);
}

const serverUrl = testServerUrl();

// The guide is for a PostgreSQL server, which the embedded fallback does not stand in for.
(serverUrl ? describe : describe.skip)('docs/deploy.md (the deployment guide, run on this machine)', () => {
  const name = `odt${randomBytes(4).toString('hex')}`;
  let install: InstallCopy;
  const running: Command[] = [];

  beforeAll(async () => {
    install = await installCopy();
  });
  afterAll(async () => {
    for (const command of running) {
      command.kill();
      await command.exit;
    }
    await install?.remove();
    for (const database of [name, `${name}_restore_check`])
      await adminQuery(serverUrl!, `drop database if exists "${database}" with (force)`);
    await adminQuery(serverUrl!, `drop role if exists "${name}"`);
  });

  it('creates the database, writes .env, migrates, issues a setup link, runs web and worker, backs up, restores, rotates keys and upgrades', async () => {
    const server = new URL(serverUrl!);
    const [webPort, workerPort] = [await freePort(), await freePort()];
    const env = shellEnv({
      PGHOST: server.hostname,
      PGPORT: server.port || '5432',
      PGUSER: decodeURIComponent(server.username),
      WEB_PORT: String(webPort),
      WORKER_PORT: String(workerPort),
    });
    const blocks = await testedBlocks();
    expect(blocks).toHaveLength(7);
    const outputs: string[] = [];
    for (const block of blocks) {
      const script = onThisMachine(block, name, server.port || '5432');
      if (script.includes('npm run start:platform &')) {
        // The systemd units' processes, kept running (in this command's process group) for the steps after.
        const processes = run(`${script}\nwait`, install.dir, env);
        running.push(processes);
        await waitForOk(`http://127.0.0.1:${webPort}/health/ready`, processes);
        await waitForOk(`http://127.0.0.1:${workerPort}/health/ready`, processes);
        continue;
      }
      const command = run(`set -euo pipefail\n${script}`, install.dir, env);
      const code = await command.exit;
      if (code !== 0) throw new Error(`this block of docs/deploy.md failed with ${code}:\n${script}\nOutput:\n${command.output()}`);
      outputs.push(command.output());
    }
    const all = outputs.join('\n');
    expect(all).toMatch(/Applied \d+ migration\(s\)/);
    expect(all).toMatch(/https:\/\/dsp\.example\.com\/setup\/\S+/);
    expect(all).toMatch(/^1$/m); // the restored copy carries the environment stamp
    expect(all).toMatch(/Done: \d+ rows re-encrypted under key "k\d{14}"/);
    expect(all).toContain('Database is up to date.');
    // Web and worker processes stayed up through all of it.
    expect((await fetch(`http://127.0.0.1:${webPort}/health/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${workerPort}/health/ready`)).status).toBe(200);
  }, 600_000);
});
