#!/usr/bin/env bash
# Container start-up and root-file-system I/O benchmark: burrow (kernel overlay
# and fuse-overlayfs) vs rootless podman vs plain bwrap vs `unshare -Ur`, and the
# host directory for I/O. Run as root: sudo bash bench/run.sh
# Every measured command runs as the unprivileged user (default burrowtest).
# Needs the images cached by bench/pull.sh (run that once first) and hyperfine.
# Env: BENCH_USER (default burrowtest), BENCH_CACHE (default /var/tmp/burrow-bench), BENCH_LIMITS=0 (skip bench/limits.sh at the end),
#      BENCH_PORT (default 5200), BENCH_WARMUP (3), BENCH_RUNS (30),
#      BENCH_IO_RUNS (9), BENCH_SMALL_FILES (2000), BENCH_DD_MB (200).
# Writes the section between <!-- run:begin --> and <!-- run:end --> of
# BENCHMARKS.md at the repo root; raw hyperfine JSON and I/O results are kept
# in $BENCH_CACHE/run-results/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

WARMUP="${BENCH_WARMUP:-3}"
RUNS="${BENCH_RUNS:-30}"
IO_RUNS="${BENCH_IO_RUNS:-9}"
NFILES="${BENCH_SMALL_FILES:-2000}"
DD_MB="${BENCH_DD_MB:-200}"

require_root run.sh

# ---------------------------------------------------------------- prerequisites
need_pkgs=()
command -v hyperfine >/dev/null || need_pkgs+=(hyperfine)
for c in docker-registry skopeo podman bwrap fuse-overlayfs newuidmap python3 runc; do
  command -v "$c" >/dev/null || case $c in
    bwrap) need_pkgs+=(bubblewrap) ;;
    newuidmap) need_pkgs+=(uidmap) ;;
    *) need_pkgs+=("$c") ;;
  esac
done
apt_install ${need_pkgs[@]+"${need_pkgs[@]}"}
id "$BUSER" >/dev/null 2>&1 || die "user $BUSER does not exist (bench/pull.sh creates it)"
[ -e /dev/fuse ] && chmod 666 /dev/fuse || true
user_info
require_build burrow-init
for img in busybox debian; do
  [ -f "$CACHE/oci-$img/index.json" ] || die "$CACHE/oci-$img is missing: run bench/pull.sh once (it builds the cached images)"
done
# The id maps burrow uses (its idmap.ts): container 0 = the user, 1..N = the subordinate range.
read -r SUBUID_START SUBUID_COUNT < <(awk -F: -v u="$BUSER" -v i="$BUID" '$1==u||$1==i{print $2, $3; exit}' /etc/subuid)
read -r SUBGID_START SUBGID_COUNT < <(awk -F: -v u="$BUSER" -v i="$BUID" '$1==u||$1==i{print $2, $3; exit}' /etc/subgid)
[ -n "${SUBUID_START:-}" ] && [ -n "${SUBGID_START:-}" ] || die "$BUSER has no range in /etc/subuid or /etc/subgid"
UNSHARE=(unshare --user --mount --map-user=0 --map-group=0
  "--map-users=$SUBUID_START,1,$SUBUID_COUNT" "--map-groups=$SUBGID_START,1,$SUBGID_COUNT")

# ---------------------------------------------------------------- work dirs, registry
make_workdirs run bpr
trap cleanup EXIT INT TERM
start_registry
push_images busybox debian

STORE="$WORK/store"; PSTORE="$WORK/podman"; OUT="$WORK/out"
mkdir -p "$STORE" "$PSTORE" "$OUT" "$XDG" "$WORK/shim" "$WORK/hostio"
chmod 700 "$XDG"
write_configs
chown "$BUSER": "$STORE" "$PSTORE" "$OUT" "$XDG" "$WORK/hostio" "$PRUN"

# burrow runs from a snapshot of build/ (see lib.sh): others may rebuild it meanwhile.
snapshot_burrow burrow-init
ERRS="$WORK/errors.md"; : > "$ERRS"

# ---------------------------------------------------------------- pulls, unpack, probes
for img in busybox debian; do
  log "burrow pull bench/$img"
  asuser "${BURROW[@]}" pull -q "$REG/bench/$img:latest" >&2
done
BB="$REG/bench/busybox:latest"; DEB="$REG/bench/debian:latest"
# The busybox image holds only /bin/busybox and /bin/sh: `true` is `/bin/busybox true` there.
declare -A TRUE=([busybox]="/bin/busybox true" [debian]="true")
declare -A REF=([busybox]="$BB" [debian]="$DEB")

