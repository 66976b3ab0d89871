#!/usr/bin/env bash
# Cold-pull benchmark: burrow vs skopeo vs rootless podman, against a local
# registry on 127.0.0.1:5200. Run as root: sudo bash bench/pull.sh
# Env: BENCH_RUNS (default 5), BENCH_USER (default burrowtest),
#      BENCH_PODMAN_DRIVERS (storage drivers to try, default
#      "overlay overlay:overlay.mount_program=/usr/bin/fuse-overlayfs vfs"),
#      BENCH_CACHE (default /var/tmp/burrow-bench), BENCH_PORT (default 5200).
# Writes the section between <!-- pull:begin --> and <!-- pull:end --> of
# BENCHMARKS.md at the repo root.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS="${BENCH_RUNS:-5}"
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
require_build

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
        -C "$d" -cf "$t" .
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

if [ ! -f "$CACHE/rootfs/.bench-complete" ]; then
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

if [ ! -f "$CACHE/data/.bench-complete" ]; then
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

if [ ! -f "$CACHE/oci-debian/index.json" ]; then
  log "building OCI layout $CACHE/oci-debian"
  build_oci "$CACHE/oci-debian" "$CACHE/rootfs" "$CACHE/data"
fi
if [ ! -f "$CACHE/oci-busybox/index.json" ]; then
  log "building OCI layout $CACHE/oci-busybox"
  bb="$CACHE/busybox-root"; rm -rf "$bb"; mkdir -p "$bb/bin"
  cp /bin/busybox "$bb/bin/busybox"
  ln -sf busybox "$bb/bin/sh"
  build_oci "$CACHE/oci-busybox" "$bb"
fi

# ---------------------------------------------------------------- registry
make_workdirs pull bpr
trap cleanup EXIT INT TERM
start_registry
push_images debian busybox
# burrow runs from a snapshot of build/ (see lib.sh): others may rebuild it meanwhile
snapshot_burrow

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
declare -A TRUE_CMD=([busybox]="/bin/busybox true" [debian]="/usr/bin/true")

RESULTS="$WORK/results.tsv"   # image tool run status seconds maxrss_kb
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
    skopeo) cmd=(skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$d/oci:latest") ;;
    podman|podman-run)
      if [ "$PODMAN_DRIVER" = FAILED ]; then
        printf '%s\t%s\t%s\tfail\t-\t-\t-\t-\n' "$img" "$tool" "$run" >> "$RESULTS"; return
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
  asuser /usr/bin/time -f '%e %M %U %S' -o "$d/time" "${cmd[@]}" > "$d/out" 2> "$d/err" || rc=$?
  if [ $rc -ne 0 ]; then
    log "$img $tool run $run FAILED (rc=$rc): $(tail -c 600 "$d/err")"
    { echo "### $img / $tool / run $run (exit $rc)"; echo '```'; echo "\$ ${cmd[*]}"; tail -c 1500 "$d/err"; echo '```'; } >> "$ERRS"
    printf '%s\t%s\t%s\tfail\t-\t-\t-\t-\n' "$img" "$tool" "$run" >> "$RESULTS"
  else
    read -r secs kb usr sys < <(grep -E '^[0-9.]+ [0-9]+ [0-9.]+ [0-9.]+$' "$d/time" | tail -1)
    local cpu; cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
    local du; du=$(du -sk "$d" | cut -f1)
    log "$img $tool run $run: ${secs}s, ${cpu}s CPU, ${kb} KB max RSS, ${du} KB on disk"
    printf '%s\t%s\t%s\tok\t%s\t%s\t%s\t%s\t%s\n' "$img" "$tool" "$run" "$secs" "$kb" "$cpu" "$du" "$load" >> "$RESULTS"
  fi
  case $tool in podman|podman-run) stop_pause; rm -rf "$XDG"; XDG="$WORK/xdg" ;; esac
  rm -rf "$d" "$PRUN/$img-$run"
}

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
# warm-up (not measured): brings node, skopeo, podman binaries into page cache
log "warm-up (not recorded)"
for t in burrow skopeo podman burrow-run podman-run; do
  measure busybox "$t" 0 >/dev/null 2>&1 || true
done
: > "$RESULTS"; : > "$ERRS"

tools=(burrow skopeo podman burrow-run podman-run)
for img in debian busybox; do
  for run in $(seq 1 "$RUNS"); do
    # rotate the order each run so no tool always goes first
    for k in "${!tools[@]}"; do
      t="${tools[$(( (k + run - 1) % ${#tools[@]} ))]}"
      measure "$img" "$t" "$run"
    done
  done
