#!/usr/bin/env bash
# Cold-run and cold-pull benchmark against a local registry on 127.0.0.1:5200.
# Run as root: sudo bash bench/pull.sh   (every measured command runs as BENCH_USER)
#
# For each image (busybox; the bench debian; nodemods, ~30,000 small files), each run
# into empty storage, interleaved, the order rotating each run:
#   burrow-run   burrow run --rm --network none REF TRUE   (pull, unpack, first start)
#   podman-run   rootless podman run --rm ... REF TRUE     (the same, fresh storage)
#   floor        for each layer blob: zcat BLOB | tar -x -C FRESHDIR, sequential
#   burrow       burrow pull -q REF      (download + verify only)
#   skopeo       skopeo copy docker://REF oci:DIR
#   podman       rootless podman pull REF (download + unpack)
# timed by GNU time; peak memory of the whole process tree by bench/treemem.py.
# Env: BENCH_RUNS (default 5), BENCH_USER (default burrowtest),
#      BENCH_IMAGES (default "debian busybox nodemods"),
#      BENCH_TOOLS (default "burrow-run podman-run floor burrow skopeo podman"),
#      BENCH_PULL_IMAGES (images the pull-only tools run on, default "debian busybox"),
#      BENCH_PODMAN_DRIVERS (storage drivers to try, default
#      "overlay overlay:overlay.mount_program=/usr/bin/fuse-overlayfs vfs"),
#      BENCH_CACHE (default /var/tmp/burrow-bench), BENCH_PORT (default 5200),
#      BURROW_DIR (the checkout whose build is measured; default this one),
#      BENCH_KEEP (set: keep the work dir),
#      BENCH_CLEAN_BETWEEN (set to 1: remove each run's storage right after it, as this
#      script did before 2026-12-01; see "Deletions" below).
# Deletions: every run's storage is kept until the script ends. This VM's root file
# system is ext4 *without a journal* (/proc/fs/jbd2 is empty), and such an ext4 will not
# reuse an inode freed in the last 60 s (360 s while its inode table block is dirty): each
# new inode scans past every recently freed one of its block group (recently_deleted() in
# fs/ext4/ialloc.c). Removing a run's ~6,000 files made whichever tool ran next pay for
# them: perf showed 86% of burrow's extractor in that scan; three debian cold runs in a
# row went 0.9 -> 2.1 -> 3.2 s of system time with a removal between them, and stayed at
# 0.9-1.1 s without one. A CI runner starts from a fresh file system, not from one that
# has just deleted the previous tool's files.
# Writes the section between <!-- pull:begin --> and <!-- pull:end --> of
# BENCHMARKS.md at the root of the checkout this script is in.
set -euo pipefail
# runuser is in /usr/sbin: a root shell started with `env -i PATH=/usr/local/bin:/usr/bin:/bin`
# (a clean environment for the measurement) would fail every run without it.
export PATH="$PATH:/usr/sbin:/sbin"
. "$(dirname "$0")/lib.sh"

RUNS="${BENCH_RUNS:-5}"
read -r -a IMAGES <<< "${BENCH_IMAGES:-debian busybox nodemods}"
# busybox is always pushed: the warm-up and podman's probe use it
PUSHED=(busybox); for i in "${IMAGES[@]}"; do [ "$i" = busybox ] || PUSHED+=("$i"); done
read -r -a TOOLS <<< "${BENCH_TOOLS:-burrow-run podman-run floor burrow skopeo podman}"
# the pull-only tools (burrow, skopeo, podman) run on these images only (nodemods: skipped by
# default, podman's pull there costs as much as its cold run and adds nothing to issue 9)
PULL_IMAGES="${BENCH_PULL_IMAGES:-debian busybox}"
TREEMEM="$REPO/bench/treemem.py"
MIRROR="${BENCH_MIRROR:-http://deb.debian.org/debian}"

require_root pull.sh

# ---------------------------------------------------------------- prerequisites
need_pkgs=()
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
[ -x /usr/bin/time ] || need_pkgs+=(time)
dpkg -s busybox-static >/dev/null 2>&1 || need_pkgs+=(busybox-static)
command -v python3 >/dev/null || need_pkgs+=(python3)
for c in docker-registry skopeo podman newuidmap; do
  command -v "$c" >/dev/null || case $c in
    docker-registry) need_pkgs+=(docker-registry) ;;
    newuidmap) need_pkgs+=(uidmap) ;;
    *) need_pkgs+=("$c") ;;
  esac
