// Prints one plain closing line, "jest: N passed, N failed, N skipped", as the very last line of the run (at
// process exit, after jest's own summary), so that any CI that reads closing lines sees the counts.
class SummaryLineReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
    process.once('exit', () => process.stderr.write(line));
  }
}
module.exports = SummaryLineReporter;
