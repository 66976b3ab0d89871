#!/bin/bash
# run-podman-tests.sh: podman's own system tests (test/system/*.bats of
# containers/podman), run as the unprivileged test user against burrow, and against
# rootless podman on the same machine as the baseline. By hand only (not part of CI):
# the podman repository is fetched, never committed.
#
#   sudo PODMAN_REPO=/path/to/podman.git bash test/compat/run-podman-tests.sh [FILE.bats...]
#
# PODMAN_REPO   a clone of containers/podman (a bare git directory will do)
# PODMAN_REF    the tag whose tests run (default v4.3.1: the podman this machine has, so
#               the baseline runs the tests written for it)
# AGAINST       "burrow podman" (default), "burrow" or "podman"
# OUT           where results go (default /tmp/burrow-compat); each tool's TAP per file
# TEST_USER     default burrowtest (made by test/bed/install.sh)
# Then `python3 test/compat/summarize.py OUT` rewrites COMPATIBILITY.md's generated part.
#
# The test image is a stand-in (make-testimage.py: busybox-static in alpine's shape,
# under podman's name for it), loaded into each tool's private store; `$PODMAN` is
# podman-shim, which passes everything to burrow except the harness's own podman-only
# setup/teardown commands.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
: "${PODMAN_REPO:?set PODMAN_REPO to a clone of containers/podman}"
PODMAN_REF=${PODMAN_REF:-v4.3.1}
AGAINST=${AGAINST:-burrow podman}
OUT=${OUT:-/tmp/burrow-compat}
TEST_USER=${TEST_USER:-burrowtest}
FILES=("$@")
[ ${#FILES[@]} -gt 0 ] || FILES=(030-run 035-logs 040-ps 045-start 050-stop 055-rm 065-cp 075-exec 120-load 130-kill 160-volumes)

[ "$(id -u)" -eq 0 ] || { echo "run-podman-tests.sh: run as root (it runs the tests as $TEST_USER)" >&2; exit 2; }
id "$TEST_USER" >/dev/null 2>&1 || { echo "run-podman-tests.sh: no user $TEST_USER: run test/bed/install.sh first" >&2; exit 2; }
command -v bats >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q bats >/dev/null
[ -x "$ROOT/build/native/burrow-init" ] || { echo "run-podman-tests.sh: build burrow first (npm ci && npm run build)" >&2; exit 2; }

rm -rf "$OUT"; mkdir -p "$OUT/system"
git --git-dir="$(git -C "$PODMAN_REPO" rev-parse --absolute-git-dir 2>/dev/null || echo "$PODMAN_REPO")" archive "$PODMAN_REF" test/system | tar -x -C "$OUT/system" --strip-components=2
tag=$(sed -n 's/^PODMAN_TEST_IMAGE_TAG=.*:-"\([0-9]*\)"}$/\1/p' "$OUT/system/helpers.bash")
[ -n "$tag" ] || { echo "run-podman-tests.sh: cannot find the test image's tag in helpers.bash" >&2; exit 1; }
python3 "$HERE/make-testimage.py" "$OUT/image" "$tag"
tar -C "$OUT/image/testimage" -cf "$OUT/testimage.tar" .
printf '%s\n' "$PODMAN_REF" >"$OUT/ref"
git -C "$ROOT" rev-parse --short HEAD >"$OUT/burrow-commit" 2>/dev/null || true
date -u +%Y-%m-%dT%H:%MZ >"$OUT/date"
for file in "${FILES[@]}"; do printf '%s\n' "${file%.bats}"; done >"$OUT/files"
chown -R "$TEST_USER" "$OUT"

for tool in $AGAINST; do
  home="$OUT/home-$tool"
  case $tool in
    burrow) podman_cmd="$HERE/podman-shim" tool_cmd="node $ROOT/bin/burrow.js" ;;
    podman) podman_cmd="$HERE/podman-shim" tool_cmd=podman ;;
    *) echo "run-podman-tests.sh: AGAINST names burrow or podman, not $tool" >&2; exit 2 ;;
  esac
  mkdir -p "$OUT/$tool"; chown "$TEST_USER" "$OUT/$tool"
  for file in "${FILES[@]}"; do
    file=${file%.bats}
    echo "== $tool $file"
    # A private HOME, store and runtime directory per tool; the same for every file, as podman's CI does.
    su "$TEST_USER" -s /bin/bash -c '
      set -u
      export HOME="$1" XDG_DATA_HOME="$1/data" XDG_CONFIG_HOME="$1/config" XDG_CACHE_HOME="$1/cache" XDG_RUNTIME_DIR="$1/run"
      mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
      export PODMAN="$2" BURROW="$7" SHIM_TOOL="$6" TESTIMAGE_TAR="$4/testimage.tar" TESTIMAGE="quay.io/libpod/testimage:$8" PATH="$PATH:/usr/sbin:/sbin"
      $BURROW load -i "$4/testimage.tar" >/dev/null 2>&1
      cd "$4/system" && timeout 1800 bats --tap "$5.bats" >"$4/$6/$5.tap" 2>"$4/$6/$5.err"
      echo "exit $?" >>"$4/$6/$5.err"
    ' _ "$home" "$podman_cmd" "$ROOT" "$OUT" "$file" "$tool" "$tool_cmd" "$tag" || true
    grep -c '^ok' "$OUT/$tool/$file.tap" | sed 's/^/   ok: /' || true
    grep -c '^not ok' "$OUT/$tool/$file.tap" | sed 's/^/   not ok: /' || true
  done
done
echo "results in $OUT; python3 $HERE/summarize.py $OUT writes COMPATIBILITY.md"