done
apt_install ${need_pkgs[@]+"${need_pkgs[@]}"}

if ! id "$BUSER" >/dev/null 2>&1; then
  log "creating user $BUSER"
  useradd -m "$BUSER"
fi
grep -q "^${BUSER}:" /etc/subuid || echo "${BUSER}:200000:65536" >> /etc/subuid
grep -q "^${BUSER}:" /etc/subgid || echo "${BUSER}:200000:65536" >> /etc/subgid
[ -e /dev/fuse ] && chmod 666 /dev/fuse || true
user_info
require_build burrow-init

mkdir -p "$CACHE"
chmod 755 "$CACHE"

# ---------------------------------------------------------------- image build
# build_oci OUT LAYERDIR... : OCI image layout (one gzip layer per dir) at OUT.
build_oci() {
  local out="$1"; shift
  local tmp="$out.tmp"
  rm -rf "$tmp"; mkdir -p "$tmp/blobs/sha256"
  local layers=()
  for d in "$@"; do
    log "  packing layer from $d"
    local t="$tmp/layer.tar"
    tar --numeric-owner --xattrs --sort=name --mtime='2024-01-01 00:00:00' \
        --exclude=./.bench-complete -C "$d" -cf "$t" .
    local diffid; diffid=$(sha256sum "$t" | cut -d' ' -f1)
    gzip -n -6 "$t"
    local dig; dig=$(sha256sum "$t.gz" | cut -d' ' -f1)
    local size; size=$(stat -c %s "$t.gz")
    mv "$t.gz" "$tmp/blobs/sha256/$dig"
    layers+=("$dig:$size:$diffid")
  done
  python3 - "$tmp" "${layers[@]}" <<'PY'
import hashlib, json, os, sys
out = sys.argv[1]
layers = [l.split(":") for l in sys.argv[2:]]
def blob(obj):
    data = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return d, len(data)
config = {
    "created": "2024-01-01T00:00:00Z",
    "architecture": "amd64", "os": "linux",
    "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
               "Cmd": ["/bin/sh"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + l[2] for l in layers]},
    "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "burrow bench"} for _ in layers],
}
cd, cs = blob(config)
manifest = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": "sha256:" + cd, "size": cs},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:" + l[0], "size": int(l[1])} for l in layers],
}
md, ms = blob(manifest)
index = {"schemaVersion": 2, "manifests": [{
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:" + md, "size": ms,
    "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump(index, f)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
PY
  rm -rf "$out"; mv "$tmp" "$out"
}

want() { [[ " ${IMAGES[*]} " == *" $1 "* ]]; }
if want debian && [ ! -f "$CACHE/rootfs/.bench-complete" ]; then
  log "debootstrap --variant=minbase bookworm ($MIRROR) -> $CACHE/rootfs"
  rm -rf "$CACHE/rootfs.tmp"
  if ! debootstrap --variant=minbase bookworm "$CACHE/rootfs.tmp" "$MIRROR" \
       > "$CACHE/debootstrap.log" 2>&1; then
    alt=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -1 | tr -d ' ' || true)
    [ -n "$alt" ] && [ "$alt" != "$MIRROR" ] || die "debootstrap failed, see $CACHE/debootstrap.log"
    log "debootstrap failed with $MIRROR, retrying with $alt"
    rm -rf "$CACHE/rootfs.tmp"
    debootstrap --variant=minbase bookworm "$CACHE/rootfs.tmp" "$alt" \
      > "$CACHE/debootstrap.log" 2>&1 || die "debootstrap failed, see $CACHE/debootstrap.log"
  fi
  rm -rf "$CACHE/rootfs.tmp/var/cache/apt/archives/"*.deb
  rm -rf "$CACHE/rootfs"; mv "$CACHE/rootfs.tmp" "$CACHE/rootfs"
  touch "$CACHE/rootfs/.bench-complete"
fi

if want debian && [ ! -f "$CACHE/data/.bench-complete" ]; then
  log "generating ~20 MB data layer -> $CACHE/data"
  rm -rf "$CACHE/data"; mkdir -p "$CACHE/data/opt/bench/random" "$CACHE/data/opt/bench/text"
  # 10 MB incompressible: 40 x 256 KiB
  for i in $(seq -w 1 40); do
    head -c 262144 /dev/urandom > "$CACHE/data/opt/bench/random/blob-$i.bin"
  done
  # ~10 MB compressible text: 200 files x ~50 KB
  python3 - "$CACHE/data/opt/bench/text" <<'PY'
import os, random, sys
d = sys.argv[1]
rng = random.Random(42)
words = ("container layer registry manifest digest blob rootless namespace "
         "overlay mount process signal cgroup network image config tar gzip").split()
for i in range(200):
    with open(os.path.join(d, f"doc-{i:03d}.txt"), "w") as f:
        n = 0
        while n < 50_000:
            line = " ".join(rng.choice(words) for _ in range(12)) + f" {i}:{n}\n"
            f.write(line); n += len(line)
PY
  touch "$CACHE/data/.bench-complete"
fi

if want debian && [ ! -f "$CACHE/oci-debian/index.json" ]; then
  log "building OCI layout $CACHE/oci-debian"
  build_oci "$CACHE/oci-debian" "$CACHE/rootfs" "$CACHE/data"
fi
if [ ! -x "$CACHE/busybox-root/bin/busybox" ]; then
  bb="$CACHE/busybox-root"; rm -rf "$bb" "$CACHE/oci-busybox" "$CACHE/oci-nodemods"; mkdir -p "$bb/bin"
  cp /bin/busybox "$bb/bin/busybox"
  ln -sf busybox "$bb/bin/sh"
fi
if [ ! -f "$CACHE/oci-busybox/index.json" ]; then
  log "building OCI layout $CACHE/oci-busybox"
  build_oci "$CACHE/oci-busybox" "$CACHE/busybox-root"
fi
# nodemods: busybox (for TRUE) + a node_modules-like tree of ~30,000 small files, made
# by gen-node-modules.py with a fixed seed; rebuilt when the generator changes.
NM_STAMP="$(sha256sum "$REPO/bench/gen-node-modules.py" | cut -c1-16)"
if want nodemods && [ "$(cat "$CACHE/nodemods/.bench-complete" 2>/dev/null)" != "$NM_STAMP" ]; then
  log "generating the node_modules-like tree -> $CACHE/nodemods"
  rm -rf "$CACHE/nodemods" "$CACHE/oci-nodemods"
  python3 "$REPO/bench/gen-node-modules.py" "$CACHE/nodemods" >&2
  echo "$NM_STAMP" > "$CACHE/nodemods/.bench-complete"
fi
if want nodemods && [ ! -f "$CACHE/oci-nodemods/index.json" ]; then
  log "building OCI layout $CACHE/oci-nodemods"
  build_oci "$CACHE/oci-nodemods" "$CACHE/busybox-root" "$CACHE/nodemods"
fi

# ---------------------------------------------------------------- registry
make_workdirs pull bpr
trap cleanup EXIT INT TERM
start_registry
push_images "${PUSHED[@]}"
# burrow runs from a snapshot of build/ (see lib.sh): others may rebuild it meanwhile
snapshot_burrow burrow-init

# ---------------------------------------------------------------- measurement
mkdir -p "$WORK/runs" "$XDG"
chmod 700 "$XDG"
write_configs
chown "$BUSER": "$WORK/runs" "$XDG"

# Storage driver for podman: overlay (native rootless) if it works, else
# fuse-overlayfs, else vfs. Probed once with the small image.
PODMAN_DRIVER=""
PODMAN_OPTS=""
podman_cmd() { # ROOT RUNROOT -> prints podman argv prefix
  local d=(podman --root "$1" --runroot "$2" --events-backend none --cgroup-manager cgroupfs)
  [ -n "$PODMAN_DRIVER" ] && d+=(--storage-driver "$PODMAN_DRIVER")
  [ -n "$PODMAN_OPTS" ] && d+=(--storage-opt "$PODMAN_OPTS")
  printf '%s\n' "${d[@]}"
}
PODMAN_FAIL=""
for cand in ${BENCH_PODMAN_DRIVERS:-overlay overlay:overlay.mount_program=/usr/bin/fuse-overlayfs vfs}; do
  PODMAN_DRIVER="${cand%%:*}"
  PODMAN_OPTS=""; [ "$cand" != "${cand#*:}" ] && PODMAN_OPTS="${cand#*:}"
  p="$WORK/runs/probe"; mkdir -p "$p"; chown "$BUSER": "$p"
  mkdir -p "$PRUN/probe"; chown "$BUSER": "$PRUN/probe"
  mapfile -t pc < <(podman_cmd "$p/root" "$PRUN/probe")
  if out=$(asuser "${pc[@]}" pull -q --tls-verify=false "$REG/bench/busybox:latest" 2>&1); then
    log "podman storage: $cand"
    PODMAN_FAIL=""
    stop_pause
    rm -rf "$p" "$PRUN/probe"
    break
  fi
  PODMAN_FAIL="$cand: $out"
  log "podman probe failed with $cand: $out"
  stop_pause
  rm -rf "$p" "$PRUN/probe"
done
[ -n "$PODMAN_FAIL" ] && PODMAN_DRIVER="FAILED"
# The runtime podman can start a container with here: its default (crun), else runc
# (crun refuses hybrid cgroup hierarchies: "cgroups in hybrid mode not supported").
PODMAN_RUN_OPTS=(--network none)
if [ "$PODMAN_DRIVER" != FAILED ]; then
  for rt in default runc; do
    p="$WORK/runs/probe"; mkdir -p "$p" "$PRUN/probe"; chown "$BUSER": "$p" "$PRUN/probe"
    mapfile -t pc < <(podman_cmd "$p/root" "$PRUN/probe")
    ropts=(--network none); [ "$rt" = runc ] && ropts+=(--runtime runc)
    if asuser "${pc[@]}" run --rm --tls-verify=false "${ropts[@]}" "$REG/bench/busybox:latest" /bin/busybox true > /dev/null 2>&1; then
      PODMAN_RUN_OPTS=("${ropts[@]}"); stop_pause; rm -rf "$p" "$PRUN/probe"; break
    fi
    stop_pause; rm -rf "$p" "$PRUN/probe"
  done
fi
declare -A TRUE_CMD=([busybox]="/bin/busybox true" [debian]="/usr/bin/true" [nodemods]="/bin/busybox true")

# The layer blobs of each image, lowest first, as the floor reads them (the registry
# serves the same bytes; both come from the page cache after the first run).
declare -A LAYER_BLOBS
for img in "${PUSHED[@]}"; do
  LAYER_BLOBS[$img]="$(python3 - "$CACHE/oci-$img" <<'PY'
import json, os, sys
d = sys.argv[1]
blob = lambda dg: os.path.join(d, "blobs", "sha256", dg.split(":")[1])
m = json.load(open(blob(json.load(open(os.path.join(d, "index.json")))["manifests"][0]["digest"])))
print(" ".join(blob(l["digest"]) for l in m["layers"]))
PY
)"
done
# The floor: each layer into a fresh directory of its own, one after the other, as the
# user. tar cannot mknod as an unprivileged user (debian's /dev entries): those errors,
# and only those, are accepted.
FLOOR_SCRIPT='dest=$1; errs=$2; shift 2; i=0
for blob in "$@"; do
  i=$((i + 1)); mkdir "$dest/layer-$i" || exit 1
  zcat "$blob" | tar -x -C "$dest/layer-$i" 2>>"$errs"
  s=("${PIPESTATUS[@]}")
  [ "${s[0]}" = 0 ] && { [ "${s[1]}" = 0 ] || [ "${s[1]}" = 2 ]; } || exit 1
