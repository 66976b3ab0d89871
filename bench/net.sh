#!/usr/bin/env bash
# Network benchmark (issue 11): TCP throughput and connection latency through
# burrow's user-space network helpers, side by side with rootless Podman in one run,
# and what the network set-up adds to a warm `run --rm IMAGE true`.
# Run as root: sudo bash bench/net.sh   (every measured command runs as BENCH_USER)
#
# Paths measured, each with bench/netperf.c (static, bind-mounted into busybox):
#   published port   host → 127.0.0.1:HOSTPORT → container (-p 127.0.0.1:HOSTPORT:5001)
#   to the host      container → the host's loopback (burrow: --add-host h:host-gateway;
#                    Podman 4.3: slirp4netns:allow_host_loopback=true, 10.0.2.2)
#   user network     container → container by name on `network create` networks
# for burrow with pasta, burrow with slirp4netns and Podman with its default helper here
# (4.3: slirp4netns, ports through rootlessport).
# Env: BENCH_USER (burrowtest), BENCH_CACHE (/var/tmp/burrow-bench: bench/pull.sh's images),
#      BENCH_PORT (5200, the registry), BENCH_SECONDS (3, per throughput sample),
#      BENCH_ROUNDS (3, samples per path and tool; medians), BENCH_LAT_N (300 connections),
#      BENCH_WARMUP (3), BENCH_RUNS (20) for the warm runs, in BENCH_WARM_ROUNDS (5) interleaved
#      hyperfine rounds (order reversed every other round; medians over all the rounds' runs),
#      so that a load that comes and goes (other users of the machine) weighs on every command alike.
# Writes the section between <!-- net:begin --> and <!-- net:end --> of BENCHMARKS.md.
set -euo pipefail
LOG_TAG=net
. "$(dirname "$0")/lib.sh"

SECONDS_PER="${BENCH_SECONDS:-3}"
ROUNDS="${BENCH_ROUNDS:-3}"
LAT_N="${BENCH_LAT_N:-300}"
WARMUP="${BENCH_WARMUP:-3}"
RUNS="${BENCH_RUNS:-20}"
WARM_ROUNDS="${BENCH_WARM_ROUNDS:-5}"

require_root net.sh
need=()
for c in docker-registry skopeo podman runc slirp4netns pasta hyperfine gcc; do
  command -v "$c" >/dev/null || case $c in pasta) need+=(passt) ;; *) need+=("$c") ;; esac
done
apt_install ${need[@]+"${need[@]}"}
id "$BUSER" >/dev/null 2>&1 || die "user $BUSER does not exist (bench/pull.sh creates it)"
[ -f "$CACHE/oci-busybox/index.json" ] || die "$CACHE/oci-busybox is missing: run bench/pull.sh once"
chmod 0666 /dev/net/tun /dev/fuse 2>/dev/null || true
user_info
require_build burrow-init burrow-net

