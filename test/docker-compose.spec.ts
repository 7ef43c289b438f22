import { readFileSync } from 'node:fs';

/** The lines of one service's block in docker-compose.yml (services are indented two spaces). */
function serviceBlock(compose: string, name: string): string {
  const start = compose.indexOf(`\n  ${name}:\n`);
  if (start < 0) throw new Error(`no service ${name}`);
  const rest = compose.slice(start + 1);
  const end = rest.slice(1).search(/\n {2}[a-z][\w-]*:\n|\n[a-z]/);
  return end < 0 ? rest : rest.slice(0, end + 1);
}

describe('docker-compose.yml', () => {
  const compose = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8');

  it('publishes the OMRON sandbox on localhost only, and requires its admin token', () => {
    const sandbox = serviceBlock(compose, 'omron-sandbox');
    expect(sandbox).toMatch(/ports: \['127\.0\.0\.1:3100:3100'\]/);
    expect(sandbox).not.toMatch(/ports: \['3100:3100'\]/);
    expect(sandbox).toMatch(/SANDBOX_ADMIN_TOKEN: \$\{SANDBOX_ADMIN_TOKEN:\?/);
  });
});
