# Sourced by run-tests.sh and quickstart.sh: the set-up both README commands share.
# Machine setup as root (then the test user is burrowtest: a test that runs as root
# proves nothing about rootless), dependencies, a build, and `as_test_user`, which
# runs a command as that user with the bed's environment. Callers set BUILD=always
# or BUILD=if-stale, and PURPOSE=tests or PURPOSE=quickstart (what install.sh sets
# up: the quickstart needs none of the suite's extras, such as the cgroup v2 VM),
# before sourcing.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

TEST_USER="$(id -un)"
if [ "$(id -u)" -eq 0 ]; then
  bash "$HERE/install.sh" "${PURPOSE:-tests}"
  TEST_USER=burrowtest
fi

# Dependencies and build, as the invoking user (who owns the checkout).
if [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm ci` only, as the README's install command: a lock file that `npm ci` refuses
  # (one written without other platforms' optional packages, say) must fail here, where
  # it is seen, not be papered over by `npm install` and fail on a user's fresh clone.
  if ! npm ci --no-progress --loglevel=error; then
    echo "prepare.sh: npm ci failed (npm's words above): if package-lock.json is out of step with package.json, regenerate it with 'rm -rf node_modules package-lock.json && npm install' and commit it" >&2
    exit 1
  fi
fi
if [ "${BUILD:-always}" = always ] || [ ! -e build/cli-bundle/main.cjs ] || [ -n "$(find src native -newer build/cli-bundle/main.cjs -print -quit 2>/dev/null)" ]; then
  npm run build --silent
fi

BED_DIR="${BURROW_BED_DIR:-/tmp/burrow-bed-$TEST_USER}"
CACHE="${BURROW_VITEST_CACHE:-/tmp/burrow-vitest-cache-$TEST_USER}"

if [ "$TEST_USER" != "$(id -un)" ]; then
  # What root just built/installed must be readable by the test user, and vite
  # writes its bundled config under node_modules/.vite-temp.
  chmod -R a+rX "$REPO"
  mkdir -p node_modules/.vite-temp && chmod 1777 node_modules/.vite-temp
  as_test_user() {
    runuser -u "$TEST_USER" -- env HOME="/home/$TEST_USER" USER="$TEST_USER" LOGNAME="$TEST_USER" \
      PATH="$PATH" BURROW_BED_DIR="$BED_DIR" BURROW_VITEST_CACHE="$CACHE" \
      ${BURROW_BED_PORT_BASE:+BURROW_BED_PORT_BASE="$BURROW_BED_PORT_BASE"} \
      NPM_CONFIG_UPDATE_NOTIFIER=false "$@"
  }
else
  as_test_user() { env BURROW_BED_DIR="$BED_DIR" BURROW_VITEST_CACHE="$CACHE" ${BURROW_BED_PORT_BASE:+BURROW_BED_PORT_BASE="$BURROW_BED_PORT_BASE"} "$@"; }
fi

# The delegated cgroup v1 subtree (issue 10's route 3), as root, for the test user:
# made in the cgroup this run is in, removed when the last run using it ends.
CGROUP_V1_REG=""
if [ "$(id -u)" -eq 0 ] && [ "${PURPOSE:-tests}" = tests ]; then
  CGROUP_V1_REG="run-$$-$(basename "$BED_DIR")"
  bash "$HERE/cgroup-v1.sh" up "$TEST_USER" "$CGROUP_V1_REG"
fi
bed_down() {
  as_test_user bash "$HERE/down.sh" "$BED_DIR" || true
  if [ -n "$CGROUP_V1_REG" ]; then bash "$HERE/cgroup-v1.sh" down "$TEST_USER" "$CGROUP_V1_REG" || true; fi
}
# Whatever happens from here on, the bed goes down.
trap bed_down EXIT
as_test_user bash "$HERE/up.sh" "$BED_DIR"
