#!/usr/bin/env bash
# Concurrency soak (issue 13): bench/soak.mjs against the test bed's registry, as the
# unprivileged test user, with the delegated cgroups the tests have.
#   bash bench/soak.sh [--procs 8] [--seconds 60] [--seed S] [--json FILE]
# Run as root (the bed's set-up; the soak itself runs as burrowtest). Prints the
# counts (operations done, documented refusals, errors) and the leftovers; the
# figures of a full run go into BENCHMARKS.md ("Concurrency soak") by hand.
# Env as run-tests.sh: BURROW_BED_PORT_BASE, BURROW_BED_DIR.
set -euo pipefail
BUILD=if-stale
PURPOSE=tests
. "$(dirname "${BASH_SOURCE[0]}")/../test/bed/prepare.sh"

ANON="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).registries.anon)' "$BED_DIR/bed.json")"
status=0
as_test_user node bench/soak.mjs --registry "$ANON" "$@" || status=$?
exit "$status"
