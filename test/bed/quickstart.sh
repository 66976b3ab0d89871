#!/usr/bin/env bash
# README's "main job", offline: bring the bed up, pull busybox from the local
# registry with burrow, list images, bring the bed down.
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

# Build if needed (no build yet, or sources newer than it).
if [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm 11 omits other platforms' optional packages (rollup's) from the lock it
  # writes and then `npm ci` rejects that lock; `install --no-save` keeps the
  # locked versions without rewriting the file.
  npm ci --no-progress --loglevel=error 2>/dev/null || npm install --no-save --no-progress --loglevel=error
fi
if [ ! -d build ] || [ -n "$(find src -newer build -print -quit 2>/dev/null)" ]; then
  npm run build --silent
fi

BED_DIR="${BURROW_BED_DIR:-/tmp/burrow-bed-$TEST_USER}"
if [ "$TEST_USER" != "$(id -un)" ]; then
  chmod -R a+rX "$REPO"
  as_test_user() {
    runuser -u "$TEST_USER" -- env HOME="/home/$TEST_USER" USER="$TEST_USER" LOGNAME="$TEST_USER" \
      PATH="$PATH" BURROW_BED_DIR="$BED_DIR" "$@"
  }
else
  as_test_user() { env BURROW_BED_DIR="$BED_DIR" "$@"; }
fi

trap 'as_test_user bash "$HERE/down.sh" "$BED_DIR" || true' EXIT
as_test_user bash "$HERE/up.sh" "$BED_DIR"

STORE="$BED_DIR/quickstart-store"
as_test_user node bin/burrow.js --root "$STORE" pull 127.0.0.1:5100/busybox:latest
as_test_user node bin/burrow.js --root "$STORE" images
# The job itself: an isolated container from the image just pulled, as the unprivileged user.
as_test_user node bin/burrow.js --root "$STORE" run --rm 127.0.0.1:5100/busybox:latest \
  sh -c 'echo "hello from $(hostname): uid $(id -u) in a user namespace mapped as:"; cat /proc/self/uid_map'
