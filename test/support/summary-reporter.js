// Prints one plain closing line, "Tests: N passed, N failed, N skipped", that any CI can read,
// after Jest's own summary.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numRuntimeErrorTestSuites } = results;
    // A suite that failed to load has no failed tests of its own; count it so the line never reads clean.
    const failed = numFailedTests + numRuntimeErrorTestSuites;
    console.log(`\nTests: ${numPassedTests} passed, ${failed} failed, ${numPendingTests + numTodoTests} skipped`);
  }
}