done
cp "$RESULTS" "$CACHE/last-results.tsv"
export B_LOAD="$LOAD_START -> $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- report
BURROW_V="$("${BURROW[@]}" --version 2>&1 | head -1)"
BURROW_GIT="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
if [ -n "$(git -C "$REPO" status --porcelain -- src 2>/dev/null)" ]; then BURROW_GIT="$BURROW_GIT+dirty src"; fi
export_machine_info
export B_BURROW="$BURROW_V (git $BURROW_GIT), node $(node --version)"
export B_SKOPEO="$(skopeo --version | awk '{print $3}')" B_PODMAN="$(podman --version | awk '{print $3}')"
export B_RUNS="$RUNS" B_DRIVER="$PODMAN_DRIVER${PODMAN_OPTS:+ ($PODMAN_OPTS)}" B_PODMAN_FAIL="$PODMAN_FAIL" B_PODMAN_RUN_OPTS="${PODMAN_RUN_OPTS[*]}"
export B_DEB_SIZE="$(python3 -c "import json,sys;m=json.load(open(sys.argv[1]));print(sum(l['size'] for l in m['layers']), len(m['layers']))" \
  "$CACHE/oci-debian/blobs/sha256/$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['manifests'][0]['digest'].split(':')[1])" "$CACHE/oci-debian/index.json")")"
export B_BB_SIZE="$(python3 -c "import json,sys;m=json.load(open(sys.argv[1]));print(sum(l['size'] for l in m['layers']), len(m['layers']))" \
  "$CACHE/oci-busybox/blobs/sha256/$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['manifests'][0]['digest'].split(':')[1])" "$CACHE/oci-busybox/index.json")")"
export B_DEB_UNPACKED="$(du -sk --exclude=.bench-complete "$CACHE/rootfs" "$CACHE/data" | awk '{s+=$1} END{print s}')"

python3 - "$RESULTS" "$ERRS" "$WORK/section.md" <<'PY'
import os, statistics, sys
res, errs, out = sys.argv[1:4]
E = os.environ
rows = [l.rstrip("\n").split("\t") for l in open(res) if l.strip()]
data = {}
fails = {}
for r in rows:
    img, tool, run, st = r[:4]
    if st == "ok":
        data.setdefault((img, tool), []).append((float(r[4]), int(r[5]) / 1024, float(r[6]), int(r[7]) / 1024))
    else:
        fails[(img, tool)] = fails.get((img, tool), 0) + 1
def med(img, tool, i=0):
    v = data.get((img, tool))
    return statistics.median(x[i] for x in v) if v else None
L = []
w = L.append
w("## Pull (cold)")
w("")
w(f"Generated by `bench/pull.sh` on {E['B_DATE']}. Do not edit by hand between the markers.")
w("")
w("What is measured: wall time, peak RSS (the largest single process of the command's tree) and CPU time, "
  "by GNU `/usr/bin/time -f '%e %M %U %S'`, of a **cold** pull from a local `docker-registry` on "
  "127.0.0.1:5200 (plain HTTP, loopback, so this measures the client, not the network). "
  f"Each tool gets {E['B_RUNS']} runs per image, interleaved (the order rotates each run), each into "
  "a fresh empty destination, as the unprivileged user `burrowtest`:")
w("")
w("- **burrow**: `burrow pull -q REF` into a fresh `BURROW_ROOT` (`BURROW_CONFIG` = `{}`). Downloads and verifies blobs into its store; does **not** unpack layers.")
w("- **skopeo**: `skopeo copy docker://REF oci:DIR:latest` into a fresh dir. Downloads blobs, no unpacking.")
w(f"- **podman**: rootless `podman --root R --runroot RR pull --tls-verify=false REF` with fresh storage (driver: {E['B_DRIVER']}). "
  "**podman's pull also unpacks every layer into its storage**, so it does more work than the other two.")
w("")
w("The page cache is not dropped between runs (not possible here); the registry's blobs are therefore served from memory, "
  "which favours all tools equally. One unrecorded warm-up pull per tool precedes the measured runs.")
w("")
w(f"Machine: {E['B_NPROC']} cores ({E['B_CPU']}), {E['B_MEM']} RAM, Linux {E['B_KERNEL']}, Debian 12. "
  f"Versions: burrow {E['B_BURROW']}; skopeo {E['B_SKOPEO']}; podman {E['B_PODMAN']}. "
  f"Load average (1/5/15 min) at start -> end: {E['B_LOAD']}; the machine is shared, so other work (e.g. test suites) "
  "may add noise — the last column of the raw results gives the load before each run.")
