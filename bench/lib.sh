# Shared by bench/pull.sh, bench/run.sh and bench/scale.sh; sourced, not run:
#   . "$(dirname "$0")/lib.sh"
# Set LOG_TAG (default "bench") before sourcing to change the log prefix.
# Defines REPO BUSER CACHE PORT REG BURROW_SRC from the environment (BENCH_USER, BENCH_CACHE,
# BENCH_PORT, BURROW_DIR) and helpers for: prerequisites, work dirs and clean-up, the local
# registry, podman/burrow configuration, running as the user, the build/ snapshot,
# hyperfine, machine info and rewriting one marked section of BENCHMARKS.md.
# Functions read these globals when set by the caller: WORK PRUN XDG STORE REG_PID
# BURROW ERRS; a caller may define cleanup_extra (run first by the EXIT trap).

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The checkout whose build is measured: this one, or BURROW_DIR (e.g. BURROW_DIR=/work/main
# to measure another worktree's build with these scripts). BENCHMARKS.md is always this one's.
BURROW_SRC="$(cd "${BURROW_DIR:-$REPO}" && pwd)"
BUSER="${BENCH_USER:-burrowtest}"
CACHE="${BENCH_CACHE:-/var/tmp/burrow-bench}"
PORT="${BENCH_PORT:-5200}"
REG="127.0.0.1:${PORT}"
REG_PID=""
STORE=""   # run.sh and scale.sh set it: asuser then passes BURROW_ROOT

log() { printf '[%s] %s\n' "${LOG_TAG:-bench}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# require_root SCRIPT
require_root() { [ "$(id -u)" = 0 ] || die "run as root (sudo bash bench/$1)"; }

# apt_install PKG... : installs them quietly if any are given
apt_install() {
  [ $# -gt 0 ] || return 0
  log "installing: $*"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

# user_info: BHOME and BUID of $BUSER (which must exist)
user_info() {
  BHOME="$(getent passwd "$BUSER" | cut -d: -f6)"
  BUID="$(id -u "$BUSER")"
}

# require_build HELPER... : dies unless build/ holds the CLI bundle (what bin/burrow.js
# imports) and the named native helpers
require_build() {
  local h
  [ -f "$BURROW_SRC/build/cli-bundle/main.cjs" ] || die "burrow is not built: cd $BURROW_SRC && npm run build"
  for h in "$@"; do
    [ -x "$BURROW_SRC/build/native/$h" ] || die "burrow is not built ($h missing): cd $BURROW_SRC && npm run build"
  done
}

# ---------------------------------------------------------------- work dirs, clean-up
# make_workdirs NAME PRUN_PREFIX: WORK=/var/tmp/burrow-bench-NAME.XXXXXX, PRUN, XDG
make_workdirs() {
  WORK="$(mktemp -d "/var/tmp/burrow-bench-$1.XXXXXX")"
  chmod 755 "$WORK"
  # podman refuses a --runroot longer than 50 characters: keep it short
  PRUN="$(mktemp -d "/tmp/$2.XXXXXX")"
  chmod 755 "$PRUN"
  XDG="$WORK/xdg"
}

stop_pause() { # rootless podman leaves its pause process behind; end only that one (by pid)
  local f="$XDG/libpod/tmp/pause.pid"
  if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; fi
}
cleanup() {
  set +e
  if declare -F cleanup_extra >/dev/null; then cleanup_extra; fi
  stop_pause
  if [ -n "$REG_PID" ]; then kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null; fi
  if [ -n "${BENCH_KEEP:-}" ]; then log "kept $WORK"; else rm -rf "$WORK" "$PRUN"; fi
}

# ---------------------------------------------------------------- registry
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
# start_registry: a docker-registry of our own on $REG, storage in $WORK/registry
start_registry() {
  mkdir -p "$WORK/registry"
  cat > "$WORK/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry
  delete:
    enabled: true
http:
  addr: $REG
EOF
  if port_open; then die "port $PORT is already in use (BENCH_PORT=...)"; fi
  /usr/bin/docker-registry serve "$WORK/registry.yml" > "$WORK/registry.log" 2>&1 &
  REG_PID=$!
  for _ in $(seq 50); do port_open && break; sleep 0.1; done
  port_open || { cat "$WORK/registry.log" >&2; die "registry did not start"; }
  log "registry pid $REG_PID on $REG"
}
# push_images IMG... : $CACHE/oci-IMG -> $REG/bench/IMG:latest
push_images() {
  local img
  for img in "$@"; do
    log "pushing bench/$img:latest"
    skopeo copy -q --dest-tls-verify=false "oci:$CACHE/oci-$img:latest" "docker://$REG/bench/$img:latest" >&2
  done
}

# write_configs: $WORK/registries.conf (our registry, plain HTTP) and an empty burrow config
write_configs() {
  cat > "$WORK/registries.conf" <<EOF
unqualified-search-registries = []
[[registry]]
location = "$REG"
insecure = true
EOF
  echo '{}' > "$WORK/burrow-config.json"
  chmod 644 "$WORK/registries.conf" "$WORK/burrow-config.json"
}

# Everything measured runs through this: the user, a clean environment.
# BURROW_ROOT is set only when the caller has set STORE.
# asuser_argv: AS_ARGV = that prefix (runuser … env -i …), for callers that wrap it.
asuser_argv() {
  AS_ARGV=(runuser -u "$BUSER" -- env -i HOME="$BHOME" USER="$BUSER" LOGNAME="$BUSER"
    PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR="$XDG"
    CONTAINERS_REGISTRIES_CONF="$WORK/registries.conf"
    BURROW_CONFIG="$WORK/burrow-config.json" ${STORE:+"BURROW_ROOT=$STORE"})
}
asuser() {
  asuser_argv
  "${AS_ARGV[@]}" "$@"
}

# ---------------------------------------------------------------- burrow snapshot
# snapshot_burrow HELPER... : burrow runs from a snapshot of $BURROW_SRC's package.json bin/
# build/ (with build/cli-bundle, which bin/burrow.js imports) node_modules/ schemas/ taken
# now: others may rebuild build/ while this runs (a half-built tree fails or mixes
# versions). Sets BDIR, BURROW (argv), SNAP_GIT, SNAP_BUILT.
snapshot_burrow() {
  local attempt h ok
  BDIR="$WORK/burrow"
  for attempt in 1 2 3 4 5; do
    rm -rf "$BDIR"; mkdir -p "$BDIR"
    cp -a "$BURROW_SRC/package.json" "$BURROW_SRC/bin" "$BURROW_SRC/build" "$BURROW_SRC/node_modules" "$BDIR/"
    [ -d "$BURROW_SRC/schemas" ] && cp -a "$BURROW_SRC/schemas" "$BDIR/"
    ok=1
    [ -f "$BDIR/build/cli-bundle/main.cjs" ] || ok=0
    for h in "$@"; do [ -x "$BDIR/build/native/$h" ] || ok=0; done
    if [ "$ok" = 1 ] && node "$BDIR/bin/burrow.js" --version >/dev/null 2>&1; then break; fi
    [ "$attempt" = 5 ] && die "could not take a consistent snapshot of $BURROW_SRC/build (being rebuilt?)"
    log "build/ looks incomplete (being rebuilt?), retrying the snapshot"; sleep 5
  done
  chown -R "$BUSER": "$BDIR"
  SNAP_GIT="$(git -C "$BURROW_SRC" rev-parse --short HEAD 2>/dev/null || echo '?')"
  if [ -n "$(git --no-optional-locks -C "$BURROW_SRC" status --porcelain -- src native 2>/dev/null)" ]; then SNAP_GIT="$SNAP_GIT, uncommitted changes in src/"; fi
  [ "$BURROW_SRC" = "$REPO" ] || SNAP_GIT="$SNAP_GIT of $BURROW_SRC"
  SNAP_BUILT="$(date -u -r "$BDIR/build/cli-bundle/main.cjs" '+%Y-%m-%d %H:%M UTC')"
  BURROW=(node "$BDIR/bin/burrow.js")
}

# ---------------------------------------------------------------- errors, hyperfine
note_error() { # TITLE CMDLINE OUTPUTFILE  (appends to $ERRS)
  { echo "#### $1"; echo '```'; echo "\$ $2"; tail -c 1500 "$3"; echo '```'; echo; } >> "$ERRS"
}
# q ARG...: shell-quoted, for hyperfine command lines
q() { local s; for s in "$@"; do printf "'%s' " "${s//\'/\'\\\'\'}"; done; }
# hf_json JSONFILE then pairs "label" "command line" ... ; runs hyperfine as the user, no shell
# (WARMUP and RUNS from the caller)
hf_json() {
  local json="$1"; shift
  local args=(-N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$json")
  while [ $# -gt 0 ]; do args+=(-n "$1" "$2"); shift 2; done
  (cd "$WORK" && asuser hyperfine "${args[@]}") >&2
}

# ---------------------------------------------------------------- report
# export_machine_info: B_NPROC B_CPU B_MEM B_KERNEL B_DATE, and B_FS of $WORK if set
export_machine_info() {
  export B_NPROC="$(nproc)" B_CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  export B_MEM="$(free -h | awk '/^Mem:/{print $2}')" B_KERNEL="$(uname -r)" B_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
  if [ -n "${WORK:-}" ]; then export B_FS="$(findmnt -n -o FSTYPE,SOURCE --target "$WORK" | tr -s ' ')"; fi
}
# other_procs REGEX: "3× node (burrowtest), …" for processes whose name matches REGEX (the noise)
other_procs() {
  ps -eo user=,comm= | awk -v re="$1" '$2 ~ re' | sort | uniq -c | awk '{printf "%s%s× %s (%s)", (NR>1?", ":""), $1, $3, $2}'
}

# write_section NAME FILE: puts FILE between <!-- NAME:begin --> and <!-- NAME:end --> of
# BENCHMARKS.md at the repo root (creating the file / markers if missing), then prints it
write_section() {
  local bm="$REPO/BENCHMARKS.md"
  python3 - "$bm" "$2" "$1" <<'PY'
import os, sys
path, sec, name = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
B, E = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
txt = open(path).read() if os.path.exists(path) else (
    "# Benchmarks\n\nNumbers produced by the scripts in `bench/` (see `bench/README.md`). "
    "One section per benchmark; each script rewrites only its own section.\n\n")
block = f"{B}\n{sec}{E}"
if B in txt and E in txt and txt.index(B) < txt.index(E):
    i, j = txt.index(B), txt.index(E) + len(E)
    txt = txt[:i] + block + txt[j:]
else:
    txt = txt.rstrip("\n") + "\n\n" + block + "\n"
open(path, "w").write(txt)
PY
  log "wrote $bm"
  cat "$2"
}