# diff_ids, lowest first = burrow's layer directory names
layer_dirs() {
  python3 - "$CACHE/oci-$1" "$STORE/layers" <<'PY'
import json, os, sys
d, layers = sys.argv[1], sys.argv[2]
idx = json.load(open(os.path.join(d, "index.json")))
blob = lambda dg: json.load(open(os.path.join(d, "blobs", "sha256", dg.split(":")[1])))
m = blob(idx["manifests"][0]["digest"])
c = blob(m["config"]["digest"])
print(" ".join(os.path.join(layers, x.split(":")[1]) for x in c["rootfs"]["diff_ids"]))
PY
}

# Untimed first runs: unpacks layers, fills caches; also checks each driver works.
declare -A BURROW_OK
for img in busybox debian; do
  for drv in overlay fuse-overlayfs; do
    log "first (untimed) burrow run: $img, $drv"
    # shellcheck disable=SC2086
    if asuser "${BURROW[@]}" run --rm --network none --storage-driver "$drv" "${REF[$img]}" ${TRUE[$img]} > "$OUT/first.log" 2>&1; then
      BURROW_OK[$img-$drv]=1
    else
      log "burrow run failed ($img, $drv): $(tail -c 400 "$OUT/first.log")"
      note_error "burrow run, $img, --storage-driver $drv" "burrow run --rm --storage-driver $drv ${REF[$img]} ${TRUE[$img]}" "$OUT/first.log"
      BURROW_OK[$img-$drv]=0
    fi
  done
done
read -r -a BB_LAYERS <<< "$(layer_dirs busybox)"
read -r -a DEB_LAYERS <<< "$(layer_dirs debian)"
for l in "${BB_LAYERS[@]}" "${DEB_LAYERS[@]}"; do [ -d "$l" ] || die "layer directory $l missing after the first run"; done

# Rootfs for plain bwrap. busybox: its only layer, bound as is. debian (2 layers):
# one merged copy, made once with cp -a as root of the same user namespace (the
# layers hold files owned by subordinate ids), lowest layer first.
declare -A ROOTFS=([busybox]="${BB_LAYERS[0]}")
if [ "${#DEB_LAYERS[@]}" = 1 ]; then
  ROOTFS[debian]="${DEB_LAYERS[0]}"; DEB_ROOTFS_HOW="its single layer directory, bound as is"
else
  ROOTFS[debian]="$WORK/debian-rootfs"
  mkdir -p "${ROOTFS[debian]}"; chown "$BUSER": "${ROOTFS[debian]}"
  cp_script='d="$1"; shift; for l in "$@"; do cp -a "$l/." "$d/" || exit 1; done'
  asuser "${UNSHARE[@]}" -- /bin/sh -c "$cp_script" sh "${ROOTFS[debian]}" "${DEB_LAYERS[@]}"
  DEB_ROOTFS_HOW="a merged copy of its ${#DEB_LAYERS[@]} layers made once with \`cp -a\` (lowest first) inside \`unshare\` with burrow's id maps"
fi

# podman: own --root/--runroot, overlay natively, else fuse-overlayfs; crun, else runc
# (crun refuses hybrid cgroup hierarchies: "cgroups in hybrid mode not supported").
PODMAN_BASE=(podman --root "$PSTORE/root" --runroot "$PRUN" --events-backend none --cgroup-manager cgroupfs)
PODMAN=(); PODMAN_RUN_OPTS=(); PODMAN_DESC=""; PODMAN_FAIL=""
for drv in "overlay" "overlay:overlay.mount_program=/usr/bin/fuse-overlayfs"; do
  for rt in default runc; do
    stop_pause; rm -rf "$PSTORE/root"; mkdir -p "$PSTORE/root"; chown "$BUSER": "$PSTORE/root"
    cand=("${PODMAN_BASE[@]}" --storage-driver "${drv%%:*}")
    if [ "$drv" != "${drv#*:}" ]; then cand+=(--storage-opt "${drv#*:}"); fi
    ropts=(--network none); if [ "$rt" = runc ]; then ropts+=(--runtime runc); fi
    if asuser "${cand[@]}" pull -q --tls-verify=false "$BB" > "$OUT/podman.log" 2>&1 &&
       asuser "${cand[@]}" run --rm "${ropts[@]}" "$BB" /bin/busybox true >> "$OUT/podman.log" 2>&1; then
      PODMAN=("${cand[@]}"); PODMAN_RUN_OPTS=("${ropts[@]}")
      PODMAN_DESC="storage $drv, runtime $rt"; PODMAN_FAIL=""
      break 2
    fi
    PODMAN_FAIL+="[$drv / $rt] $(grep -v 'is not a shared mount' "$OUT/podman.log" | tail -c 500)"$'\n'
    log "podman failed with $drv / $rt: $(tail -c 300 "$OUT/podman.log")"
  done
