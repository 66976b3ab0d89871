#!/usr/bin/env bash
# The project's test command (`npm test`): machine setup (as root), install,
# build, then bed up -> vitest -> bed down, all as the test user.
#   run-tests.sh [vitest args...]      e.g. run-tests.sh test/pull.test.ts
# As root (CI): installs what the bed needs and runs the bed and vitest as the
# unprivileged user `burrowtest` (rootless is the point of burrow). As anyone
# else: runs as that user (who needs /etc/subuid ranges for rootless tests).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

TEST_USER="$(id -un)"
if [ "$(id -u)" -eq 0 ]; then
  bash "$HERE/install.sh"
  TEST_USER=burrowtest
fi

# Dependencies and build, as the invoking user (who owns the checkout).
if [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm 11 omits other platforms' optional packages (rollup's) from the lock it
  # writes and then `npm ci` rejects that lock; `install --no-save` keeps the
  # locked versions without rewriting the file.
  npm ci --no-progress --loglevel=error 2>/dev/null || npm install --no-save --no-progress --loglevel=error
fi
npm run build --silent

BED_DIR="${BURROW_BED_DIR:-/tmp/burrow-bed-$TEST_USER}"
CACHE="${BURROW_VITEST_CACHE:-/tmp/burrow-vitest-cache-$TEST_USER}"

# as_test_user CMD...: run CMD as the test user with the bed's environment.
if [ "$TEST_USER" != "$(id -un)" ]; then
  # What root just built/installed must be readable by the test user, and vite
  # writes its bundled config under node_modules/.vite-temp.
  chmod -R a+rX "$REPO"
  mkdir -p node_modules/.vite-temp && chmod 1777 node_modules/.vite-temp
  as_test_user() {
    runuser -u "$TEST_USER" -- env HOME="/home/$TEST_USER" USER="$TEST_USER" LOGNAME="$TEST_USER" \
      PATH="$PATH" BURROW_BED_DIR="$BED_DIR" BURROW_VITEST_CACHE="$CACHE" \
      NPM_CONFIG_UPDATE_NOTIFIER=false "$@"
  }
else
  as_test_user() { env BURROW_BED_DIR="$BED_DIR" BURROW_VITEST_CACHE="$CACHE" "$@"; }
fi

# Whatever happens from here on, the bed goes down.
trap 'as_test_user bash "$HERE/down.sh" "$BED_DIR" || true' EXIT
as_test_user bash "$HERE/up.sh" "$BED_DIR"

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
