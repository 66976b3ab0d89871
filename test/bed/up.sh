#!/usr/bin/env bash
# Bring up burrow's test bed: three local registries (anonymous, basic auth,
# bearer token), a token server, and fixture images pushed into them. Writes
# BED_DIR/bed.json for the tests. Runs as any user (root not needed).
#   up.sh [BED_DIR]
# Env: BURROW_BED_DIR (default BED_DIR), BURROW_BED_PORT_BASE (default 5100:
# anon, +1 basic, +2 token registry, +3 token server).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BED_DIR="${1:-${BURROW_BED_DIR:-/tmp/burrow-bed-$(id -un)}}"
BASE="${BURROW_BED_PORT_BASE:-5100}"
P_ANON=$BASE P_BASIC=$((BASE + 1)) P_TOKEN=$((BASE + 2)) P_TS=$((BASE + 3))
SERVICE=burrow-test-registry
ISSUER=burrow-test-issuer
USERS=(alice:wonderland bob:builder eve:evilpass shortlived:tick)
REGISTRY_BIN=/usr/bin/docker-registry
TINYFS=/mnt/burrow-tinyfs
start_time=$SECONDS

die() { echo "up.sh: $*" >&2; exit 1; }
case "$BED_DIR" in /|"") die "refusing BED_DIR '$BED_DIR'" ;; esac
for tool in "$REGISTRY_BIN" skopeo openssl htpasswd python3 node curl zstd; do
  command -v "$tool" >/dev/null || die "missing $tool (run test/bed/install.sh as root)"
done

# --- start fresh: stop what a previous up left, wipe its data ----------------
bash "$HERE/down.sh" "$BED_DIR"
rm -rf "$BED_DIR"
mkdir -p "$BED_DIR"/{pids,logs,config,auth,fixtures,archives,anon/data,basic/data,token/data}
BED_DIR="$(cd "$BED_DIR" && pwd)"
# Leftovers of earlier tests on the shared full-disk tmpfs (only ours are deletable).
if [ -w "$TINYFS" ]; then find "$TINYFS" -mindepth 1 -delete 2>/dev/null || true; fi

# Fail early and clearly if another bed (or anything) holds our ports: the
# readiness poll would otherwise happily talk to someone else's registry.
for port in $P_ANON $P_BASIC $P_TOKEN $P_TS; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port on 127.0.0.1 is already in use (another bed up? try: bash $HERE/down.sh /tmp/burrow-bed-USER)"
  fi
done

# --- credentials: htpasswd file and the token signing key/cert ---------------
: >"$BED_DIR/auth/htpasswd"
for u in "${USERS[@]}"; do htpasswd -Bbn "${u%%:*}" "${u#*:}" | sed '/^$/d' >>"$BED_DIR/auth/htpasswd"; done
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=burrow-test-token" \
  -keyout "$BED_DIR/auth/token.key" -out "$BED_DIR/auth/token.crt" 2>"$BED_DIR/logs/openssl.log" \
  || die "openssl failed, see $BED_DIR/logs/openssl.log"

# --- registries --------------------------------------------------------------
write_config() {  # name port auth-yaml
  cat >"$BED_DIR/config/$1.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $BED_DIR/$1/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$2
  secret: burrow-test-bed-secret
$3
YAML
}
write_config anon "$P_ANON" ""
write_config basic "$P_BASIC" "auth:
  htpasswd:
    realm: burrow-basic
    path: $BED_DIR/auth/htpasswd"
write_config token "$P_TOKEN" "auth:
  token:
    realm: http://127.0.0.1:$P_TS/token
    service: $SERVICE
    issuer: $ISSUER
    rootcertbundle: $BED_DIR/auth/token.crt"

