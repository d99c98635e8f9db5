// Prints one plain closing line, "jest: N passed, N failed, N skipped", after jest's own summary, so that any
// CI that reads closing lines (not only jest-aware ones) sees the counts.
class SummaryLineReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stderr.write(`jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryLineReporter;
