#!/usr/bin/env bash
# What resource limits cost a warm start (issue 10), on every cgroup route this host and
# the cgroup v2 VM reach. Run as root: sudo bash bench/limits.sh
# Every measured command runs as the unprivileged user (default burrowtest).
#
# Variants, `run --rm IMAGE true` (busybox):
#   no cgroup      BURROW_CGROUP_ROUTE=none: what a start cost before issue 10
#   own cgroup     the route this host gives, default pids limit only
#   limits         --memory 256m --pids-limit 512
#   podman         rootless podman, plain and with the same limits (where it enforces them)
# Routes:
#   this host      cgroup v1 hybrid: route delegated-v1 through a per-user subtree that this
#                  script makes with `burrow setup --user USER` (and undoes, if it made it)
#   VM, scope      ../shared/cgroup2-vm with VM_PLACEMENT=scope: delegated-v2
#   VM, system     VM_PLACEMENT=system (like a GitHub-hosted runner): systemd-user
# The VM runs under software emulation (QEMU TCG, ~10-20x slower than this host): its
# figures are milliseconds of emulated time; compare the variants within one boot.
# Env: BENCH_USER, BENCH_CACHE, BENCH_PORT, BURROW_DIR (as the other scripts),
#      BENCH_WARMUP (3), BENCH_RUNS (30), BENCH_VM_RUNS (10), BENCH_VM (set to 0: skip the VM).
# Writes the section between <!-- limits:begin --> and <!-- limits:end --> of BENCHMARKS.md.
set -euo pipefail
LOG_TAG=limits
. "$(dirname "$0")/lib.sh"

WARMUP="${BENCH_WARMUP:-3}"
RUNS="${BENCH_RUNS:-30}"
VM_RUNS="${BENCH_VM_RUNS:-10}"
VM_TOOL="$REPO/../shared/cgroup2-vm/run-in-vm.sh"

require_root limits.sh
command -v hyperfine >/dev/null || apt_install hyperfine
id "$BUSER" >/dev/null 2>&1 || die "user $BUSER does not exist (bench/pull.sh creates it)"
user_info
require_build burrow-init burrow-cgexec
[ -f "$CACHE/oci-busybox/index.json" ] || die "$CACHE/oci-busybox is missing: run bench/pull.sh once (it builds the cached images)"

make_workdirs limits blim
MADE_SUBTREE=0
cleanup_extra() {
  if [ "$MADE_SUBTREE" = 1 ]; then "${BURROW_ROOT_CLI[@]}" setup --undo --user "$BUSER" >/dev/null 2>&1 || log "could not undo burrow setup"; fi
}
trap cleanup EXIT INT TERM
start_registry
push_images busybox
STORE="$WORK/store"; PSTORE="$WORK/podman"
mkdir -p "$STORE" "$PSTORE/root" "$XDG"; chmod 700 "$XDG"
write_configs
chown "$BUSER": "$STORE" "$PSTORE" "$PSTORE/root" "$XDG" "$PRUN"
snapshot_burrow burrow-init burrow-cgexec
BURROW_ROOT_CLI=(node "$BDIR/bin/burrow.js")
BB="$REG/bench/busybox:latest"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- this host's route
asuser "${BURROW[@]}" pull -q "$BB" >/dev/null
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
  log "the per-user cgroup v1 subtree: burrow setup --user $BUSER"
  "${BURROW_ROOT_CLI[@]}" setup --user "$BUSER" > "$WORK/setup.log" 2>&1 || die "burrow setup failed: $(tail -c 300 "$WORK/setup.log")"
  grep -qi "nothing to do" "$WORK/setup.log" || MADE_SUBTREE=1
fi
# The route and controllers, as burrow doctor reports them.
HOST_ROUTE="$(asuser "${BURROW[@]}" doctor --format json | python3 -c 'import json,sys; c=json.load(sys.stdin)["cgroup"]; print(c["route"] + ": " + " ".join(c["controllers"]))')"
log "this host: $HOST_ROUTE"

# podman: the storage and runtime bench/run.sh found working here
PODMAN=(podman --root "$PSTORE/root" --runroot "$PRUN" --events-backend none --cgroup-manager cgroupfs --storage-driver overlay)
PODMAN_NOTE=""
if asuser "${PODMAN[@]}" pull -q --tls-verify=false "$BB" >/dev/null 2>"$WORK/podman.log" &&
   asuser "${PODMAN[@]}" run --rm --network none --runtime runc --memory 256m --pids-limit 512 "$BB" /bin/busybox true 2>>"$WORK/podman.log"; then
  PODMAN_NOTE="$(grep -m1 -i 'ignored\|not supported' "$WORK/podman.log" || true)"
