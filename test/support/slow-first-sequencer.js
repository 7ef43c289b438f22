// Orders test files so that the longest start first and the short ones fill the end, so that no worker sits
// idle while another finishes a long file. Jest does this itself from the timings of an earlier run in its
// cache; a fresh clone has none, and Jest's fallback, file size, would start several of the slowest files
// (small files that drive a whole stack) last. The list comes from the summary reporter's "Slowest test files".
import { relative } from 'node:path';
import TestSequencer from '@jest/test-sequencer';

const SLOWEST = [
  'test/sync-upstream-limits.e2e-spec.ts',
  'test/data-views-scale.e2e-spec.ts',
  'test/sync-pipeline.e2e-spec.ts',
  'test/sync-resilience.e2e-spec.ts',
  'test/sync-notifications.e2e-spec.ts',
  'test/sync-failures.e2e-spec.ts',
  'test/sync-two-workers.e2e-spec.ts',
  'test/sync-lanes.e2e-spec.ts',
  'test/consent-flow.browser.e2e-spec.ts',
  'test/tokens.e2e-spec.ts',
  'test/enrollment-admin.e2e-spec.ts',
  'test/enrollment-admin.browser.e2e-spec.ts',
  'test/exports-sftp-crash.e2e-spec.ts',
  'test/start-command.e2e-spec.ts',
  'test/deploy-guide.e2e-spec.ts',
  'test/build-swap.e2e-spec.ts',
  'test/sandbox-oauth.browser.e2e-spec.ts',
  'test/data-views.browser.e2e-spec.ts',
  'test/portal.browser.e2e-spec.ts',
  'test/exports.browser.e2e-spec.ts',
  'test/data-views.e2e-spec.ts',
];

export default class SlowFirstSequencer extends TestSequencer {
  sort(tests) {
    // With timings of an earlier run for every file, Jest's own order is the better one.
    if (tests.every((test) => this.time(test) != null)) return super.sort(tests);
    const rank = (test) => {
      const index = SLOWEST.indexOf(relative(test.context.config.rootDir, test.path));
      return index === -1 ? SLOWEST.length : index;
    };
    const size = (test) => test.context.hasteFS.getSize(test.path) ?? 0;
    return [...tests].sort((a, b) => rank(a) - rank(b) || size(b) - size(a));
  }
}
