#!/usr/bin/env bash
# The crash loop (issue 13): bench/crash-loop.mjs against a test bed of its own, as the
# unprivileged user, then its figures into the "Crash loop" section of BENCHMARKS.md.
#   sudo bash bench/crash-loop.sh [KILLS [SEED]]      (default: 500 kills, seed 13)
# Env: CRASH_PORT_BASE (the bed's ports, default 5444: +0..+3), CRASH_BED_DIR, CRASH_BIG
# (the image killed while it pulls and unpacks: big:latest, 12 MiB; debian:latest for
# many files, slower), CRASH_RECORD=0 to leave BENCHMARKS.md alone, BURROW_DIR (the
# checkout whose build is killed; default this one). burrow runs from a snapshot of the
# build taken at start (bench/lib.sh), so a rebuild meanwhile changes nothing.
set -euo pipefail
LOG_TAG=crash-loop
. "$(dirname "$0")/lib.sh"
require_root crash-loop.sh
KILLS="${1:-500}" SEED="${2:-13}"
PORT_BASE="${CRASH_PORT_BASE:-5444}"
BED="${CRASH_BED_DIR:-/tmp/burrow-bed-crash-loop}"
require_build burrow-monitor burrow-net burrow-init burrow-unpack
user_info
WORK="$(mktemp -d /var/tmp/burrow-crash-loop.XXXXXX)"; chmod 755 "$WORK"; chown "$BUSER": "$WORK"
REGISTRATION="crash-loop-$$"
cleanup_crash() {
  set +e
  runuser -u "$BUSER" -- bash "$REPO/test/bed/down.sh" "$BED" >/dev/null 2>&1
  bash "$REPO/test/bed/cgroup-v1.sh" down "$BUSER" "$REGISTRATION" >/dev/null 2>&1
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup_crash EXIT
snapshot_burrow burrow-monitor burrow-net burrow-init burrow-unpack
cp -a "$REPO/bench/crash-loop.mjs" "$BDIR/crash-loop.mjs"
# The containers' cgroups: the delegated v1 subtree the test bed uses (nothing on a v2-only host).
bash "$REPO/test/bed/cgroup-v1.sh" up "$BUSER" "$REGISTRATION" >&2
runuser -u "$BUSER" -- env HOME="$BHOME" PATH="$PATH" BURROW_BED_PORT_BASE="$PORT_BASE" bash "$REPO/test/bed/up.sh" "$BED" >&2
REGISTRY="127.0.0.1:$PORT_BASE"
log "$KILLS kills, seed $SEED, burrow $SNAP_GIT (built $SNAP_BUILT), registry $REGISTRY"
started=$SECONDS
set +e
runuser -u "$BUSER" -- env HOME="$BHOME" PATH="$PATH" BURROW_BIN="$BDIR/bin/burrow.js" \
  node "$BDIR/crash-loop.mjs" --kills "$KILLS" --seed "$SEED" --registry "$REGISTRY" \
  --archive "$BED/archives/busybox-docker.tar" --big "${CRASH_BIG:-big:latest}" \
  --work "$WORK/loop" --json "$WORK/report.json" | tee "$WORK/out.txt"
status=${PIPESTATUS[0]}
set -e
minutes=$(( (SECONDS - started + 30) / 60 ))
[ -f "$WORK/report.json" ] || die "the loop wrote no report (exit $status)"
if [ "${CRASH_RECORD:-1}" = 1 ]; then
  export_machine_info
  section="$WORK/section.md"
  python3 - "$WORK/report.json" "$section" "$SNAP_GIT" "$minutes" "$B_DATE" "$B_NPROC" "$B_KERNEL" "${CRASH_BIG:-big:latest}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
out, rev, minutes, date, nproc, kernel, big = sys.argv[2:9]
lines = [
    "## Crash loop",
    "",
    f"`sudo bash bench/crash-loop.sh {r['kills']} {r['seed']}` ({date}, burrow {rev}, {nproc} cores, kernel {kernel}, "
    f"{minutes} min, the machine shared with other work): burrow SIGKILLed with its process group at a moment drawn "
    f"by the seeded PRNG over each command's span, as the unprivileged user; after each kill `system check`, the next "
    f"command of the same kind, `rm -f` of every container, then no process, store mount or cgroup of a removed "
    f"container left (bench/README.md). Image pulled and unpacked under the kills: `{big}`.",
    "",
    f"**{r['kills']} kills, {r['clean']} clean, {r['corrupt']} corrupt** (seed {r['seed']}; "
    f"{r['notLanded']} more commands ended before their kill and are not counted).",
    "",
    "| kind | kills | corrupt | ended before the kill |",
    "|---|---:|---:|---:|",
]
for kind, s in sorted(r["byKind"].items()):
    lines.append(f"| {kind} | {s['kills']} | {s['corrupt']} | {s['notLanded']} |")
if r["failures"]:
    lines += ["", "Failures (replay one: `--seed S --from-step N --kills 1`):", ""]
    for f in r["failures"]:
        lines.append(f"- step {f['step']} {f['kind']} after {f['delay']} ms ({f['phase']}): {f['why'][:400]}")
open(out, "w").write("\n".join(lines) + "\n\n")
PY
  write_section crash-loop "$section"
fi
exit "$status"