else
  log "podman does not run here: $(tail -c 300 "$WORK/podman.log")"; PODMAN=()
fi

JSON="$WORK/json"; mkdir -p "$JSON"; chown "$BUSER": "$JSON"
E=(env)
set -- \
  "no cgroup" "$(q "${E[@]}" BURROW_CGROUP_ROUTE=none "${BURROW[@]}") run --rm --network none $BB /bin/busybox true" \
  "own cgroup" "$(q "${E[@]}" BURROW_CGROUP_ROUTE=auto "${BURROW[@]}") run --rm --network none $BB /bin/busybox true" \
  "limits" "$(q "${E[@]}" BURROW_CGROUP_ROUTE=auto "${BURROW[@]}") run --rm --network none --memory 256m --pids-limit 512 $BB /bin/busybox true"
if [ ${#PODMAN[@]} -gt 0 ]; then
  set -- "$@" \
    "podman" "$(q "${PODMAN[@]}") run --rm --network none --runtime runc $BB /bin/busybox true" \
    "podman limits" "$(q "${PODMAN[@]}") run --rm --network none --runtime runc --memory 256m --pids-limit 512 $BB /bin/busybox true"
fi
sync; sleep 2
log "hyperfine: this host"
hf_json "$JSON/host.json" "$@"
# Nothing of the runs may be left in the subtree.
LEFT="$(find /sys/fs/cgroup/*/burrow-"$BUID" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)"

# ---------------------------------------------------------------- the VM's routes
VM_OUT="$WORK/vm"; mkdir -p "$VM_OUT"
if [ "${BENCH_VM:-1}" != 0 ] && [ -x "$VM_TOOL" ] && [ -f "${VM_CACHE:-/tmp/vm/cache}/rootfs.img" ]; then
  SHARE="$WORK/share"; mkdir -p "$SHARE/.vmbin"
  cp -a "$BDIR/bin" "$BDIR/build" "$BDIR/node_modules" "$BDIR/package.json" "$SHARE/"
  [ -d "$BDIR/schemas" ] && cp -a "$BDIR/schemas" "$SHARE/"
  cp /usr/bin/bwrap "$SHARE/.vmbin/bwrap"
  # Rootless Podman for the guest (it has no network and no podman): Debian's packages
  # unpacked into the share, its libraries through LD_LIBRARY_PATH, its paths in the
  # user's containers.conf. Left out, with a line, when the packages cannot be had.
  PODMAN_VM=0
  PD="$WORK/podman-debs"; mkdir -p "$PD" "$SHARE/podman"
  if (cd "$PD" && apt-get download -q podman conmon runc golang-github-containers-common libgpgme11 libassuan0 libgpg-error0 libdevmapper1.02.1 libsubid4 libseccomp2 libglib2.0-0 >/dev/null 2>&1); then
    for deb in "$PD"/*.deb; do dpkg -x "$deb" "$SHARE/podman"; done
    # Podman runs conmon with an environment of its own: the library path goes in a wrapper.
    printf '#!/bin/sh\nLD_LIBRARY_PATH=/mnt/work/podman/usr/lib/x86_64-linux-gnu:/mnt/work/podman/lib/x86_64-linux-gnu exec /mnt/work/podman/usr/bin/conmon "$@"\n' > "$SHARE/podman/conmon"
    printf '#!/bin/sh\nLD_LIBRARY_PATH=/mnt/work/podman/usr/lib/x86_64-linux-gnu:/mnt/work/podman/lib/x86_64-linux-gnu exec /mnt/work/podman/usr/sbin/runc "$@"\n' > "$SHARE/podman/runc"
    chmod 755 "$SHARE/podman/conmon" "$SHARE/podman/runc"
    PODMAN_VM=1
  else
    log "could not download podman's packages: the VM runs burrow alone"
  fi
  skopeo copy -q "oci:$CACHE/oci-busybox:latest" "docker-archive:$SHARE/busybox.tar:bench/busybox:latest"
  # One line per run: VARIANT MILLISECONDS; interleaved, so drift hits every variant alike.
  cat > "$SHARE/bench.sh" <<EOF
export PATH=/mnt/work/.vmbin:\$PATH BURROW_ROOT=/tmp/store HOME=/tmp/home
mkdir -p \$HOME; cd /mnt/work
b() { node bin/burrow.js "\$@"; }
b load -i busybox.tar >/dev/null
echo "route=\$(BURROW_CGROUP_ROUTE=auto b doctor --format json | tr -d '\n' | grep -o '"route": *"[a-z0-9-]*"' | head -1)"
VARIANTS="none auto limits"; PODMAN_VARIANTS=""
if [ $PODMAN_VM = 1 ]; then
  P=/mnt/work/podman; mkdir -p \$HOME/.config/containers /tmp/p
  export LD_LIBRARY_PATH=\$P/usr/lib/x86_64-linux-gnu:\$P/lib/x86_64-linux-gnu
  printf '{"default":[{"type":"insecureAcceptAnything"}]}\\n' > \$HOME/.config/containers/policy.json
  printf '[storage]\\ndriver = "overlay"\\ngraphroot = "/tmp/p/root"\\nrunroot = "/tmp/p/run"\\n' > \$HOME/.config/containers/storage.conf
  printf '[containers]\\nseccomp_profile = "%s"\\n[engine]\\nconmon_path = ["%s"]\\nruntime = "runc"\\nevents_logger = "none"\\ncgroup_manager = "systemd"\\n[engine.runtimes]\\nrunc = ["%s"]\\n' \$P/usr/share/containers/seccomp.json \$P/conmon \$P/runc > \$HOME/.config/containers/containers.conf
  pm() { \$P/usr/bin/podman "\$@"; }
  pm load -q -i busybox.tar >/dev/null 2>/tmp/perr || echo "podman-fail=load \$(head -c 300 /tmp/perr)"
  if pm run --rm --network none --memory 256m --pids-limit 512 bench/busybox /bin/busybox cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max > /tmp/pout 2>/tmp/perr; then
    echo "podman-limits=\$(tr '\\n' ' ' < /tmp/pout)"; PODMAN_VARIANTS="podman podman-limits"
  else
    echo "podman-fail=\$(head -c 300 /tmp/perr)"
  fi
fi
for v in none auto limits; do b run --rm bench/busybox true >/dev/null 2>&1; done
# burrow's variants interleaved, then Podman's: a Podman run's teardown would slow the run after it.
for i in \$(seq $VM_RUNS) \$(for j in \$(seq $VM_RUNS); do echo p\$j; done); do
  case \$i in p*) [ -n "\$PODMAN_VARIANTS" ] || continue; set -- \$PODMAN_VARIANTS ;; *) set -- \$VARIANTS ;; esac
  for v in "\$@"; do
    if [ \$v = podman ] || [ \$v = podman-limits ]; then
      extra=""; [ \$v = podman-limits ] && extra="--memory 256m --pids-limit 512"
      t0=\$(date +%s%N)
      pm run --rm --network none \$extra bench/busybox /bin/busybox true >/dev/null 2>/tmp/err || echo "fail=\$v \$(head -c 200 /tmp/err)"
      t1=\$(date +%s%N)
      echo "t \$v \$(( (t1 - t0) / 1000000 ))"
      continue
    fi
    case \$v in
      none) set -- env BURROW_CGROUP_ROUTE=none ;;
      auto) set -- env BURROW_CGROUP_ROUTE=auto ;;
      limits) set -- env BURROW_CGROUP_ROUTE=auto ;;
    esac
    extra=""; [ \$v = limits ] && extra="--memory 256m --pids-limit 512"
    t0=\$(date +%s%N)
    "\$@" node bin/burrow.js run --rm --network none \$extra bench/busybox /bin/busybox true >/dev/null 2>/tmp/err || echo "fail=\$v \$(head -c 200 /tmp/err)"
    t1=\$(date +%s%N)
    echo "t \$v \$(( (t1 - t0) / 1000000 ))"
  done
done
echo "left=\$(find /sys/fs/cgroup -name 'burrow-[0-9a-f]*' -type d | grep -v burrow-leaf | wc -l)"
EOF
  chown -R 1001:1001 "$SHARE"
  for placement in scope system; do
    log "VM, placement $placement ($VM_RUNS runs of each variant)"
    VM_PLACEMENT="$placement" VM_SHARE_DIR="$SHARE" VM_SHARE_CHOWN=1 VM_TIMING=0 \
      bash "$VM_TOOL" "bash /mnt/work/bench.sh" > "$VM_OUT/$placement.txt" 2>&1 || log "VM run ($placement) failed: $(tail -c 300 "$VM_OUT/$placement.txt")"
  done
else
  log "the cgroup v2 VM is not here (../shared/cgroup2-vm and its image): its routes are left out"
fi
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- report
export_machine_info
export HOST_ROUTE PODMAN_NOTE LEFT LOAD_START LOAD_END SNAP_GIT SNAP_BUILT RUNS WARMUP VM_RUNS
python3 - "$JSON/host.json" "$VM_OUT" "$WORK/section.md" <<'PY'
import json, os, re, statistics, sys
host_json, vm_dir, out = sys.argv[1:4]
env = os.environ
res = {r["command"]: r for r in json.load(open(host_json))["results"]}
med = lambda name: res[name]["median"] * 1000 if name in res else None
L = []
L.append("## What resource limits cost a start\n")
L.append(f"Generated by `bench/limits.sh` on {env['B_DATE']}. Do not edit by hand between the markers.\n")
L.append(f"Machine: {env['B_NPROC']} cores ({env['B_CPU']}), {env['B_MEM']} RAM, Linux {env['B_KERNEL']}; burrow git {env['SNAP_GIT']} (build of {env['SNAP_BUILT']}). "
         f"Load average start -> end: {env['LOAD_START']} -> {env['LOAD_END']}. Every command runs as the unprivileged user.\n")
L.append("`run --rm IMAGE /bin/busybox true` (busybox). *no cgroup*: `BURROW_CGROUP_ROUTE=none`, as before issue 10; "
         "*own cgroup*: the route the host gives, with the default pids limit; *limits*: `--memory 256m --pids-limit 512`.\n")
L.append(f"### This host (cgroup v1 hybrid, route delegated-v1 through `burrow setup`'s subtree)\n")
L.append(f"hyperfine `-N --warmup {env['WARMUP']} --runs {env['RUNS']}`, medians in ms. Route and controllers, as `burrow doctor` reports them: `{env['HOST_ROUTE']}`.\n")
L.append("| variant | median (ms) | ± | over *no cgroup* (ms) |")
L.append("| --- | ---: | ---: | ---: |")
base = med("no cgroup")
for name in ["no cgroup", "own cgroup", "limits", "podman", "podman limits"]:
    if name in res:
        m = med(name); sd = res[name]["stddev"] * 1000
        over = "" if name.startswith("podman") or name == "no cgroup" else f"{m - base:+.1f}"
        L.append(f"| {name} | {m:.1f} | {sd:.1f} | {over} |")
if env.get("PODMAN_NOTE"):
    L.append(f"\nPodman here (cgroup v1, rootless) enforces nothing: it says `{env['PODMAN_NOTE'].strip()}`.")
L.append(f"\nContainer cgroups left in the subtree after all runs: {env['LEFT']}.\n")
for placement, title in [("scope", "VM, a delegated scope (route delegated-v2)"), ("system", "VM, a root-owned system service with the user manager running, like a GitHub-hosted runner (route systemd-user)")]:
    p = os.path.join(vm_dir, placement + ".txt")
    if not os.path.exists(p):
        continue
    text = open(p).read()
    times = {}
    for v, ms in re.findall(r"^t (\S+) (\d+)$", text, re.M):
        times.setdefault(v, []).append(int(ms))
    fails = re.findall(r"^fail=.*$", text, re.M)
    route = re.search(r'"route": *"([a-z0-9-]+)"', text)
    left = re.search(r"^left=(\d+)", text, re.M)
    L.append(f"### {title}\n")
    L.append(f"QEMU TCG (software emulation), {env['VM_RUNS']} interleaved runs of each, medians in emulated ms (route reported by doctor: {route.group(1) if route else '?'}).\n")
    L.append("| variant | median (ms) | over *no cgroup* (ms) | over, as a share of the start |")
    L.append("| --- | ---: | ---: | ---: |")
    b = statistics.median(times["none"]) if times.get("none") else None
    for v, label in [("none", "no cgroup"), ("auto", "own cgroup"), ("limits", "limits"), ("podman", "podman"), ("podman-limits", "podman limits")]:
        if v in times:
            m = statistics.median(times[v])
            plain = v == "none" or v.startswith("podman") or b is None
            over = "" if plain else f"{m - b:+.0f}"
            share = "" if plain else f"{(m - b) / b * 100:+.1f}%"
            L.append(f"| {label} | {m:.0f} | {over} | {share} |")
    enforced = re.search(r"^podman-limits=(.*)$", text, re.M)
    pfail = re.search(r"^podman-fail=(.*)$", text, re.M)
    if enforced:
        L.append(f"\nPodman enforces the limits here (inside its container: `memory.max pids.max` = `{enforced.group(1).strip()}`).")
    elif pfail:
        L.append(f"\nPodman did not run here: `{pfail.group(1)[:200]}`.")
    if fails:
        L.append(f"\nFailed runs: {len(fails)} (first: `{fails[0][:200]}`)")
    if left:
        L.append(f"\nContainer cgroups left after the runs: {left.group(1)}.")
    L.append("")
open(out, "w").write("\n".join(L) + "\n")
PY
write_section limits "$WORK/section.md"
