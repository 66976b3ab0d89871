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
ROOT_REPORT="$BED_DIR/vitest-root-report.json"
rm -f "$REPORT" "$ROOT_REPORT"
# test/root/ holds the few tests of what only root may do (burrow setup): as root,
# before the rest (which skips them), when all tests run or they are named.
root_files=() user_args=()
if [ $# -eq 0 ]; then
  root_files=(test/root/)
  user_args=(--exclude 'test/root/**')
else
  for arg in "$@"; do
    case "$arg" in test/root|test/root/*) root_files+=("$arg") ;; *) user_args+=("$arg") ;; esac
  done
fi
[ "$(id -u)" -eq 0 ] || root_files=()
if [ "${#root_files[@]}" -gt 0 ]; then
  BURROW_VITEST_CACHE="$CACHE-root" BURROW_BED_DIR="$BED_DIR" npx --no-install vitest run --reporter=default \
    --reporter=json --outputFile.json="$ROOT_REPORT" "${root_files[@]}" || status=$?
fi
if [ "${#root_files[@]}" -eq 0 ] || [ "${#user_args[@]}" -gt 0 ]; then
  as_test_user npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$REPORT" "${user_args[@]}" || status=$?
fi
# A closing line any CI can read, whatever the runner: "Tests: N passed, N failed".
reports=()
for r in "$ROOT_REPORT" "$REPORT"; do [ -f "$r" ] && reports+=("$r"); done
if [ "${#reports[@]}" -gt 0 ]; then
  node -e 'let p = 0, f = 0, s = 0;
    for (const file of process.argv.slice(1)) {
      const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
      p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + (r.numTodoTests ?? 0);
    }
    console.log(`Tests: ${p} passed, ${f} failed` + (s ? `, ${s} skipped` : ""));' "${reports[@]}"
fi
exit "$status"