# Background daemons: stdin/stdout detached so callers (runuser, CI pipes) don't
# wait on them; pids recorded for down.sh. Started from a subshell so they are
# not jobs of this shell (the push throttle below counts jobs, and `wait` would
# otherwise wait for them forever).
start() {  # name command...
  local name=$1; shift
  ( nohup "$@" </dev/null >"$BED_DIR/logs/$name.log" 2>&1 &
    echo $! >"$BED_DIR/pids/$name.pid" )
}
for r in anon basic token; do start "$r" "$REGISTRY_BIN" serve "$BED_DIR/config/$r.yml"; done
start token-server node "$HERE/token-server.mjs" --port "$P_TS" --key "$BED_DIR/auth/token.key" \
  --cert "$BED_DIR/auth/token.crt" --service "$SERVICE" --issuer "$ISSUER"

# Build fixtures while the daemons start.
python3 "$HERE/make-fixtures.py" "$BED_DIR/fixtures"

wait_ready() {  # name url ok-codes...
  local name=$1 url=$2 code; shift 2
  local deadline=$((SECONDS + 20))
  while :; do
    kill -0 "$(cat "$BED_DIR/pids/$name.pid")" 2>/dev/null \
      || die "$name exited during startup, see $BED_DIR/logs/$name.log: $(tail -n 3 "$BED_DIR/logs/$name.log")"
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)"
    for ok in "$@"; do [ "$code" = "$ok" ] && return 0; done
    [ "$SECONDS" -ge "$deadline" ] && die "$name not ready after 20 s (last HTTP code '$code'), see $BED_DIR/logs/$name.log"
    sleep 0.1
  done
}
wait_ready anon "http://127.0.0.1:$P_ANON/v2/" 200
wait_ready basic "http://127.0.0.1:$P_BASIC/v2/" 401
wait_ready token "http://127.0.0.1:$P_TOKEN/v2/" 401
wait_ready token-server "http://127.0.0.1:$P_TS/stats" 200

# --- push fixtures -----------------------------------------------------------
# Pushes to the same repository run one after another (concurrent pushes of
# shared blobs into one repository race in this registry: "manifest blob
# unknown"); different repositories are pushed in parallel, up to 4 at once.
# pushed.tsv (KEY REGISTRY REPO TAG) tells write-bed-json.py what to record.
OCI="oci:$BED_DIR/fixtures/oci"
MAXJOBS=4
# skopeo's blob-info cache would otherwise remember blobs of earlier, wiped beds.
export XDG_DATA_HOME="$BED_DIR/xdg"
mkdir -p "$BED_DIR/queue"
push() {  # key registry repo:tag source-ref mode(oci|v2s2|oci-all|v2s2-all) [layout]
  local key=$1 reg=$2 dest=$3 src=$4 mode=$5 layout=${6:-$OCI} port args=()
  case $reg in anon) port=$P_ANON ;; basic) port=$P_BASIC ;; token) port=$P_TOKEN ;; esac
  printf '%s %s %s %s\n' "$key" "$reg" "${dest%:*}" "${dest##*:}" >>"$BED_DIR/pushed.tsv"
  case $mode in
    # OCI as built: --preserve-digests also stops skopeo from recompressing
    # (it would gzip the uncompressed layer otherwise).
    oci) args=(--preserve-digests) ;;
    oci-all) args=(--all --preserve-digests) ;;
    v2s2) args=(--format v2s2) ;;
    v2s2-all) args=(--all --format v2s2) ;;
  esac
  [ "$reg" = anon ] || args+=(--dest-creds alice:wonderland)
  # Queue the command in its repository's script (run below).
  local q="$reg-${dest%:*}"
  q="$BED_DIR/queue/${q//\//_}.sh"
  printf '%q ' skopeo copy -q --dest-tls-verify=false "${args[@]}" "$layout:$src" \
    "docker://127.0.0.1:$port/$dest" >>"$q"
  echo >>"$q"
}
run_bg() {  # logname command... ; failure leaves a marker that is checked after `wait`
  local log=$1; shift
  while [ "$(jobs -rp | wc -l)" -ge "$MAXJOBS" ]; do wait -n || true; done
  ( "$@" >"$BED_DIR/logs/$log.log" 2>&1 || echo "$log" >>"$BED_DIR/failed" ) &
}