done
! grep -v -e "Cannot mknod" -e "Exiting with failure status" "$errs"'

RESULTS="$WORK/results.tsv"   # image tool run status wall_s maxrss_kb cpu_s du_kb load tree_kb procs_at_peak
: > "$RESULTS"
ERRS="$WORK/errors.txt"; : > "$ERRS"

# measure IMAGE TOOL RUN
measure() {
  local img="$1" tool="$2" run="$3"
  local ref="$REG/bench/$img:latest"
  local d="$WORK/runs/$img-$tool-$run"
  rm -rf "$d"; mkdir -p "$d"; chown "$BUSER": "$d"
  local cmd=()
  case $tool in
    burrow) cmd=(env BURROW_ROOT="$d/store" "${BURROW[@]}" pull -q "$ref") ;;
    # cold run: pull (as docker run does when the image is missing), unpack, first start
    burrow-run) cmd=(env BURROW_ROOT="$d/store" "${BURROW[@]}" run --rm --network none "$ref" ${TRUE_CMD[$img]}) ;;
    floor) mkdir "$d/floor"; chown "$BUSER": "$d/floor"
           # shellcheck disable=SC2086
           cmd=(bash -c "$FLOOR_SCRIPT" floor "$d/floor" "$d/tar-errors" ${LAYER_BLOBS[$img]}) ;;
    skopeo) cmd=(skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$d/oci:latest") ;;
    podman|podman-run)
      if [ "$PODMAN_DRIVER" = FAILED ]; then
        printf '%s\t%s\t%s\tfail\n' "$img" "$tool" "$run" >> "$RESULTS"; return
      fi
      local rr="$PRUN/$img-$run"; rm -rf "$rr"; mkdir -p "$rr"; chown "$BUSER": "$rr"
      # fresh XDG_RUNTIME_DIR too, so every podman run starts its own
      # rootless user namespace (pause process) instead of joining the last one
      XDG="$PRUN/x-$img-$run"; rm -rf "$XDG"
      mkdir -m 700 "$XDG"; chown "$BUSER": "$XDG"
      mapfile -t cmd < <(podman_cmd "$d/root" "$rr")
      if [ "$tool" = podman ]; then cmd+=(pull -q --tls-verify=false "$ref")
      else cmd+=(run --rm --tls-verify=false "${PODMAN_RUN_OPTS[@]}" "$ref" ${TRUE_CMD[$img]}); fi ;;
  esac
  sync
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local rc=0
  asuser_argv
  python3 "$TREEMEM" --out "$d/mem" --exclude-comm runuser,time -- \
    "${AS_ARGV[@]}" /usr/bin/time -f '%e %M %U %S' -o "$d/time" "${cmd[@]}" > "$d/out" 2> "$d/err" || rc=$?
  if [ $rc -ne 0 ]; then
    log "$img $tool run $run FAILED (rc=$rc): $(tail -c 600 "$d/err")"
    { echo "#### $img / $tool / run $run (exit $rc)"; echo '```'; echo "\$ ${cmd[*]}"; tail -c 1500 "$d/err"; echo '```'; echo; } >> "$ERRS"
    printf '%s\t%s\t%s\tfail\n' "$img" "$tool" "$run" >> "$RESULTS"
  else
    local secs kb usr sys
    read -r secs kb usr sys < <(grep -E '^[0-9.]+ [0-9]+ [0-9.]+ [0-9.]+$' "$d/time" | tail -1)
    local cpu; cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
    local du; du=$(du -sk "$d" | cut -f1)
    local tree; tree=$(awk '$1=="peak_kb"{print $2}' "$d/mem")
    local procs; procs=$(sed -n 's/^procs_at_peak //p' "$d/mem" | tr ' ' ',')
    log "$img $tool run $run: ${secs}s, ${cpu}s CPU, $((tree / 1024)) MB tree peak (largest process $((kb / 1024)) MB), $((du / 1024)) MB on disk, load $load"
    printf '%s\t%s\t%s\tok\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$img" "$tool" "$run" "$secs" "$kb" "$cpu" "$du" "$load" "$tree" "${procs:--}" >> "$RESULTS"
  fi
  case $tool in podman|podman-run) stop_pause; rm -rf "$XDG"; XDG="$WORK/xdg" ;; esac
  # Kept until the end (see "Deletions" in the header) unless BENCH_CLEAN_BETWEEN=1.
  if [ "${BENCH_CLEAN_BETWEEN:-0}" = 1 ]; then rm -rf "$d" "$PRUN/$img-$run"; fi
}

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average at start: $LOAD_START"
# warm-up (not measured): brings node, skopeo, podman, tar binaries into page cache
log "warm-up (not recorded)"
for t in "${TOOLS[@]}"; do
  measure busybox "$t" 0 >/dev/null 2>&1 || true
