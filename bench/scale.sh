#!/usr/bin/env bash
# Scale benchmark: 50 detached containers at once, burrow vs rootless podman.
# Run as root: sudo bash bench/scale.sh   (every measured command runs as BENCH_USER)
# Phases, for each tool in turn (burrow first, then podman; never both at once):
#   start N detached `/bin/busybox sleep 600` containers in parallel (timed, wall clock),
#   check `ps -q` shows N, time `ps` (hyperfine), sum the resident memory of the
#   supervision processes, `stop -t 1` all N (one command with N ids), `rm` all N (one
#   command), then check nothing is left.
# Needs the busybox image cached by bench/pull.sh, hyperfine, docker-registry, skopeo, podman, runc.
# Env: BENCH_USER (burrowtest), BENCH_CACHE (/var/tmp/burrow-bench), BENCH_PORT (5200),
#      BENCH_N (50), BENCH_WARMUP (3), BENCH_RUNS (20), BENCH_NO_PODMAN (set: skip podman),
#      BENCH_KEEP (set: keep the work dir).
# Rewrites the section between <!-- scale:begin --> and <!-- scale:end --> of BENCHMARKS.md;
# raw results go to $BENCH_CACHE/scale-results/.
set -euo pipefail
LOG_TAG=scale
. "$(dirname "$0")/lib.sh"

N="${BENCH_N:-50}"
WARMUP="${BENCH_WARMUP:-3}"
RUNS="${BENCH_RUNS:-20}"

require_root scale.sh
for c in hyperfine docker-registry skopeo podman runc bwrap python3 newuidmap; do
  command -v "$c" >/dev/null || die "$c is missing (bench/run.sh installs the prerequisites)"
done
id "$BUSER" >/dev/null 2>&1 || die "user $BUSER does not exist"
user_info
require_build burrow-monitor
[ -f "$CACHE/oci-busybox/index.json" ] || die "$CACHE/oci-busybox is missing: run bench/pull.sh once"

# ---------------------------------------------------------------- work dirs, registry
make_workdirs scale bps
STORE="$WORK/store"; PSTORE="$WORK/podman"; OUT="$WORK/out"; RES="$WORK/res"
mkdir -p "$STORE" "$PSTORE/root" "$OUT" "$XDG" "$RES"
chmod 700 "$XDG"
chown "$BUSER": "$STORE" "$PSTORE" "$PSTORE/root" "$OUT" "$XDG" "$PRUN"
BURROW=(); PODMAN=()