make_workdirs net bnt
cleanup_extra() {
  asuser "${BURROW[@]}" rm -f bsrv >/dev/null 2>&1 || true
  asuser "${BURROW[@]}" rm -f usrv >/dev/null 2>&1 || true
  asuser "${BURROW[@]}" network rm benchnet >/dev/null 2>&1 || true
  if [ ${#PODMAN[@]} -gt 0 ]; then asuser "${PODMAN[@]}" rm -f -a >/dev/null 2>&1 || true; fi
  # runuser does not pass SIGTERM on: the server itself, by its path (unique to this run's $WORK).
  [ -n "${HOST_SERVER:-}" ] && { kill "$HOST_SERVER" 2>/dev/null; pkill -u "$BUSER" -f "^$NP server" 2>/dev/null; } || true
}
PODMAN=()
trap cleanup EXIT INT TERM
start_registry
push_images busybox
STORE="$WORK/store"; PSTORE="$WORK/podman"; OUT="$WORK/out"
mkdir -p "$STORE" "$PSTORE/root" "$OUT" "$XDG"
chmod 700 "$XDG"
write_configs
chown "$BUSER": "$STORE" "$PSTORE" "$PSTORE/root" "$OUT" "$XDG" "$PRUN"
snapshot_burrow burrow-init burrow-net
NP="$WORK/netperf"
gcc -O2 -static -o "$NP" "$REPO/bench/netperf.c"
chmod 755 "$NP"
BB="$REG/bench/busybox:latest"
asuser "${BURROW[@]}" pull -q "$BB" >/dev/null
PODMAN=(podman --root "$PSTORE/root" --runroot "$PRUN" --events-backend none --cgroup-manager cgroupfs --runtime runc)
asuser "${PODMAN[@]}" pull -q --tls-verify=false "$BB" >/dev/null || { log "podman cannot pull: left out"; PODMAN=(); }

# wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s)
wait_port() {
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -g | awk '{a[NR]=$1} END{if(NR==0){print ""}else{print a[int((NR+1)/2)]}}'; }

declare -A TPUT LAT
# sample KEY CMD...: ROUNDS throughput samples of CMD (prints Gbit/s), median into TPUT[KEY]
sample() {
  local key="$1"; shift
  local i out=""
  for i in $(seq "$ROUNDS"); do out+="$("$@" 2>>"$OUT/$key.err" || true)"$'\n'; done
  TPUT[$key]="$(printf '%s' "$out" | grep -E '^[0-9.]+$' | median)"
  log "$key: ${TPUT[$key]:-failed} Gbit/s"
}

# ---------------------------------------------------------------- 1. published port
# publish TOOL KEY RUNFLAGS...: a server container on a published port, the host's client
publish() {
  local tool="$1" key="$2"; shift 2
  local hp; hp="$(free_port)"
  local name=bsrv
  if [ "$tool" = burrow ]; then
    asuser "${BURROW[@]}" run -d --name "$name" "$@" -p "127.0.0.1:$hp:5001" -v "$NP:/netperf:ro" "$BB" /netperf server 5001 >/dev/null
  else
    asuser "${PODMAN[@]}" run -d --name "$name" "$@" -p "127.0.0.1:$hp:5001" -v "$NP:/netperf:ro" "$BB" /netperf server 5001 >/dev/null
  fi
  if wait_port "$hp"; then
    sample "$key-port" asuser "$NP" tput 127.0.0.1 "$hp" "$SECONDS_PER"
    LAT[$key-port]="$(asuser "$NP" connlat 127.0.0.1 "$hp" "$LAT_N" 2>>"$OUT/$key.err" || true)"
  else
    log "$key: the published port never answered"
  fi
  if [ "$tool" = burrow ]; then asuser "${BURROW[@]}" rm -f "$name" >/dev/null; else asuser "${PODMAN[@]}" rm -f "$name" >/dev/null; fi
}
publish burrow burrow-pasta --network pasta
publish burrow burrow-slirp --network slirp4netns
[ ${#PODMAN[@]} -gt 0 ] && publish podman podman

# ---------------------------------------------------------------- 2. container → host
HP="$(free_port)"
asuser "$NP" server "$HP" 2>/dev/null &
HOST_SERVER=$!
wait_port "$HP" || die "the host's netperf server did not start"
to_host() {
  local key="$1"; shift
  sample "$key-host" asuser "$@" /netperf tput h "$HP" "$SECONDS_PER"
  LAT[$key-host]="$(asuser "$@" /netperf connlat h "$HP" "$LAT_N" 2>>"$OUT/$key.err" || true)"
}
to_host burrow-pasta "${BURROW[@]}" run --rm --network pasta --add-host h:host-gateway -v "$NP:/netperf:ro" "$BB"
to_host burrow-slirp "${BURROW[@]}" run --rm --network slirp4netns --add-host h:host-gateway -v "$NP:/netperf:ro" "$BB"
[ ${#PODMAN[@]} -gt 0 ] && to_host podman "${PODMAN[@]}" run --rm --network slirp4netns:allow_host_loopback=true --add-host h:10.0.2.2 -v "$NP:/netperf:ro" "$BB"

# ---------------------------------------------------------------- 3. user network
user_net() {
  local key="$1"; shift
  local tool=("$@")
  if ! asuser "${tool[@]}" network create benchnet >/dev/null 2>"$OUT/$key.err"; then log "$key: network create failed"; return; fi
  if asuser "${tool[@]}" run -d --name usrv --network benchnet -v "$NP:/netperf:ro" "$BB" /netperf server 5001 >/dev/null 2>>"$OUT/$key.err"; then
    sleep 1
    # Podman 4.3's CNI networks resolve names only with the dnsname plugin (not installed): its address then.
    local target=usrv
    [ "$key" = podman ] && target="$(asuser "${tool[@]}" inspect -f '{{.NetworkSettings.Networks.benchnet.IPAddress}}' usrv)"
    sample "$key-net" asuser "${tool[@]}" run --rm --network benchnet -v "$NP:/netperf:ro" "$BB" /netperf tput "$target" 5001 "$SECONDS_PER"
    LAT[$key-net]="$(asuser "${tool[@]}" run --rm --network benchnet -v "$NP:/netperf:ro" "$BB" /netperf connlat "$target" 5001 "$LAT_N" 2>>"$OUT/$key.err" || true)"
  fi
  asuser "${tool[@]}" rm -f usrv >/dev/null 2>&1 || true
  asuser "${tool[@]}" network rm benchnet >/dev/null 2>&1 || true
}
user_net burrow "${BURROW[@]}"
[ ${#PODMAN[@]} -gt 0 ] && user_net podman "${PODMAN[@]}"

# ---------------------------------------------------------------- 4. set-up cost of a warm run
JSON="$WORK/warm"; mkdir -p "$JSON"; chown "$BUSER": "$WORK" "$JSON"
set -- "burrow none" "$(q "${BURROW[@]}") run --rm --network none $BB /bin/busybox true" \
       "burrow pasta" "$(q "${BURROW[@]}") run --rm --network pasta $BB /bin/busybox true" \
       "burrow slirp4netns" "$(q "${BURROW[@]}") run --rm --network slirp4netns $BB /bin/busybox true"
if [ ${#PODMAN[@]} -gt 0 ]; then
  set -- "$@" "podman none" "$(q "${PODMAN[@]}") run --rm --network none $BB /bin/busybox true" \
              "podman slirp4netns" "$(q "${PODMAN[@]}") run --rm --network slirp4netns $BB /bin/busybox true"
fi
# reversed PAIRS...: the label/command pairs in the other order
reversed() { local out=(); while [ $# -gt 0 ]; do out=("$1" "$2" "${out[@]}"); shift 2; done; printf '%s\0' "${out[@]}"; }
log "hyperfine: warm runs, $WARM_ROUNDS interleaved rounds"
ALL_RUNS="$RUNS"
RUNS=$(( (ALL_RUNS + WARM_ROUNDS - 1) / WARM_ROUNDS ))
for round in $(seq "$WARM_ROUNDS"); do
  if [ $((round % 2)) = 0 ]; then mapfile -d '' -t pairs < <(reversed "$@"); else pairs=("$@"); fi
  hf_json "$JSON/round-$round.json" "${pairs[@]}"
  [ "$round" = 1 ] && WARMUP=1
done
RUNS="$ALL_RUNS"

# ---------------------------------------------------------------- report
export_machine_info
SEC="$OUT/section.md"
{
  for k in "${!TPUT[@]}"; do echo "T $k ${TPUT[$k]}"; done
  for k in "${!LAT[@]}"; do echo "L $k ${LAT[$k]}"; done
} > "$OUT/figures.txt"
B_BURROW="$SNAP_GIT, built $SNAP_BUILT" B_PODMAN="$(podman --version | awk '{print $3}')" \
B_PASTA="$(dpkg-query -W -f='${Version}' passt)" B_SLIRP="$(slirp4netns --version | head -1 | awk '{print $3}')" \
B_SECONDS="$SECONDS_PER" B_ROUNDS="$ROUNDS" B_WARM_ROUNDS="$WARM_ROUNDS" B_LATN="$LAT_N" B_OTHER="$(other_procs '^(node|vitest|docker-registry|podman|burrow)')" \
python3 - "$OUT/figures.txt" "$JSON" > "$SEC" <<'PY'
import json, os, statistics, sys
E = os.environ
T, L = {}, {}
for line in open(sys.argv[1]):
    kind, key, *value = line.split()
    if value and value[0]:
        (T if kind == "T" else L)[key] = float(value[0])
# Every round's runs of a command together (hyperfine's "times", in seconds), in the first round's order.
warm = {}
for name in sorted(os.listdir(sys.argv[2])):
    for r in json.load(open(os.path.join(sys.argv[2], name)))["results"]:
        warm.setdefault(r["command"], {"times": []})["times"] += r["times"]
for r in warm.values():
    r["median"] = statistics.median(r["times"])
def g(key): return f"{T[key]:.2f}" if key in T else "failed"
def l(key): return f"{L[key]:.0f} µs" if key in L else "failed"
def ratio(a, b): return f"{T[a] / T[b]:.2f}×" if a in T and b in T and T[b] > 0 else "–"
print(f"Measured {E['B_DATE']} on {E['B_NPROC']} × {E['B_CPU']}, {E['B_MEM']} RAM, kernel {E['B_KERNEL']}; "
      f"burrow {E['B_BURROW']}; podman {E['B_PODMAN']} (runc, slirp4netns, ports through rootlessport); "
      f"passt {E['B_PASTA']}; slirp4netns {E['B_SLIRP']}. Throughput: median of {E['B_ROUNDS']} samples of "
      f"{E['B_SECONDS']} s on one TCP connection (bench/netperf.c); latency: median of {E['B_LATN']} connections "
      f"(connect, 1-byte round trip, close). Other processes at the end: {E['B_OTHER'] or 'none'}.\n")
print("| path | burrow pasta (Gbit/s) | burrow slirp4netns | podman (slirp4netns) | burrow pasta / podman | burrow slirp4netns / podman |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for path, label in (("port", "host → container, published port"), ("host", "container → host loopback")):
    print(f"| {label} | {g('burrow-pasta-' + path)} | {g('burrow-slirp-' + path)} | {g('podman-' + path)} | {ratio('burrow-pasta-' + path, 'podman-' + path)} | {ratio('burrow-slirp-' + path, 'podman-' + path)} |")
print(f"| container → container, user network (burrow: its switch; podman: bridge in its rootless netns) | {g('burrow-net')} | | {g('podman-net')} | {ratio('burrow-net', 'podman-net')} | |")
print()
print("| connection latency | burrow pasta | burrow slirp4netns | podman |")
print("| --- | ---: | ---: | ---: |")
for path, label in (("port", "published port"), ("host", "to the host")):
    print(f"| {label} | {l('burrow-pasta-' + path)} | {l('burrow-slirp-' + path)} | {l('podman-' + path)} |")
print(f"| user network | {l('burrow-net')} | | {l('podman-net')} |")
print()
print(f"Warm `run --rm busybox true` (medians of {len(next(iter(warm.values()))['times']) if warm else 0} runs each, in {E['B_WARM_ROUNDS']} interleaved hyperfine rounds):\n")
print("| command | median | added over `--network none` |")
print("| --- | ---: | ---: |")
for tool in ("burrow", "podman"):
    base = warm.get(f"{tool} none")
    for name, r in warm.items():
        if not name.startswith(tool):
            continue
        added = "" if base is None or r is base else f"{(r['median'] - base['median']) * 1000:+.0f} ms"
        print(f"| {name} | {r['median'] * 1000:.0f} ms | {added} |")
print()
PY
write_section net "$SEC"
