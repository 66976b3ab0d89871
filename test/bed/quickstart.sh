#!/usr/bin/env bash
# README's "main job", offline: bring the local registry up, pull busybox from it
# with burrow, list images, run a job in a container as the unprivileged user,
# and bring the registry down again.
set -euo pipefail
BUILD=if-stale
PURPOSE=quickstart
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"

STORE="$BED_DIR/quickstart-store"
IMAGE="127.0.0.1:${BURROW_BED_PORT_BASE:-5100}/busybox:latest"   # the bed's anonymous registry
as_test_user node bin/burrow.js --root "$STORE" pull "$IMAGE"
as_test_user node bin/burrow.js --root "$STORE" images
# The job itself: an isolated container from the image just pulled, as the unprivileged user.
as_test_user node bin/burrow.js --root "$STORE" run --rm "$IMAGE" \
  sh -c 'echo "hello from $(hostname): uid $(id -u) in a user namespace mapped as:"; cat /proc/self/uid_map'