done
: > "$RESULTS"; : > "$ERRS"

for img in "${IMAGES[@]}"; do
  tools=()
  for t in "${TOOLS[@]}"; do
    case $t in burrow|skopeo|podman) [[ " $PULL_IMAGES " == *" $img "* ]] || continue ;; esac
    tools+=("$t")
  done
  for run in $(seq 1 "$RUNS"); do
    # rotate the order each run so no tool always goes first
    for k in "${!tools[@]}"; do
      measure "$img" "${tools[$(( (k + run - 1) % ${#tools[@]} ))]}" "$run"
    done
  done
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average at end: $LOAD_END"
cp "$RESULTS" "$CACHE/last-results.tsv"

# ---------------------------------------------------------------- report
export_machine_info
export B_LOAD="$LOAD_START -> $LOAD_END" B_OTHER="$(other_procs '^(node|vitest|docker-registry|podman|burrow|qemu-system-x86)')"
export B_BURROW="$("${BURROW[@]}" --version 2>&1 | head -1) (git $SNAP_GIT; build/ of $SNAP_BUILT, snapshot copied at start), node $(node --version)"
export B_SKOPEO="$(skopeo --version | awk '{print $3}')" B_PODMAN="$(podman --version | awk '{print $3}')"
export B_RUNS="$RUNS" B_DRIVER="$PODMAN_DRIVER${PODMAN_OPTS:+ ($PODMAN_OPTS)}" B_PODMAN_FAIL="$PODMAN_FAIL" B_PODMAN_RUN_OPTS="${PODMAN_RUN_OPTS[*]}"
export B_IMAGES="${IMAGES[*]}" B_TOOLS="${TOOLS[*]}" B_CLEAN="${BENCH_CLEAN_BETWEEN:-0}"
# Per image: layers, compressed bytes, KB on disk unpacked, regular files, median file size,
# percentage of files between 100 B and 20 KB.
image_stats() { # IMG SRCDIR...
  local img="$1"; shift
  local comp; comp="$(du -cb ${LAYER_BLOBS[$img]} | tail -1 | cut -f1)"
  local n; n="$(wc -w <<< "${LAYER_BLOBS[$img]}")"
  local kb; kb="$(du -sck --exclude=.bench-complete "$@" | tail -1 | cut -f1)"
  echo "$n $comp $kb $(find "$@" -type f ! -name .bench-complete -printf '%s\n' | python3 -c '
import statistics, sys
s = [int(x) for x in sys.stdin]
print(len(s), int(statistics.median(s)), round(100 * sum(100 <= x <= 20480 for x in s) / len(s)))')"
}
want debian && export B_STATS_debian="$(image_stats debian "$CACHE/rootfs" "$CACHE/data")"
want busybox && export B_STATS_busybox="$(image_stats busybox "$CACHE/busybox-root")"
want nodemods && export B_STATS_nodemods="$(image_stats nodemods "$CACHE/busybox-root" "$CACHE/nodemods")"

