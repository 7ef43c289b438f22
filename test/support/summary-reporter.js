// Prints the slowest test files (where the suite's time goes) and one plain closing line,
// "Tests: N passed, N failed, N skipped", that any CI can read, after Jest's own summary.
import { relative } from 'node:path';

export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numRuntimeErrorTestSuites } = results;
    const slowest = results.testResults
      .map((file) => ({ path: relative(process.cwd(), file.testFilePath), seconds: (file.perfStats.end - file.perfStats.start) / 1000 }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 12);
    if (slowest.length > 1) {
      console.log('\nSlowest test files:');
      for (const file of slowest) console.log(`${file.seconds.toFixed(1).padStart(7)} s  ${file.path}`);
    }
    // A suite that failed to load has no failed tests of its own; count it so the line never reads clean.
    const failed = numFailedTests + numRuntimeErrorTestSuites;
    console.log(`\nTests: ${numPassedTests} passed, ${failed} failed, ${numPendingTests + numTodoTests} skipped`);
  }
}
