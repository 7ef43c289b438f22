// Jest runs our ESM code (and NestJS 12 / MikroORM 7, which are ESM-only) through @swc/jest;
// `npm test` starts Node with --experimental-vm-modules for that.
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Idle and total CPU time of the whole machine so far, from /proc/stat (null where there is none). */
function cpuTimes() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: fields[3] + (fields[4] ?? 0), total: fields.reduce((sum, value) => sum + value, 0) };
  } catch {
    return null;
  }
}

/**
 * Test files: one per free core, plus one. Many files spend much of their time waiting on a second process,
 * a retry or a cool-down, which another file's work can fill; with every core free that extra file is free
 * time, but when another process keeps cores busy it only slows everyone down. So the cores free right now
 * (measured over half a second) decide, never fewer than 2 nor more than the cores + 1.
 */
async function testWorkers() {
  const cores = availableParallelism();
  const before = cpuTimes();
  await sleep(500);
  const after = cpuTimes();
  if (!before || !after || after.total === before.total) return Math.max(2, cores);
  const freeCores = Math.round((cores * (after.idle - before.idle)) / (after.total - before.total));
  return Math.min(cores + 1, Math.max(2, freeCores + 1));
}

/** @type {() => Promise<import('jest').Config>} */
export default async () => ({
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2024',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          keepClassNames: true,
        },
        module: { type: 'es6' },
      },
    ],
  },
  moduleNameMapper: {
    '^@opendsp/(.*)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  setupFiles: ['reflect-metadata'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testSequencer: '<rootDir>/test/support/slow-first-sequencer.js',
  testTimeout: 60_000,
  maxWorkers: await testWorkers(),
});