python3 - "$RESULTS" "$ERRS" "$WORK/section.md" <<'PY'
import os, statistics, sys
res, errs, out = sys.argv[1:4]
E = os.environ
rows = [l.rstrip("\n").split("\t") for l in open(res) if l.strip()]
data, fails = {}, {}
for r in rows:
    img, tool, run, st = r[:4]
    if st == "ok":
        # wall s, largest process MB, CPU s, disk MB, load, tree peak MB, processes at the peak
        data.setdefault((img, tool), []).append((float(r[4]), int(r[5]) / 1024, float(r[6]), int(r[7]) / 1024,
                                                 float(r[8]), int(r[9]) / 1024, r[10]))
    else:
        fails[(img, tool)] = fails.get((img, tool), 0) + 1
def med(img, tool, i=0):
    v = data.get((img, tool))
    return statistics.median(x[i] for x in v) if v else None
def f2(x, unit=""):
    return "–" if x is None else f"{x:.2f}{unit}"
def f0(x):
    return "–" if x is None else f"{x:.0f}"
IMAGES = E["B_IMAGES"].split()
TOOLS = E["B_TOOLS"].split()
stats = {i: E[f"B_STATS_{i}"].split() for i in IMAGES}
def desc(img):
    n, comp, kb, files, median, small = stats[img]
    what = {"debian": "`debootstrap --variant=minbase bookworm` + ~20 MB of generated files, half random, half text",
            "busybox": "Debian's static `/bin/busybox`",
            "nodemods": "busybox + a `node_modules`-like tree from `bench/gen-node-modules.py` (seeded): packages with "
                        "package.json, README, LICENSE, lib/*.js, *.d.ts, some dist bundles and maps, nested node_modules, "
                        ".bin symlinks"}[img]
    return (f"`bench/{img}`: {n} layer{'s' if n != '1' else ''}, {int(comp)/1e6:.1f} MB compressed, "
            f"{int(kb)/1024:.0f} MB unpacked, {int(files):,} file{'s' if files != '1' else ''}"
            + (f" (median {int(median)/1024:.1f} KB, {small}% between 100 B and 20 KB)" if int(files) > 1 else "") + f": {what}")
