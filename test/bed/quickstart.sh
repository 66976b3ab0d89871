#!/usr/bin/env bash
# README's "main job", offline: bring the local registry up, pull busybox from it
# with burrow, list images, run a job in a container as the unprivileged user,
# and bring the registry down again.
set -euo pipefail
BUILD=if-stale
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"

STORE="$BED_DIR/quickstart-store"
as_test_user node bin/burrow.js --root "$STORE" pull 127.0.0.1:5100/busybox:latest
as_test_user node bin/burrow.js --root "$STORE" images
# The job itself: an isolated container from the image just pulled, as the unprivileged user.
as_test_user node bin/burrow.js --root "$STORE" run --rm 127.0.0.1:5100/busybox:latest \
  sh -c 'echo "hello from $(hostname): uid $(id -u) in a user namespace mapped as:"; cat /proc/self/uid_map'