done
if [ ${#PODMAN[@]} -gt 0 ]; then
  log "podman: $PODMAN_DESC"
  asuser "${PODMAN[@]}" pull -q --tls-verify=false "$DEB" >/dev/null
  asuser "${PODMAN[@]}" run --rm "${PODMAN_RUN_OPTS[@]}" "$DEB" true
else
  log "podman does not work here; it is left out"
fi

# ---------------------------------------------------------------- hyperfine helper
JSON="$WORK/json"; mkdir -p "$JSON"; chown "$BUSER": "$JSON"
# hf NAME  then pairs "label" "command line" ... ; results in $JSON/NAME.json
hf() { log "hyperfine: $1"; hf_json "$JSON/$1.json" "${@:2}"; }

# ---------------------------------------------------------------- 1. warm start
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
for img in busybox debian; do
  set -- 
  for drv in overlay fuse-overlayfs; do
    if [ "${BURROW_OK[$img-$drv]}" = 1 ]; then
      set -- "$@" "burrow $drv" "$(q "${BURROW[@]}") run --rm --network none --storage-driver $drv ${REF[$img]} ${TRUE[$img]}"
    fi
  done
  if [ ${#PODMAN[@]} -gt 0 ]; then
    set -- "$@" "podman" "$(q "${PODMAN[@]}") run --rm $(q "${PODMAN_RUN_OPTS[@]}") ${REF[$img]} ${TRUE[$img]}"
  fi
  bw="bwrap --unshare-all --bind ${ROOTFS[$img]} / --proc /proc --dev /dev -- ${TRUE[$img]/#true//bin/true}"
  if asuser $bw > "$OUT/bwrap.log" 2>&1; then set -- "$@" "bwrap" "$bw"
  else note_error "plain bwrap, $img" "$bw" "$OUT/bwrap.log"; fi
  set -- "$@" "unshare -Ur" "unshare -Ur /bin/true"
  # Let the writes of the preparation (image copies, first runs) reach the disk first:
  # starts that create and remove directories would otherwise queue behind them.
  sync; sleep 3
  hf "start-$img" "$@"
done

# ---------------------------------------------------------------- 2. where burrow's start goes
# Capture the exact bwrap argv burrow uses (a shim first on PATH), in a kept container.
cat > "$WORK/shim/bwrap" <<EOF
#!/bin/sh
for a in "\$@"; do printf '%s\0' "\$a"; done > "$OUT/bwrap-argv"
exec /usr/bin/bwrap "\$@"
EOF
chmod 755 "$WORK/shim/bwrap"
runuser -u "$BUSER" -- env -i HOME="$BHOME" PATH="$WORK/shim:/usr/local/bin:/usr/bin:/bin" \
  BURROW_ROOT="$STORE" BURROW_CONFIG="$WORK/burrow-config.json" \
  "${BURROW[@]}" run --name bench-capture --storage-driver overlay "$BB" /bin/busybox true
mapfile -d '' BWARGS < "$OUT/bwrap-argv"
CMERGED=""
for i in "${!BWARGS[@]}"; do
  if [ "${BWARGS[$i]}" = --bind ] && [ "${BWARGS[$((i+2))]}" = / ]; then CMERGED="${BWARGS[$((i+1))]}"; break; fi
done
[ -n "$CMERGED" ] || die "could not find the root bind in burrow's bwrap arguments"
CDIR="$(dirname "$CMERGED")"
LOWER="$(basename "${BB_LAYERS[0]}")"
MOUNT_LINE="cd $(q "$STORE/layers") && mount -n -t overlay overlay -o $(q "lowerdir=$LOWER,upperdir=$CDIR/upper,workdir=$CDIR/work,userxattr") $(q "$CMERGED")"
printf '%s\n' "$MOUNT_LINE" > "$WORK/step-mount.sh"
# What the launch reads and writes on descriptors (src/sandbox/handoff.ts, container/launcher.ts): the network's
# `go` for burrow-init on 6 (-N), bwrap's info on 7 (--info-fd), the job's environment on 8, the seccomp filter on 9.
{ printf '%s || exit 125\n' "$MOUNT_LINE"; printf 'exec 6<<BURROW_GO\ngo\nBURROW_GO\nexec 7>/dev/null 8<%s 9<%s\nexec bwrap %s\n' "$(q "$CDIR/env")" "$(q "$CDIR/seccomp.bpf")" "$(q "${BWARGS[@]}")"; } > "$WORK/step-bwrap.sh"
chmod 644 "$WORK/step-mount.sh" "$WORK/step-bwrap.sh"
for s in step-mount step-bwrap; do
  asuser "${UNSHARE[@]}" -- /bin/sh "$WORK/$s.sh" || die "$s.sh failed: $(cat "$WORK/$s.sh")"
done
U="${UNSHARE[*]}"
sync; sleep 3
hf breakdown \
  "node -e 0" "node -e 0" \
  "burrow --version" "$(q "${BURROW[@]}") --version" \
  "unshare + id maps" "$U /bin/true" \
  "unshare + id maps + overlay mount" "$U /bin/sh $WORK/step-mount.sh" \
  "unshare + id maps + overlay mount + bwrap" "$U /bin/sh $WORK/step-bwrap.sh" \
  "burrow run --rm (overlay)" "$(q "${BURROW[@]}") run --rm --network none --storage-driver overlay $BB /bin/busybox true" \
  "burrow run, no --rm (overlay)" "$(q "${BURROW[@]}") run --storage-driver overlay $BB /bin/busybox true"
# the kept containers of the last command (root may remove them directly)
for d in "$STORE"/containers/*; do [ "$d" = "$CDIR" ] || rm -rf "$d"; done
# The same start as burrow itself sees it: BURROW_TRACE=1 marks each phase (ms since the process began).
TRACE="$OUT/trace.txt"; : > "$TRACE"
for i in $(seq 1 "$RUNS"); do
  asuser env BURROW_TRACE=1 "${BURROW[@]}" run --rm --network none --storage-driver overlay "$BB" /bin/busybox true 2>> "$TRACE" > /dev/null || true
  echo "burrow-trace-end" >> "$TRACE"
done

# ---------------------------------------------------------------- 3. I/O in the root file system
# The same script everywhere (the debian image's dash + coreutils = the host's):
# a DD_MB sequential write with fsync, (untimed sync), then NFILES small files, into a directory
# of the container's root file system (the overlay upper dir, not a tmpfs).
IO_SCRIPT='d="$1"; n="$2"; mb="$3"; rm -rf "$d"; mkdir -p "$d" || exit 1
fs=$(stat -f -c %T "$d"); sync "$d" 2>/dev/null
t0=$(date +%s%N)
dd if=/dev/zero of="$d/big" bs=1M count="$mb" conv=fsync 2>/dev/null || exit 1
t1=$(date +%s%N)
sync; t1=$(date +%s%N)
i=0; while [ $i -lt "$n" ]; do i=$((i+1)); echo $i > "$d/f$i"; done
t2=$(date +%s%N)
echo "RESULT fs=$fs dd_us=$(( (t1-t0)/1000 )) small_us=$(( (t2-t1)/1000 ))"'
IO_RES="$WORK/io.tsv"; : > "$IO_RES"
io_targets=()
for drv in overlay fuse-overlayfs; do if [ "${BURROW_OK[debian-$drv]}" = 1 ]; then io_targets+=("burrow-$drv"); fi; done
if [ ${#PODMAN[@]} -gt 0 ]; then io_targets+=(podman); fi
io_targets+=(host)
io_once() { # TARGET ROUND
  local t="$1" r="$2" out="$OUT/io-$1-$2.log" rc=0
  sync
  case $t in
    # Kept, then removed: a --rm container's overlay is volatile (no syncs), which would flatter the fsync figure.
    burrow-*) asuser "${BURROW[@]}" run --name "bench-io-$t-$r" --storage-driver "${t#burrow-}" "$DEB" sh -c "$IO_SCRIPT" sh /bench-io "$NFILES" "$DD_MB" > "$out" 2>&1 || rc=$?
              asuser "${BURROW[@]}" rm "bench-io-$t-$r" > /dev/null 2>&1 || true ;;
    podman) asuser "${PODMAN[@]}" run --rm "${PODMAN_RUN_OPTS[@]}" "$DEB" sh -c "$IO_SCRIPT" sh /bench-io "$NFILES" "$DD_MB" > "$out" 2>&1 || rc=$? ;;
    host) (cd "$WORK/hostio" && asuser sh -c "$IO_SCRIPT" sh "$WORK/hostio/bench-io" "$NFILES" "$DD_MB") > "$out" 2>&1 || rc=$?
          rm -rf "$WORK/hostio/bench-io" ;;
  esac
  local line; line=$(grep '^RESULT ' "$out" | tail -1 || true)
  if [ $rc -ne 0 ] || [ -z "$line" ]; then
    log "I/O $t round $r FAILED (rc=$rc): $(tail -c 300 "$out")"
    note_error "I/O, $t, round $r (exit $rc)" "$t: sh -c IO_SCRIPT" "$out"
    printf '%s\t%s\tfail\t-\t-\t-\n' "$t" "$r" >> "$IO_RES"; return
  fi
  local fs dd small
  fs=$(sed -n 's/.* fs=\([^ ]*\).*/\1/p' <<< "$line")
  dd=$(sed -n 's/.* dd_us=\([0-9]*\).*/\1/p' <<< "$line")
  small=$(sed -n 's/.* small_us=\([0-9]*\).*/\1/p' <<< "$line")
  log "I/O $t round $r: fs=$fs dd=$((dd/1000)) ms, $NFILES files=$((small/1000)) ms"
  printf '%s\t%s\tok\t%s\t%s\t%s\n' "$t" "$r" "$fs" "$dd" "$small" >> "$IO_RES"
}
log "I/O: ${io_targets[*]}, $IO_RUNS rounds (one untimed round first)"
for t in "${io_targets[@]}"; do io_once "$t" 0; done
: > "$IO_RES"
for r in $(seq 1 "$IO_RUNS"); do
  n=${#io_targets[@]}
  for k in $(seq 0 $((n - 1))); do io_once "${io_targets[$(( (k + r - 1) % n ))]}" "$r"; done
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$CACHE/run-results"
cp "$JSON"/*.json "$IO_RES" "$TRACE" "$CACHE/run-results/"

# ---------------------------------------------------------------- report
BURROW_V="$("${BURROW[@]}" --version 2>&1 | head -1)"
BURROW_GIT="$SNAP_GIT; build/ of $SNAP_BUILT, snapshot copied at start"
export_machine_info
export B_BURROW="$BURROW_V (git $BURROW_GIT), node $(node --version)"
export B_PODMAN="$(podman --version | awk '{print $3}')" B_BWRAP="$(bwrap --version | awk '{print $2}')"
export B_FUSE="$(fuse-overlayfs --version 2>&1 | awk '/fuse-overlayfs/{print $3; exit}')" B_HF="$(hyperfine --version | awk '{print $2}')"
export B_PODMAN_DESC="$PODMAN_DESC" B_PODMAN_FAIL="$PODMAN_FAIL" B_LOAD="$LOAD_START -> $LOAD_END"
export B_TRACE="$TRACE" B_WARMUP="$WARMUP" B_RUNS="$RUNS" B_IO_RUNS="$IO_RUNS" B_NFILES="$NFILES" B_DD_MB="$DD_MB"
export B_DEB_ROOTFS_HOW="$DEB_ROOTFS_HOW" B_UNSHARE="${UNSHARE[*]}"
export B_OTHER="$(other_procs '^(node|vitest|docker-registry|podman|burrow)')"
python3 - "$JSON" "$IO_RES" "$ERRS" "$WORK/section.md" <<'PY'
import json, os, re, statistics, sys
jd, io, errs, out = sys.argv[1:5]
E = os.environ
def load(name):
    p = os.path.join(jd, name + ".json")
    if not os.path.exists(p): return {}
    return {r["command"]: r for r in json.load(open(p))["results"]}
ms = lambda r: r["median"] * 1000
L = []; w = L.append
w("## Container start and root-file-system I/O")
w("")
w(f"Generated by `bench/run.sh` on {E['B_DATE']}. Do not edit by hand between the markers.")
w("")
w(f"Machine: {E['B_NPROC']} cores ({E['B_CPU']}), {E['B_MEM']} RAM, Linux {E['B_KERNEL']}, Debian 12; "
  f"store, podman storage and host I/O directory all on `{E['B_FS']}`. "
  f"Versions: burrow {E['B_BURROW']}; podman {E['B_PODMAN']} ({E['B_PODMAN_DESC'] or 'failed'}); bwrap {E['B_BWRAP']}; "
  f"fuse-overlayfs {E['B_FUSE']}; hyperfine {E['B_HF']}.")
w("")
w(f"**Noise**: the machine is shared — other work (test suites as the same user, registries) ran alongside. "
  f"Load average (1/5/15 min) start -> end: {E['B_LOAD']}. Processes seen at the end: {E['B_OTHER'] or 'none'}. "
  "Treat differences under ~10–15% as noise; rerun `bench/run.sh` for a second opinion.")
w("")
w("Every measured command runs as the unprivileged user `burrowtest` (hyperfine itself runs as that user, "
  f"`-N`, no shell), with `--warmup {E['B_WARMUP']} --runs {E['B_RUNS']}`; all figures are **medians in ms**. "
  "Images come from a local `docker-registry` on 127.0.0.1:5200 (the images of `bench/pull.sh`), pulled and "
  "unpacked beforehand, with one untimed run of each variant first.")
w("")
w("### Warm start: `run --rm IMAGE true`")
w("")
w("- **burrow**: `burrow run --rm --network none --storage-driver overlay|fuse-overlayfs IMAGE true` (`--network none` as Podman's; bench/net.sh measures what the default network adds) (CLI → `unshare` with id maps → sh mounts the overlay → bwrap → init helper → command; `--rm` removes the container dir afterwards).")
w(f"- **podman**: rootless `podman --root R --runroot RR --events-backend none --cgroup-manager cgroupfs run --rm --network none IMAGE true` ({E['B_PODMAN_DESC']}). "
  "Its pause process (the user namespace) is kept between runs, as in normal rootless use.")
w(f"- **bwrap**: `bwrap --unshare-all --bind ROOTFS / --proc /proc --dev /dev -- true` directly, no overlay, no id maps (bwrap maps only the user). "
  f"ROOTFS for busybox: its single layer directory in `$BURROW_ROOT/layers/`; for debian: {E['B_DEB_ROOTFS_HOW']}.")
w("- **unshare -Ur** `/bin/true`: the floor (one user namespace, one exec).")
w("- `true` is `/bin/busybox true` in the busybox image (it has only `/bin/busybox` and `/bin/sh`), `/usr/bin/true` in debian.")
w("")
w("| image | burrow (overlay) | burrow (fuse-overlayfs) | podman | bwrap | unshare -Ur | podman / burrow(overlay) |")
w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
start = {}
for img in ("busybox", "debian"):
    r = load("start-" + img); start[img] = r
    g = lambda k: f"{ms(r[k]):.1f} ± {r[k]['stddev']*1000:.1f}" if k in r else "failed"
    b, p = r.get("burrow overlay"), r.get("podman")
    ratio = f"{ms(p)/ms(b):.2f}×" if b and p else "n/a"
    w(f"| {img} | {g('burrow overlay')} | {g('burrow fuse-overlayfs')} | {g('podman')} | {g('bwrap')} | {g('unshare -Ur')} | {ratio} |")
w("")
w("(± is hyperfine's standard deviation.) Ratios vs burrow (kernel overlay), above 1 means burrow is faster:")
w("")
for img in ("busybox", "debian"):
    r = start[img]; b = r.get("burrow overlay")
    if not b: continue
    parts = [f"{k} {ms(r[k])/ms(b):.2f}×" for k in ("burrow fuse-overlayfs", "podman", "bwrap", "unshare -Ur") if k in r]
    w(f"- {img}: " + ", ".join(parts))
w("")
w("### Where a burrow start goes (busybox, kernel overlay)")
w("")
bd = load("breakdown")
w(f"Each piece timed alone with hyperfine. The id maps are burrow's (`{E['B_UNSHARE']}`); the overlay mount uses the "
  "busybox layer and the upper/work/merged dirs of a kept container; the bwrap step replays the exact bwrap argv burrow "
  "passed (captured by a `bwrap` shim on PATH) and runs `/bin/busybox true` through burrow's init helper.")
w("")
w("| command | median ms |")
w("| --- | ---: |")
for k, r in bd.items():
    w(f"| {k} | {ms(r):.1f} ± {r['stddev']*1000:.1f} |")
w("")
need = ["node -e 0", "burrow --version", "unshare + id maps", "unshare + id maps + overlay mount",
        "unshare + id maps + overlay mount + bwrap", "burrow run --rm (overlay)", "burrow run, no --rm (overlay)"]
if all(k in bd for k in need):
    m = {k: ms(bd[k]) for k in need}
    cli, ids = m["burrow --version"], m["unshare + id maps"]
    mnt = m["unshare + id maps + overlay mount"] - ids
    bw = m["unshare + id maps + overlay mount + bwrap"] - m["unshare + id maps + overlay mount"]
    total = m["burrow run --rm (overlay)"]
    rm = total - m["burrow run, no --rm (overlay)"]
    rest = total - cli - m["unshare + id maps + overlay mount + bwrap"] - rm
    rows = [("CLI start (`burrow --version`; of which bare `node -e 0`: %.1f)" % m["node -e 0"], cli),
            ("launcher + id maps (`unshare` + newuidmap/newgidmap)", ids),
            ("mounts (kernel overlay)", mnt),
            ("bwrap + exec (namespaces, /proc, /dev, masks, init helper, command)", bw),
            ("`--rm` clean-up (run --rm minus run without --rm)", rm),
            ("rest: burrow's own work in `run` (module loading, image lookup, plan, container dir, spawn/wait)", rest)]
    w("| piece | ms | share of total |")
    w("| --- | ---: | ---: |")
    for name, v in rows:
        w(f"| {name} | {v:.1f} | {v/total*100:.0f}% |")
    w(f"| **total** (`burrow run --rm`) | **{total:.1f}** | 100% |")
    w("")
    w("Pieces are differences of medians, so they are approximate (a negative or tiny value is within noise).")
w("")
# BURROW_TRACE=1 runs: when each phase was reached, ms since the process began.
traces, cur = [], []
for line in open(os.environ["B_TRACE"]):
    mt = re.match(r"^burrow-trace\s+([\d.]+) ms {2}(.+)$", line.rstrip("\n"))
    if mt: cur.append((mt.group(2), float(mt.group(1))))
    elif line.startswith("burrow-trace-end"):
        if cur: traces.append(cur)
        cur = []
if traces:
    names = [n for n, _ in traces[0]]
    complete = [t for t in traces if [n for n, _ in t] == names]
    w(f"The same start from inside (`BURROW_TRACE=1 burrow run --rm` busybox, kernel overlay, {len(complete)} runs): "
      "when burrow reached each phase, in ms since the process began (Node's own start included), medians; "
      "the process then exits (a few ms of Node shutdown not shown).")
    w("")
    w("| phase reached | at ms | since previous, ms | what happened in between |")
    w("| --- | ---: | ---: | --- |")
    what = {"cli loaded": "Node starts, compiles the CLI bundle (code cache)", "commands loaded": "the `run` command's definitions",
            "create": "argument parsing, library code for run", "image found": "image record, manifest and config read from the store",
            "layers ready": "layer directories checked (all unpacked)", "container created": "id mapping, user, plan, container directory and record",
            "launcher": "state files", "sandbox up": "unshare + newuidmap/newgidmap, overlay mount, bwrap until it reports PID 1",
            "job exited": "bwrap's mounts and masks, pivot_root, burrow-init, the job, teardown",
            "removed": "the container directory removed (`--rm`)", "done": "exit status"}
    prev = 0.0
    for k, n in enumerate(names):
        at = statistics.median(t[k][1] for t in complete)
        gap = statistics.median(t[k][1] - (t[k - 1][1] if k else 0.0) for t in complete)
        w(f"| {n} | {at:.1f} | {gap:.1f} | {what.get(n, '')} |")
    w("")
w(f"### I/O in the container's root file system (debian image, {E['B_IO_RUNS']} rounds, medians)")
w("")
w(f"One script for every target, run by the debian image's `sh` (dash) with its coreutils (the host's are the same bookworm "
  f"builds), timed inside with `date +%s%N`: (a) `dd if=/dev/zero of=DIR/big bs=1M count={E['B_DD_MB']} conv=fsync`, then, after an untimed `sync`, "
  f"(b) {E['B_NFILES']} small files, `while [ $i -lt {E['B_NFILES']} ]; do i=$((i+1)); echo $i > DIR/f$i; done`. "
  "DIR is `/bench-io`, a new directory in the container's root file system (so the overlay upper dir; the file-system type "
  "seen from inside is in the table — not a tmpfs), or a directory under /var/tmp as burrowtest for the host. "
  "Targets are interleaved, the order rotating each round, after one untimed round; `sync` before each run.")
w("")
rows = [l.rstrip("\n").split("\t") for l in open(io) if l.strip()]
data, fs, fails = {}, {}, {}
for t, r, st, *rest in rows:
    if st == "ok":
        data.setdefault(t, []).append((int(rest[1]) / 1000, int(rest[2]) / 1000)); fs[t] = rest[0]
    else:
        fails[t] = fails.get(t, 0) + 1
med = lambda t, i: statistics.median(x[i] for x in data[t]) if t in data else None
names = {"burrow-overlay": "burrow, kernel overlay", "burrow-fuse-overlayfs": "burrow, fuse-overlayfs", "podman": "podman", "host": "host directory"}
bo = "burrow-overlay"
w(f"| target | fs inside | {E['B_DD_MB']} MB dd + fsync, ms (min–max) | MB/s | {E['B_NFILES']} small files, ms (min–max) | dd vs host | files vs host | runs ok |")
w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
rng = lambda t, i: f"{min(x[i] for x in data[t]):.0f}–{max(x[i] for x in data[t]):.0f}"
for t in ("burrow-overlay", "burrow-fuse-overlayfs", "podman", "host"):
    if t not in data and t not in fails: continue
    if t not in data:
        w(f"| {names[t]} | – | failed | – | failed | – | – | 0/{fails[t]} |"); continue
    d, s = med(t, 0), med(t, 1)
    hd, hs = med("host", 0), med("host", 1)
    rel = lambda a, h: f"{(a/h-1)*100:+.0f}%" if h else "n/a"
    w(f"| {names[t]} | {fs[t]} | {d:.0f} ({rng(t, 0)}) | {int(E['B_DD_MB'])/(d/1000):.0f} | {s:.0f} ({rng(t, 1)}) | {rel(d, hd)} | {rel(s, hs)} | {len(data[t])}/{len(data[t])+fails.get(t,0)} |")
w("")
w("Noise: file creation on this VM's ext4 (mounted with `discard`) waits on the journal, which the other work on the machine "
  "keeps busy: the same small-file loop took ~0.5 s on the host when the machine was quiet and ~1.4–2 s under load, so the "
  "small-file column mostly measures the host disk's contention; compare targets within one run only (they are interleaved) "
  "and look at the min–max spread before reading a few percent into it.")
w("")
w("Caveat: podman mounts the overlay of a `--rm` container with `volatile` (shown as `fsync=volatile` in its mount options), "
  "so `conv=fsync` does not wait for the disk there; its dd figure is not comparable with the others. burrow mounts a `--rm` container's overlay `volatile` too, so its "
  "I/O rounds run in kept containers (`run --name …`, then `rm`), whose overlay is not volatile: its fsync waits for the disk as the host's does.")
w("")
w("### Goals (from the issue)")
w("")
for img in ("busybox", "debian"):
    r = start[img]; b, p = r.get("burrow overlay"), r.get("podman")
    if b and p:
        ok = ms(b) <= ms(p) / 2
        w(f"- *burrow starts a container in at most half the time rootless Podman takes in the same run* ({img}): "
          f"**{'MET' if ok else 'NOT MET'}** — burrow {ms(b):.0f} ms vs podman {ms(p):.0f} ms (limit {ms(p)/2:.0f} ms; "
          f"burrow takes {ms(b)/ms(p)*100:.0f}% of podman's time).")
    else:
        w(f"- *burrow starts a container in at most half the time rootless Podman takes* ({img}): **NOT MEASURABLE** — "
          + ("burrow failed" if not b else "podman failed") + ".")
if bo in data and "host" in data:
    d, s, hd, hs = med(bo, 0), med(bo, 1), med("host", 0), med("host", 1)
    ok_d, ok_s = d <= hd * 1.10, s <= hs * 1.10
    w(f"- *overlay I/O within 10% of the host directory with the kernel driver*: **{'MET' if ok_d and ok_s else 'NOT MET'}** — "
      f"{E['B_DD_MB']} MB dd+fsync {d:.0f} ms vs host {hd:.0f} ms ({(d/hd-1)*100:+.0f}%, {'within' if ok_d else 'outside'} 10%); "
      f"{E['B_NFILES']} small files {s:.1f} ms vs host {hs:.1f} ms ({(s/hs-1)*100:+.0f}%, {'within' if ok_s else 'outside'} 10%).")
else:
    w("- *overlay I/O within 10% of the host directory with the kernel driver*: **NOT MEASURABLE** (see failures below).")
w("")
if E.get("B_PODMAN_FAIL"):
    w("### podman probe failures")
    w("")
    w("```"); w(E["B_PODMAN_FAIL"].strip()[-3000:]); w("```"); w("")
e = open(errs).read().strip()
if e:
    w("### Failures"); w(""); w(e); w("")
w("Raw I/O results (target, round, status, fs, dd µs, small files µs):")
w("")
w("```")
for r in rows: w("\t".join(r))
w("```")
w("")
w("hyperfine JSON of this run: `/var/tmp/burrow-bench/run-results/` (`start-busybox.json`, `start-debian.json`, `breakdown.json`, `io.tsv`, `trace.txt`).")
open(out, "w").write("\n".join(L) + "\n")
PY

write_section run "$WORK/section.md"

# What resource limits cost the same start, on every cgroup route this host and the
# cgroup v2 VM reach (issue 10): bench/limits.sh, after this script's registry is gone.
if [ "${BENCH_LIMITS:-1}" != 0 ]; then
  cleanup; trap - EXIT INT TERM
  exec bash "$REPO/bench/limits.sh"
fi