L = []
w = L.append
w("## Cold run and pull")
w("")
w(f"Generated by `bench/pull.sh` on {E['B_DATE']}. Do not edit by hand between the markers.")
w("")
w(f"Machine: {E['B_NPROC']} cores ({E['B_CPU']}), {E['B_MEM']} RAM, Linux {E['B_KERNEL']}, Debian 12; "
  f"stores and destinations on `{E.get('B_FS', '?')}`. Versions: burrow {E['B_BURROW']}; skopeo {E['B_SKOPEO']}; "
  f"podman {E['B_PODMAN']} (storage {E['B_DRIVER']}, run options `{E['B_PODMAN_RUN_OPTS']}`).")
w("")
w(f"**Load**: load average (1/5/15 min) at start -> end: **{E['B_LOAD']}**; processes seen at the end: "
  f"{E['B_OTHER'] or 'none'}. The machine is shared (2 cores): compare tools within one run only (they are "
  "interleaved); the raw results give the load before each run.")
w("")
w(f"What is measured, {E['B_RUNS']} runs per tool and image, interleaved (the order rotates each run), each into "
  "fresh empty storage, as the unprivileged user `burrowtest`, against a local `docker-registry` on 127.0.0.1 "
  "(plain HTTP, loopback: this measures the client, not the network); one unrecorded warm-up run of each tool "
  "on busybox first; `sync` before each run; the page cache is not dropped (blobs come from memory for every tool); "
  + ("each run's storage is removed right after it (`BENCH_CLEAN_BETWEEN=1`: on this VM's journal-less ext4 the next "
     "run, whichever tool, then pays for the freed inodes; see the header of `bench/pull.sh`):" if E["B_CLEAN"] == "1" else
     "nothing is removed until every run is done (on this VM's journal-less ext4 a removal makes the next run, whichever "
     "tool, scan past the freed inodes for a minute or more; see the header of `bench/pull.sh`):"))
