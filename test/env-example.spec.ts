import { readFileSync } from 'node:fs';
import { DspEnvironment, environmentVariableNames, SandboxEnvironment } from '@opendsp/config';

describe('.env.example', () => {
  it('documents exactly the variables the configuration classes read', () => {
    const documented = readFileSync(new URL('../.env.example', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((name): name is string => Boolean(name))
      .sort();
    const read = [...new Set([...environmentVariableNames(DspEnvironment), ...environmentVariableNames(SandboxEnvironment)])].sort();
    expect(documented).toEqual(read);
  });
});
