#!/usr/bin/env bash
# The project's test command (`npm test`): machine setup (as root), install,
# build, then bed up -> vitest -> bed down, all as the test user.
#   run-tests.sh [vitest args...]      e.g. run-tests.sh test/e2e/pull.test.ts
# As root (CI): installs what the bed needs and runs the bed and vitest as the
# unprivileged user `burrowtest` (rootless is the point of burrow). As anyone
# else: runs as that user (who needs /etc/subuid ranges for rootless tests).
set -euo pipefail
BUILD=always
PURPOSE=tests
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"

status=0
REPORT="$BED_DIR/vitest-report.json"
rm -f "$REPORT"
as_test_user npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$REPORT" "$@" || status=$?
# A closing line any CI can read, whatever the runner: "Tests: N passed, N failed".
if [ -f "$REPORT" ]; then
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + (r.numTodoTests ?? 0);
    console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));' "$REPORT"
fi
exit "$status"