w("")
w("- **burrow run** (the cold run): `burrow run --rm --network none REF TRUE` into a fresh `BURROW_ROOT`: pull, unpack, first start.")
w(f"- **podman run**: rootless `podman --root R --runroot RR run --rm --tls-verify=false {E['B_PODMAN_RUN_OPTS']} REF TRUE` into "
  "fresh storage and a fresh `XDG_RUNTIME_DIR` (so its own new pause process each time): pull, unpack, first start.")
w("- **floor**: for each layer blob of the image, lowest first: `zcat BLOB | tar -x -C DIR` into a fresh directory per "
  "layer, sequentially, as the user, timed together (what the disk and one gzip stream allow; no ownership, no "
  "hashing, no container). tar cannot create device nodes as a user: those errors are the only ones accepted.")
w("- **burrow pull**: `burrow pull -q REF` (download and verify blobs; no unpacking); **skopeo**: `skopeo copy "
  "docker://REF oci:DIR:latest` (the same work); **podman pull**: rootless `podman pull` (downloads **and unpacks**).")
w("- TRUE is `/bin/busybox true` (busybox, nodemods) or `/usr/bin/true` (debian). Wall and CPU time (user+sys) by GNU "
  "`/usr/bin/time`.")
w("- **Peak memory (tree)**: the largest sum of resident memory (VmRSS) over *all* processes of the command at one "
  "moment, sampled every 10 ms by `bench/treemem.py`; the command runs in a cgroup v2 group of its own, so daemons and "
  "processes in other PID namespaces are counted (see `bench/README.md`). A page shared by two processes counts twice "
  "(an upper bound); the page cache of written files is not counted. GNU time's figure (the largest single process) "
  "is in the detail tables.")
w("")
w(f"### Cold run: pull, unpack and first start into empty storage (medians of {E['B_RUNS']})")
w("")
w("| image | burrow run s | podman run s | floor s | burrow / podman | burrow / floor | burrow peak MB (tree) | podman peak MB (tree) |")
w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for img in IMAGES:
    b, p, fl = med(img, "burrow-run"), med(img, "podman-run"), med(img, "floor")
    w(f"| {img} | {f2(b)} | {f2(p)} | {f2(fl)} | {f2(b/p if b and p else None, '×')} | {f2(b/fl if b and fl else None, '×')} "
      f"| {f0(med(img, 'burrow-run', 5))} | {f0(med(img, 'podman-run', 5))} |")
w("")
w("Images:")
w("")
for img in IMAGES:
    w(f"- {desc(img)}")
