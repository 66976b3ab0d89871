#!/usr/bin/env bash
# Stop everything up.sh started for BED_DIR (from its pid files). Idempotent.
#   down.sh [BED_DIR]
set -euo pipefail

BED_DIR="${1:-${BURROW_BED_DIR:-/tmp/burrow-bed-$(id -un)}}"
PID_DIR="$BED_DIR/pids"
[ -d "$PID_DIR" ] || exit 0

# Only signal a pid if it still runs what we started: pids get reused.
ours() {  # $1 = pid
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qE 'docker-registry serve|token-server\.mjs'
}

pids=()
for f in "$PID_DIR"/*.pid; do
  [ -e "$f" ] || continue
  pid="$(cat "$f" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
  rm -f "$f"
done

# Wait up to ~5 s for a clean exit, then force.
for _ in $(seq 50); do
  alive=0
  for pid in "${pids[@]}"; do ours "$pid" && alive=1; done
  [ "$alive" -eq 0 ] && exit 0
  sleep 0.1
done
for pid in "${pids[@]}"; do ours "$pid" && kill -KILL "$pid" 2>/dev/null || true; done
exit 0
