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
cp -a "$REPO/bench/crash-loop.mjs" "$REPO/bench/prng.mjs" "$BDIR/"
# The containers' cgroups: the delegated v1 subtree the test bed uses (nothing on a v2-only host).
bash "$REPO/test/bed/cgroup-v1.sh" up "$BUSER" "$REGISTRATION" >&2
runuser -u "$BUSER" -- env HOME="$BHOME" PATH="$PATH" BURROW_BED_PORT_BASE="$PORT_BASE" bash "$REPO/test/bed/up.sh" "$BED" >&2
REGISTRY="127.0.0.1:$PORT_BASE"
log "$KILLS kills, seed $SEED, burrow $SNAP_GIT (built $SNAP_BUILT), registry $REGISTRY"
started=$SECONDS
# CRASH_JOBS loops side by side (each its own store, seeds SEED, SEED+1, …, the kills shared out):
# the figures are their sum. One loop is what the seed replays.
JOBS="${CRASH_JOBS:-1}"
pids=()
for ((j = 0; j < JOBS; j++)); do
  share=$(( KILLS / JOBS + (j < KILLS % JOBS ? 1 : 0) ))
  runuser -u "$BUSER" -- env HOME="$BHOME" PATH="$PATH" BURROW_BIN="$BDIR/bin/burrow.js" \
    node "$BDIR/crash-loop.mjs" --kills "$share" --seed "$((SEED + j))" --registry "$REGISTRY" \
    --archive "$BED/archives/busybox-docker.tar" --big "${CRASH_BIG:-big:latest}" \
    --work "$WORK/loop-$j" --json "$WORK/report-$j.json" > "$WORK/out-$j.txt" 2>&1 &
  pids+=($!)
done
tail -n +1 -F "$WORK"/out-*.txt 2>/dev/null &
tailer=$!
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
kill "$tailer" 2>/dev/null || true
# One report: the sums, the seeds, every failure.
python3 - "$WORK/report.json" "$WORK"/report-*.json <<'PY'
import json, sys
out, parts = sys.argv[1], [json.load(open(p)) for p in sys.argv[2:]]
r = {"seeds": [p["seed"] for p in parts], "kills": 0, "clean": 0, "corrupt": 0, "notLanded": 0, "failures": [], "byKind": {}}
for p in parts:
    for key in ("kills", "clean", "corrupt", "notLanded"): r[key] += p[key]
    r["failures"] += p["failures"]
    for kind, s in p["byKind"].items():
        t = r["byKind"].setdefault(kind, {"kills": 0, "corrupt": 0, "notLanded": 0})
        for key in t: t[key] += s[key]
json.dump(r, open(out, "w"), indent=2)
print(f"{r['kills']} kills, {r['clean']} clean, {r['corrupt']} corrupt (seeds {', '.join(map(str, r['seeds']))})")
PY
minutes=$(( (SECONDS - started + 30) / 60 ))
# Kept after the run: the output of each loop and the reports.
LAST=/var/tmp/burrow-crash-loop-last
rm -rf "$LAST"; mkdir -p "$LAST"; cp "$WORK"/out-*.txt "$WORK"/report*.json "$LAST"/ 2>/dev/null || true
[ -f "$WORK/report.json" ] || die "the loop wrote no report (exit $status)"
if [ "${CRASH_RECORD:-1}" = 1 ]; then
  export_machine_info
  section="$WORK/section.md"
  python3 - "$WORK/report.json" "$section" "$SNAP_GIT" "$minutes" "$B_DATE" "$B_NPROC" "$B_KERNEL" "${CRASH_BIG:-big:latest}" "$JOBS" "$SEED" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
out, rev, minutes, date, nproc, kernel, big, jobs, seed = sys.argv[2:11]
seeds = ", ".join(map(str, r["seeds"]))
lines = [
    "## Crash loop",
    "",
    f"`sudo{' CRASH_JOBS=' + jobs if jobs != '1' else ''} bash bench/crash-loop.sh {r['kills']} {seed}` ({date}, burrow {rev}, {nproc} cores, kernel {kernel}, "
    f"{minutes} min, the machine shared with other work): burrow SIGKILLed with its process group at a moment drawn "
    f"by the seeded PRNG over each command's span, as the unprivileged user; after each kill `system check`, the next "
    f"command of the same kind, `rm -f` of every container, then no process, store mount or cgroup of a removed "
    f"container left (bench/README.md). Image pulled and unpacked under the kills: `{big}`.",
    "",
    f"**{r['kills']} kills, {r['clean']} clean, {r['corrupt']} corrupt** (seed{'s' if len(r['seeds']) > 1 else ''} {seeds}"
    f"{', ' + jobs + ' loops side by side, each its own store' if jobs != '1' else ''}; "
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
        lines.append(f"- seed {f['seed']} step {f['step']} {f['kind']} after {f['delay']} ms ({f['phase']}): {f['why'][:400]}")
open(out, "w").write("\n".join(lines) + "\n\n")
PY
  write_section crash-loop "$section"
fi
exit "$status"