w("")
w("### Goals of issue 9")
w("")
def ratio_goal(img, other, limit, label):
    b, o = med(img, "burrow-run"), med(img, other)
    if b is None or o is None:
        who = "burrow run" if b is None else other
        w(f"- {label}: **NOT MEASURABLE** ({who} failed or was not run; see below).")
        return
    ok = b <= limit * o
    w(f"- {label}: **{'MET' if ok else 'NOT MET'}**: burrow {b:.2f} s vs {other} {o:.2f} s = {b/o:.2f}× (limit {limit}×, {limit*o:.2f} s).")
if "debian" in IMAGES:
    ratio_goal("debian", "podman-run", 0.5, "*debian cold run at most 0.5× rootless Podman's*")
    ratio_goal("debian", "floor", 1.5, "*debian cold run at most 1.5× the floor*")
if "busybox" in IMAGES:
    ratio_goal("busybox", "podman-run", 0.7, "*busybox cold run at most 0.7× rootless Podman's*")
peaks = [(x[5], img, x[6]) for img in IMAGES for x in data.get((img, "burrow-run"), [])]
if peaks:
    mx = max(peaks)
    per = ", ".join(f"{img} {med(img, 'burrow-run', 5):.0f} MB" for img in IMAGES if med(img, "burrow-run", 5) is not None)
    w(f"- *peak memory of the whole cold run under 150 MB*: **{'MET' if mx[0] < 150 else 'NOT MET'}**: medians {per}; "
      f"highest single run {mx[0]:.0f} MB ({mx[1]}), processes at that moment (comm:kB): `{mx[2]}`.")
else:
    w("- *peak memory of the whole cold run under 150 MB*: **NOT MEASURABLE** (burrow run failed; see below).")
w("")
NAMES = {"burrow-run": "burrow run", "podman-run": "podman run", "floor": "floor (zcat \\| tar -x)",
         "burrow": "burrow pull", "skopeo": "skopeo copy", "podman": "podman pull"}
w("### Details per image")
w("")
for img in IMAGES:
    w(f"{desc(img)}:")
    w("")
    w("| tool | median s | min s | max s | CPU s (median) | peak MB, tree (median) | peak MB, largest process (median) | runs ok |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for tool in TOOLS:
        v = data.get((img, tool), [])
        nf = fails.get((img, tool), 0)
        if v:
            ts = [x[0] for x in v]
            w(f"| {NAMES[tool]} | {statistics.median(ts):.2f} | {min(ts):.2f} | {max(ts):.2f} | {med(img, tool, 2):.2f} "
              f"| {med(img, tool, 5):.1f} | {med(img, tool, 1):.1f} | {len(v)}/{len(v)+nf} |")
        elif nf:
            w(f"| {NAMES[tool]} | failed | – | – | – | – | – | 0/{nf} |")
    b = med(img, "burrow")
    parts = [f"{t}/burrow pull = {med(img, t)/b:.2f}×" for t in ("skopeo", "podman") if b and med(img, t)]
    if parts:
        w("")
        w("Pull only: " + "; ".join(parts) + " (above 1: burrow's pull is faster; podman's pull also unpacks, skopeo's does not).")
    w("")
# The goals of the earlier pull issue, still watched.
b, p = med("debian", "burrow"), med("debian", "podman")
prs = [x[5] for img in IMAGES for x in data.get((img, "burrow"), [])]
if b and p:
    w(f"Earlier goals, still watched: *cold pull of the multi-layer image in at most half of Podman's pull*: "
      f"**{'MET' if b <= p / 2 else 'NOT MET'}** (debian {b:.2f} s vs {p:.2f} s; Podman's pull also unpacks)"
      + (f"; *pull peak memory under 150 MB*: **{'MET' if max(prs) < 150 else 'NOT MET'}** (highest run, whole tree: {max(prs):.0f} MB)." if prs else "."))
    w("")
if E.get("B_PODMAN_FAIL"):
    w("### podman could not run")
    w("")
    w("```")
    w(E["B_PODMAN_FAIL"][-3000:])
    w("```")
    w("")
e = open(errs).read().strip()
if e:
    w("### Failed runs")
    w("")
    w(e)
    w("")
w("Raw per-run results (image, tool, run, status, wall s, largest process KB, CPU s, destination KB on disk, "
  "1-min load average just before the run, tree peak KB, processes at the tree's peak as comm:KB):")
w("")
w("```")
for r in rows:
    w("\t".join(r))
w("```")
open(out, "w").write("\n".join(L) + "\n")
PY

write_section pull "$WORK/section.md"