# pids of the user's processes whose command line mentions one of our work dirs
our_pids() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(stat -c %u "$p" 2>/dev/null)" = "$BUID" ] || continue
    if tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qF -e "$WORK" -e "$PRUN"; then echo "${p#/proc/}"; fi
  done
}
# run by lib.sh's cleanup, before it ends podman's pause process and the registry
cleanup_extra() {
  # containers left by a failed run: remove them through the tools, then end our stragglers by pid
  if [ ${#BURROW[@]} -gt 0 ]; then
    ids="$(asuser timeout 60 "${BURROW[@]}" ps -a -q 2>/dev/null)"
    [ -n "$ids" ] && { log "cleanup: burrow rm -f of $(wc -w <<< "$ids") containers"; asuser timeout 120 "${BURROW[@]}" rm -f $ids >/dev/null 2>&1; }
  fi
  if [ ${#PODMAN[@]} -gt 0 ]; then
    ids="$(asuser timeout 60 "${PODMAN[@]}" ps -a -q 2>/dev/null)"
    [ -n "$ids" ] && { log "cleanup: podman rm -f of $(wc -w <<< "$ids") containers"; asuser timeout 120 "${PODMAN[@]}" rm -f -t 0 $ids >/dev/null 2>&1; }
  fi
  left="$(our_pids)"
  if [ -n "$left" ]; then
    log "cleanup: ending leftover processes $(echo $left)"; kill $left 2>/dev/null; sleep 1; kill -9 $(our_pids) 2>/dev/null
  fi
}
trap cleanup EXIT INT TERM

start_registry
push_images busybox
BB="$REG/bench/busybox:latest"
write_configs

# burrow runs from a snapshot of build/ (see lib.sh): others may rebuild it meanwhile.
snapshot_burrow burrow-monitor
BURROW=(node "$BDIR/bin/burrow.js")
PODMAN=(podman --root "$PSTORE/root" --runroot "$PRUN" --events-backend none --cgroup-manager cgroupfs
        --storage-driver overlay)
PODMAN_RUN=(--network none --runtime runc)

# ---------------------------------------------------------------- helpers run as the user
# par.sh N OUTDIR CMD...: CMD N times at once; OUTDIR/i.{out,err,rc,ms}; prints the wall time in ms
cat > "$WORK/par.sh" <<'EOF'
#!/bin/bash
n=$1; out=$2; shift 2
t0=$(date +%s%N)
for i in $(seq 1 "$n"); do
  ( s=$(date +%s%N); timeout 300 "$@" >"$out/$i.out" 2>"$out/$i.err"; echo $? >"$out/$i.rc"
    echo $(( ($(date +%s%N) - s) / 1000000 )) >"$out/$i.ms" ) &
done
wait
echo $(( ($(date +%s%N) - t0) / 1000000 ))
EOF
# one.sh OUTBASE CMD...: CMD once; OUTBASE.{out,err}; prints "rc ms"
cat > "$WORK/one.sh" <<'EOF'
#!/bin/bash
o=$1; shift
t0=$(date +%s%N)
timeout 600 "$@" >"$o.out" 2>"$o.err"; rc=$?
echo "$rc $(( ($(date +%s%N) - t0) / 1000000 ))"
EOF
chmod 755 "$WORK/par.sh" "$WORK/one.sh"

ERRS="$WORK/errors.md"; : > "$ERRS"

# memory TOOL: sums VmRSS (and Pss) of the supervision processes; writes $RES/TOOL-mem.json
memory() {
  python3 - "$1" "$BUID" "$STORE" "$PRUN" "$PSTORE" "$XDG/libpod/tmp/pause.pid" > "$RES/$1-mem.json" <<'PY'
import json, os, sys
tool, uid, store, prun, pstore, pausef = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
def rd(p, f):
    try: return open(f"/proc/{p}/{f}", "rb").read()
    except OSError: return b""
def status(p):
    d = {}
    for l in rd(p, "status").decode(errors="replace").splitlines():
        k, _, v = l.partition(":"); d[k] = v.strip()
    return d
def kb(d, k): return int(d.get(k, "0 kB").split()[0] or 0)
def pss(p):
    for l in rd(p, "smaps_rollup").decode(errors="replace").splitlines():
        if l.startswith("Pss:"): return int(l.split()[1])
    return 0
procs = {}
for e in os.listdir("/proc"):
    if not e.isdigit(): continue
    st = status(e)
    if not st or int(st.get("Uid", "-1 0").split()[0]) != uid: continue
    procs[int(e)] = dict(pid=int(e), ppid=int(st.get("PPid", 0)), comm=st.get("Name", "?"),
                         cmd=rd(e, "cmdline").replace(b"\0", b" ").decode(errors="replace"),
                         rss=kb(st, "VmRSS"), pss=pss(e))
    try: procs[int(e)]["ns"] = os.readlink(f"/proc/{e}/ns/pid")
    except OSError: procs[int(e)]["ns"] = "?"
hostns = os.readlink("/proc/self/ns/pid")
kids = {}
for p in procs.values(): kids.setdefault(p["ppid"], []).append(p["pid"])
def desc(pid):
    out, todo = [], list(kids.get(pid, []))
    while todo:
        c = todo.pop(); out.append(c); todo += kids.get(c, [])
    return out
sup, cont = {}, {}   # comm -> [count, rss, pss]
def add(tab, p):
    t = tab.setdefault(p["comm"], [0, 0, 0]); t[0] += 1; t[1] += p["rss"]; t[2] += p["pss"]
tops, shared = [], None
if tool == "burrow":
    tops = [p for p in procs.values() if p["comm"] == "burrow-monitor" and store in p["cmd"]]
    # fuse-overlayfs, if the driver is used, daemonizes: count it as supervision too
    extra = [p for p in procs.values() if p["comm"] == "fuse-overlayfs" and store in p["cmd"]]
else:
    tops = [p for p in procs.values() if p["comm"] == "conmon" and (prun in p["cmd"] or pstore in p["cmd"])]
    extra = []
    try:
        pp = int(open(pausef).read().strip())
        if pp in procs: shared = dict(comm=procs[pp]["comm"], rss=procs[pp]["rss"], pss=procs[pp]["pss"])
    except (OSError, ValueError): pass
example = []
for t in tops:
    add(sup, t)
    for c in desc(t["pid"]):
        p = procs[c]
        # outside the container = still in the host's pid namespace (e.g. bwrap's outer process)
        add(sup if p["ns"] == hostns else cont, p)
    if not example:
        example = [f"{t['pid']} {t['comm']} (host pid ns)"] + [
            f"{procs[c]['pid']} <- {procs[c]['ppid']} {procs[c]['comm']} ({'host' if procs[c]['ns'] == hostns else 'container'} pid ns): {procs[c]['cmd'][:60]}" for c in sorted(desc(t['pid']))]
for p in extra: add(sup, p)
tot = [sum(v[i] for v in sup.values()) for i in range(3)]
json.dump(dict(tops=len(tops), supervision=sup, container=cont, total_rss_kb=tot[1], total_pss_kb=tot[2],
               shared=shared, example=example), sys.stdout, indent=1)
PY
}

# ---------------------------------------------------------------- one tool's whole cycle
# cycle TOOL: writes $RES/TOOL.env (key=value lines) and JSON files
cycle() {
  local tool="$1" cmd=() runargs=() o="$OUT/$1" r="$RES/$1.env"
  if [ "$tool" = burrow ]; then cmd=("${BURROW[@]}"); runargs=(run -d --network none "$BB" /bin/busybox sleep 600)
  else cmd=("${PODMAN[@]}"); runargs=(run -d "${PODMAN_RUN[@]}" "$BB" /bin/busybox sleep 600); fi
  mkdir -p "$o/start"; chown -R "$BUSER": "$o"; : > "$r"
  local load0; load0="$(cut -d' ' -f1-3 /proc/loadavg)"

  # start N at once
  log "$tool: starting $N containers in parallel"
  local wall; wall="$(asuser "$WORK/par.sh" "$N" "$o/start" "${cmd[@]}" "${runargs[@]}")"
  local ok=0 fail=0 i ids=()
  for i in $(seq 1 "$N"); do
    if [ "$(cat "$o/start/$i.rc")" = 0 ]; then ok=$((ok + 1)); ids+=("$(tail -n1 "$o/start/$i.out")")
    else fail=$((fail + 1)); note_error "$tool run -d #$i failed (exit $(cat "$o/start/$i.rc"))" "$tool ${runargs[*]}" "$o/start/$i.err"; fi
  done
  local lat; lat="$(cat "$o"/start/*.ms | sort -n | awk '{a[NR]=$1} END{printf "%d %d %d", a[1], (NR%2?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2), a[NR]}')"
  log "$tool: start wall ${wall} ms, ok $ok, failed $fail; single run -d min/median/max ms: $lat"
  echo "start_wall_ms=$wall" >> "$r"; echo "start_ok=$ok" >> "$r"; echo "start_fail=$fail" >> "$r"
  echo "start_lat='$lat'" >> "$r"
  local pscount; pscount="$(asuser "${cmd[@]}" ps -q 2>"$o/ps.err" | wc -l)" || true
  log "$tool: ps -q | wc -l -> $pscount"
  echo "ps_count=$pscount" >> "$r"
  [ "$pscount" = "$N" ] || note_error "$tool ps -q shows $pscount containers, not $N" "$tool ps -q | wc -l" "$o/ps.err"

  # ps timing
  log "$tool: hyperfine ps"
  chown "$BUSER": "$RES"
  hf_json "$RES/$tool-ps.json" "$tool ps" "$(q "${cmd[@]}") ps" "$tool ps -a -q" "$(q "${cmd[@]}") ps -a -q" || \
     note_error "$tool: hyperfine ps failed" "hyperfine $tool ps" /dev/null

  # memory
  memory "$tool"
  log "$tool: supervision memory: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["tops"], "tops,", d["total_rss_kb"], "kB RSS,", d["total_pss_kb"], "kB PSS,", {k: v for k, v in d["supervision"].items()})' "$RES/$tool-mem.json")"

  # stop, rm: one command each with all ids
  local res
  if [ ${#ids[@]} -gt 0 ]; then
    log "$tool: stop -t 1 of ${#ids[@]} containers (one command)"
    res="$(asuser "$WORK/one.sh" "$o/stop" "${cmd[@]}" stop -t 1 "${ids[@]}")"
    echo "stop_rc=${res% *}" >> "$r"; echo "stop_ms=${res#* }" >> "$r"
    [ "${res% *}" = 0 ] || note_error "$tool stop -t 1 (${#ids[@]} ids) exited ${res% *}" "$tool stop -t 1 ID…" "$o/stop.err"
    log "$tool: stop rc/ms: $res"
    log "$tool: rm of ${#ids[@]} containers (one command)"
    res="$(asuser "$WORK/one.sh" "$o/rm" "${cmd[@]}" rm "${ids[@]}")"
    echo "rm_rc=${res% *}" >> "$r"; echo "rm_ms=${res#* }" >> "$r"
    [ "${res% *}" = 0 ] || note_error "$tool rm (${#ids[@]} ids) exited ${res% *}" "$tool rm ID…" "$o/rm.err"
    log "$tool: rm rc/ms: $res"
  fi
  local left; left="$(asuser "${cmd[@]}" ps -a -q 2>&1 | wc -l)" || true
  echo "after_ps_a=$left" >> "$r"
  [ "$left" = 0 ] || { asuser "${cmd[@]}" ps -a > "$o/left.txt" 2>&1; note_error "$tool ps -a -q after rm lists $left containers" "$tool ps -a" "$o/left.txt"; }
  # leftover supervision processes (ours only: other users of $BUSER run tests on this machine)
  local pat procs
  if [ "$tool" = burrow ]; then pat='^(burrow-monitor|bwrap|fuse-overlayfs)$'; else pat='^(conmon|runc)$'; fi
  leftover() {
    local p c out=""
    for p in $(our_pids); do
      c="$(cat "/proc/$p/comm" 2>/dev/null)" || continue
      [[ "$c" =~ $pat ]] && out+="$p:$c "
    done
    echo "${out% }"
  }
  # right after rm, then again after up to 10 s (exits may still be under way)
  procs="$(leftover)"; echo "after_procs_now='$procs'" >> "$r"
  local waited=0
  while [ -n "$procs" ] && [ "$waited" -lt 20 ]; do sleep 0.5; waited=$((waited + 1)); procs="$(leftover)"; done
  echo "after_procs='$procs'" >> "$r"; echo "after_procs_wait_ms=$((waited * 500))" >> "$r"
  [ -z "$procs" ] || { ps -o pid,ppid,etime,rss,args -p "$(echo $procs | sed 's/:[^ ]*//g; s/ /,/g')" > "$o/procs.txt" 2>&1
                       note_error "$tool: supervision processes left 10 s after rm" "ps -o pid,ppid,etime,rss,args -p …" "$o/procs.txt"; }
  echo "load='$load0 -> $(cut -d' ' -f1-3 /proc/loadavg)'" >> "$r"
  log "$tool: after rm: ps -a -q lines $left, leftover processes: ${procs:-none}"
}

# ---------------------------------------------------------------- pull + untimed first run
log "burrow pull + first (untimed) run"
asuser "${BURROW[@]}" pull -q "$BB" >&2
asuser "${BURROW[@]}" run --rm --network none "$BB" /bin/busybox true > "$OUT/first.log" 2>&1 || \
  { note_error "burrow first run failed" "burrow run --rm $BB /bin/busybox true" "$OUT/first.log"; log "burrow first run failed: $(cat "$OUT/first.log")"; }
cycle burrow

PODMAN_FAIL=""
if [ -z "${BENCH_NO_PODMAN:-}" ]; then
  log "podman pull + first (untimed) run"
  if asuser "${PODMAN[@]}" pull -q --tls-verify=false "$BB" > "$OUT/podman-first.log" 2>&1 &&
     asuser "${PODMAN[@]}" run --rm "${PODMAN_RUN[@]}" "$BB" /bin/busybox true >> "$OUT/podman-first.log" 2>&1; then
    cycle podman
  else
    PODMAN_FAIL="$(grep -v 'is not a shared mount' "$OUT/podman-first.log" | tail -c 1500)"
    log "podman failed: $PODMAN_FAIL"
  fi
else
  PODMAN_FAIL="skipped (BENCH_NO_PODMAN set)"
fi

mkdir -p "$CACHE/scale-results"
cp "$RES"/* "$CACHE/scale-results/" 2>/dev/null || true

# ---------------------------------------------------------------- report
export_machine_info
export B_BURROW="$("${BURROW[@]}" --version 2>&1 | head -1) (git $SNAP_GIT; build/ of $SNAP_BUILT, snapshot copied at start), node $(node --version)"
export B_PODMAN="$(podman --version | awk '{print $3}')" B_RUNC="$(runc --version | awk 'NR==1{print $3}')"
export B_BWRAP="$(bwrap --version | awk '{print $2}')" B_HF="$(hyperfine --version | awk '{print $2}')"
export B_N="$N" B_WARMUP="$WARMUP" B_RUNS="$RUNS" B_PODMAN_FAIL="$PODMAN_FAIL"
export B_OTHER="$(other_procs '^(node|vitest|docker-registry|podman|burrow|conmon|hyperfine)')"
python3 - "$RES" "$ERRS" "$WORK/section.md" <<'PY'
import json, os, shlex, sys
res, errs, out = sys.argv[1:4]
E = os.environ; N = int(E["B_N"])
def env(tool):
    p = os.path.join(res, tool + ".env")
    if not os.path.exists(p): return None
    d = {}
    for l in open(p):
        k, _, v = l.rstrip("\n").partition("=")
        d[k] = shlex.split(v)[0] if v.startswith("'") else v
    return d
def js(name):
    p = os.path.join(res, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
T = {t: env(t) for t in ("burrow", "podman")}
PS = {t: {r["command"]: r for r in (js(t + "-ps") or {"results": []})["results"]} for t in T}
M = {t: js(t + "-mem") for t in T}
L = []; w = L.append
w("## Scale: 50 detached containers")
w("")
w(f"Generated by `bench/scale.sh` on {E['B_DATE']}. Do not edit by hand between the markers.")
w("")
w(f"Machine: {E['B_NPROC']} cores ({E['B_CPU']}), {E['B_MEM']} RAM, Linux {E['B_KERNEL']}, Debian 12, cgroup v1 (hybrid); "
  f"stores on `{E['B_FS']}`. Versions: burrow {E['B_BURROW']}; podman {E['B_PODMAN']} (rootless, runc {E['B_RUNC']}, "
  f"`--cgroup-manager cgroupfs`, storage overlay, `--network none`); bwrap {E['B_BWRAP']}; hyperfine {E['B_HF']}.")
w("")
w(f"Every command runs as the unprivileged user `burrowtest` with a fresh store (`BURROW_ROOT`; podman: private `--root`/`--runroot` "
  f"and `XDG_RUNTIME_DIR`). Image: `bench/busybox:latest` from a local registry on 127.0.0.1:5200, pulled and run once (untimed) "
  f"before. Container command: `/bin/busybox sleep 600`. burrow's whole cycle runs first, then podman's; never both at once. "
  f"**Noise**: the machine is shared (other test suites run as the same user). Load average (1/5/15) during each cycle: "
  + "; ".join(f"{t} {T[t]['load']}" for t in T if T[t]) + f". Processes seen at the end: {E['B_OTHER'] or 'none'}.")
w("")
def cell(t, f):
    d = T[t]
    if not d: return "failed"
    try: return f(d)
    except (KeyError, ValueError, TypeError): return "n/a"
tools = [t for t in ("burrow", "podman")]
hdr = "| | " + " | ".join(tools) + " |"; sep = "| --- |" + " ---: |" * len(tools)
w(f"### Start {N} at once")
w("")
w(f"`burrow run -d --network none IMG /bin/busybox sleep 600` / `podman run -d --network none --runtime runc IMG /bin/busybox sleep 600`, "
  f"{N} started together (background jobs of one shell, then `wait`); wall clock from the first launch to the last exit.")
w("")
w(hdr); w(sep)
w("| wall time, all " + str(N) + " (ms) | " + " | ".join(cell(t, lambda d: d["start_wall_ms"]) for t in tools) + " |")
w("| per container (wall / N, ms) | " + " | ".join(cell(t, lambda d: f"{int(d['start_wall_ms'])/N:.0f}") for t in tools) + " |")
w("| one `run -d` under this load, min / median / max (ms) | " + " | ".join(cell(t, lambda d: " / ".join(d["start_lat"].split())) for t in tools) + " |")
w("| exit 0 / failed | " + " | ".join(cell(t, lambda d: f"{d['start_ok']} / {d['start_fail']}") for t in tools) + " |")
w("| `ps -q \\| wc -l` right after | " + " | ".join(cell(t, lambda d: d["ps_count"]) for t in tools) + " |")
w("")
w(f"### `ps` with {N} running containers")
w("")
w(f"hyperfine `-N --warmup {E['B_WARMUP']} --runs {E['B_RUNS']}`, median ± standard deviation, ms.")
w("")
w(hdr); w(sep)
for sub in ("ps", "ps -a -q"):
    w(f"| `{sub}` | " + " | ".join((lambda r: f"{r['median']*1000:.1f} ± {r['stddev']*1000:.1f}" if r else "n/a")(PS[t].get(f"{t} {sub}")) for t in tools) + " |")
w("")
w(f"### Resident memory of the supervision of {N} containers")
w("")
w("Summed from `/proc/PID/status` `VmRSS` (and `Pss` from `/proc/PID/smaps_rollup`, which divides shared pages among the processes "
  "sharing them) of the processes outside the containers that keep them running. **burrow**: every `burrow-monitor` of this store "
  "plus all its descendants still in the host's pid namespace — that is bwrap's outer process (the `unshare` and `sh` of the launcher "
  "have `exec`ed into it); the container's own job (`burrow-init`→`busybox sleep`, in the container's pid namespace) is not counted. "
  "**podman**: every `conmon` of this store (runc does not stay resident); the container's job is not counted; podman's single pause "
  "process (`catatonit`, one per user, shared by all containers) is listed separately.")
w("")
w(hdr); w(sep)
def memrow(d): return d
for t in tools:
    pass
comms = []
for t in tools:
    if M[t]:
        for c in M[t]["supervision"]:
            if c not in comms: comms.append(c)
for c in comms:
    w(f"| `{c}`: count, RSS MB (PSS MB) | " + " | ".join(
        (lambda v: f"{v[0]}, {v[1]/1024:.1f} ({v[2]/1024:.1f})" if v else "–")(M[t]["supervision"].get(c) if M[t] else None) for t in tools) + " |")
w("| **total RSS, MB** (PSS) | " + " | ".join(f"**{M[t]['total_rss_kb']/1024:.1f}** ({M[t]['total_pss_kb']/1024:.1f})" if M[t] else "n/a" for t in tools) + " |")
w("| per container, RSS MB (PSS) | " + " | ".join(f"{M[t]['total_rss_kb']/1024/max(M[t]['tops'],1):.2f} ({M[t]['total_pss_kb']/1024/max(M[t]['tops'],1):.2f})" if M[t] else "n/a" for t in tools) + " |")
w("| shared per-user process, RSS MB (not in the total) | " + " | ".join(
    (f"{M[t]['shared']['comm']} {M[t]['shared']['rss']/1024:.1f}" if M[t] and M[t]["shared"] else "none") for t in tools) + " |")
w("| container jobs, not counted: count, RSS MB | " + " | ".join(
    (", ".join(f"{c} {v[0]}, {v[1]/1024:.1f}" for c, v in M[t]["container"].items()) or "–") if M[t] else "n/a" for t in tools) + " |")
w("")
for t in tools:
    if M[t] and M[t]["example"]:
        w(f"One {t} container's supervision tree (pid <- parent, name, pid namespace, command):")
        w(""); w("```"); [w(x) for x in M[t]["example"]]; w("```"); w("")
w(f"### Stop and remove all {N}")
w("")
w(f"One command each with all {N} ids: `stop -t 1 ID…`, then `rm ID…`; wall clock, ms, single measurement. "
  "`busybox sleep` runs as the container's pid 1 and has no SIGTERM handler, so each container ends only at the SIGKILL after the 1 s timeout.")
w("")
w(hdr); w(sep)
w("| `stop -t 1` (ms), exit code | " + " | ".join(cell(t, lambda d: f"{d['stop_ms']}, {d['stop_rc']}") for t in tools) + " |")
w("| `stop`, per container (ms) | " + " | ".join(cell(t, lambda d: f"{int(d['stop_ms'])/N:.0f}") for t in tools) + " |")
w("| `rm` (ms), exit code | " + " | ".join(cell(t, lambda d: f"{d['rm_ms']}, {d['rm_rc']}") for t in tools) + " |")
w("| `ps -a -q` lines afterwards | " + " | ".join(cell(t, lambda d: d["after_ps_a"]) for t in tools) + " |")
w("| supervision processes left right after `rm` | " + " | ".join(cell(t, lambda d: (f"{len(d['after_procs_now'].split())}: {d['after_procs_now']}" if d["after_procs_now"] else "none")) for t in tools) + " |")
w("| … still there after waiting (up to 10 s) | " + " | ".join(cell(t, lambda d: (d["after_procs"] or f"none (gone after {d['after_procs_wait_ms']} ms)")) for t in tools) + " |")
w("")
for t in tools:
    d = T[t]
    if d and d.get("stop_ms") and int(d["stop_ms"]) >= 0.9 * N * 1000:
        w(f"{t}'s `stop -t 1` of {N} ids took {int(d['stop_ms'])/1000:.1f} s, about 1 s per id: it stops the containers one after another, "
          f"paying the 1 s timeout {N} times (a parallel stop would take about 1 s in all).")
        w("")
w("### Goals (from the issue)")
w("")
b = T["burrow"]
e = open(errs).read().strip()
if b:
    nofail = (b.get("start_fail") == "0" and b.get("ps_count") == str(N) and b.get("stop_rc") == "0" and b.get("rm_rc") == "0"
              and b.get("after_ps_a") == "0" and not b.get("after_procs") and "#### burrow" not in e)
    w(f"- *no failures*: **{'MET' if nofail else 'NOT MET'}** — {b.get('start_ok')}/{N} `run -d` exited 0, `ps -q` showed {b.get('ps_count')}, "
      f"`stop` exit {b.get('stop_rc')}, `rm` exit {b.get('rm_rc')}, `ps -a -q` afterwards {b.get('after_ps_a')} lines, leftover processes: {b.get('after_procs') or 'none'}.")
    m = M["burrow"]
    if m:
        mb = m["total_rss_kb"] / 1024
        w(f"- *resident memory of all supervision for {N} containers under 300 MB*: **{'MET' if mb < 300 and m['tops'] == N else 'NOT MET'}** — "
          f"{mb:.1f} MB RSS summed over {m['tops']} containers ({mb/max(m['tops'],1):.2f} MB each; PSS {m['total_pss_kb']/1024:.1f} MB).")
    r = PS["burrow"].get("burrow ps")
    if r:
        w(f"- *ps with {N} containers under 150 ms*: **{'MET' if r['median']*1000 < 150 and b.get('ps_count') == str(N) else 'NOT MET'}** — median {r['median']*1000:.1f} ms.")
else:
    w("- all goals: **NOT MEASURABLE** — burrow's cycle did not run.")
w("")
if E.get("B_PODMAN_FAIL"):
    w("### podman failure"); w(""); w("```"); w(E["B_PODMAN_FAIL"].strip()); w("```"); w("")
if e:
    w("### Failures"); w(""); w(e); w("")
w("Raw results (hyperfine JSON, memory JSON, env files): `/var/tmp/burrow-bench/scale-results/`.")
open(out, "w").write("\n".join(L) + "\n")
PY

write_section scale "$WORK/section.md"