push busybox:latest             anon  busybox:latest           busybox                  v2s2
push library/busybox:latest     anon  library/busybox:latest   busybox                  v2s2
push busybox:oci                anon  busybox:oci              busybox                  oci
push multilayer:oci             anon  multilayer:oci           multilayer               oci
push multilayer:docker          anon  multilayer:docker        multilayer               v2s2
push compression:gzip           anon  compression:gzip         compression-gzip         oci
push compression:uncompressed   anon  compression:uncompressed compression-uncompressed oci
push compression:zstd           anon  compression:zstd         compression-zstd         oci
push multiarch:latest           anon  multiarch:latest         multiarch                oci-all
push multiarch:docker           anon  multiarch:docker         multiarch                v2s2-all
push onlyarm:latest             anon  onlyarm:latest           onlyarm                  oci-all
push corrupt:latest             anon  corrupt:latest           corrupt                  oci
push big:latest                 anon  big:latest               big                      oci
push basic:private/busybox:latest basic private/busybox:latest busybox                  v2s2
push token:public/busybox:latest  token public/busybox:latest  busybox                  v2s2
push token:private/busybox:latest token private/busybox:latest busybox                  v2s2
# Debian with python3 and git (built as root by install.sh: debootstrap needs root).
DEBIAN_OCI=/var/cache/burrow-test/debian/oci
if [ -f "$DEBIAN_OCI/index.json" ]; then
  push debian:latest            anon  debian:latest            latest                   oci "oci:$DEBIAN_OCI"
fi

# The biggest first, so it overlaps with the rest.
queues=("$BED_DIR/queue/anon-big.sh")
for q in "$BED_DIR"/queue/*.sh; do [ "$q" = "${queues[0]}" ] || queues+=("$q"); done
for q in "${queues[@]}"; do run_bg "push-$(basename "$q" .sh)" bash -euo pipefail "$q"; done

# Archives for `burrow load` tests.
A="$BED_DIR/archives"
run_bg archive-busybox-docker skopeo copy -q "$OCI:busybox" "docker-archive:$A/busybox-docker.tar:busybox:latest"
run_bg archive-busybox-oci skopeo copy -q "$OCI:busybox" "oci-archive:$A/busybox-oci.tar:latest"
run_bg archive-multilayer-docker skopeo copy -q "$OCI:multilayer" "docker-archive:$A/multilayer-docker.tar:multilayer:latest"
wait
if [ -s "$BED_DIR/failed" ]; then
  for log in $(cat "$BED_DIR/failed"); do
    echo "up.sh: $log failed, see $BED_DIR/logs/$log.log:" >&2
    sed 's/^/    /' "$BED_DIR/logs/$log.log" >&2
  done
  exit 1
fi

# --- bed.json, then damage corrupt:latest's layer in the registry's storage ---
python3 "$HERE/write-bed-json.py" "$BED_DIR" "$BASE"
layer="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fixtures"]["corrupt:latest"]["layers"][0])' "$BED_DIR/bed.json")"
hex=${layer#sha256:}
blob="$BED_DIR/anon/data/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
[ -f "$blob" ] || die "corrupt:latest layer blob not found at $blob"
size=$(stat -c %s "$blob")
# Same length, different bytes in the middle: the registry serves it as-is.
printf 'BURROW-BED-CORRUPTED-BYTES!' | dd of="$blob" bs=1 seek=$((size / 2)) conv=notrunc status=none
[ "sha256:$(sha256sum "$blob" | cut -d' ' -f1)" != "$layer" ] || die "failed to corrupt $blob"

# Tests count token requests from zero; our own pushes made some.
curl -s -X POST -o /dev/null "http://127.0.0.1:$P_TS/stats/reset"

echo "bed up: $BED_DIR ($((SECONDS - start_time)) s)"