w("")
dsz, dn = E["B_DEB_SIZE"].split()
bsz, bn = E["B_BB_SIZE"].split()
images = [
    ("debian", f"`bench/debian:latest`: {dn} layers, {int(dsz)/1e6:.1f} MB compressed, {int(E['B_DEB_UNPACKED'])/1024:.0f} MB unpacked "
               "(layer 1: `debootstrap --variant=minbase bookworm`; layer 2: ~20 MB of generated files, half random, half text)"),
    ("busybox", f"`bench/busybox:latest`: {bn} layer, {int(bsz)/1e6:.1f} MB compressed (Debian's static `/bin/busybox`)"),
]
for img, desc in images:
    w(f"### {desc}")
    w("")
    w("| tool | median s | min s | max s | peak RSS MB (median) | CPU s, user+sys (median) | runs ok |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for tool in ("burrow", "skopeo", "podman"):
        v = data.get((img, tool), [])
        nf = fails.get((img, tool), 0)
        if v:
            ts = [x[0] for x in v]
            w(f"| {tool} | {statistics.median(ts):.2f} | {min(ts):.2f} | {max(ts):.2f} | {med(img, tool, 1):.1f} | {med(img, tool, 2):.2f} | {len(v)}/{len(v)+nf} |")
        else:
            w(f"| {tool} | failed | – | – | – | – | 0/{nf} |")
    w("")
    b = med(img, "burrow")
    parts = []
    for tool in ("podman", "skopeo"):
        t = med(img, tool)
        if b and t:
            parts.append(f"{tool}/burrow = **{t/b:.2f}×**")
        else:
            parts.append(f"{tool}/burrow = n/a")
    w("Ratios of median wall time: " + "; ".join(parts) + " (above 1 means burrow is faster).")
    w("")
    w(f"Cold run, the same image not yet in either store (pull, unpack, first start):")
    w("")
    w("| tool | median s | min s | max s | peak RSS MB (median) | CPU s, user+sys (median) | runs ok |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for tool in ("burrow-run", "podman-run"):
        v = data.get((img, tool), [])
        nf = fails.get((img, tool), 0)
        name = {"burrow-run": "burrow run", "podman-run": "podman run"}[tool]
        if v:
            ts = [x[0] for x in v]
            w(f"| {name} | {statistics.median(ts):.2f} | {min(ts):.2f} | {max(ts):.2f} | {med(img, tool, 1):.1f} | {med(img, tool, 2):.2f} | {len(v)}/{len(v)+nf} |")
        else:
            w(f"| {name} | failed | – | – | – | – | 0/{nf} |")
    br, pr = med(img, "burrow-run"), med(img, "podman-run")
    w("")
    w(f"Ratio of median wall time: podman run/burrow run = **{pr/br:.2f}×**" if br and pr else "Ratio: n/a")
    w("")
w("### Goals (from the issue)")
w("")
b, p = med("debian", "burrow"), med("debian", "podman")
if b and p:
    ok = b <= p / 2
    w(f"- *burrow's cold pull of a multi-layer image in at most half the time of podman's*: "
      f"**{'MET' if ok else 'NOT MET'}** on `bench/debian` — burrow {b:.2f} s vs podman {p:.2f} s "
      f"(limit {p/2:.2f} s; burrow takes {b/p*100:.0f}% of podman's time).")
else:
    w("- *burrow's cold pull of a multi-layer image in at most half the time of podman's*: **NOT MEASURABLE** — "
      + ("burrow failed" if not b else "podman failed") + " (see below).")
rss = [med(i, "burrow", 1) for i in ("debian", "busybox") if med(i, "burrow", 1) is not None]
allrss = [x[1] for i in ("debian", "busybox") for x in data.get((i, "burrow"), [])]
if rss:
    mx = max(allrss)
    w(f"- *peak memory under 150 MB*: **{'MET' if mx < 150 else 'NOT MET'}** — burrow's peak RSS median "
      f"{med('debian','burrow',1):.0f} MB on debian, {med('busybox','burrow',1) or 0:.0f} MB on busybox; "
      f"highest single run {mx:.0f} MB.")
else:
    w("- *peak memory under 150 MB*: **NOT MEASURABLE** — burrow failed (see below).")
w("")
w("Caveat: podman's pull includes unpacking the layers into its storage; burrow's does not (it unpacks each layer "
  "once, on the first run that needs it), so the pull ratio flatters burrow, and skopeo (the same work as burrow's "
  "pull) is the like-for-like reference there. The fair comparison of the two is the **cold run** table: "
  "`burrow run --rm --network none REF TRUE` and rootless `podman run --rm --tls-verify=false "
  + E.get("B_PODMAN_RUN_OPTS", "") + " REF TRUE`, each into empty storage, each pulling, unpacking and starting "
  "(TRUE is `/bin/busybox true` or `/usr/bin/true`).")
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
w("Raw per-run results (image, tool, run, status, wall s, peak RSS KB, CPU s user+sys, destination KB on disk, 1-min load average just before the run):")
w("")
w("```")
for r in rows:
    w("\t".join(r))
w("```")
open(out, "w").write("\n".join(L) + "\n")
PY

write_section pull "$WORK/section.md"
