#!/usr/bin/env bash
# The delegated cgroup v1 subtree of the test bed (issue 10, route `delegated-v1`):
# what `burrow setup` gives a user on a cgroup v1 host, made here as a child of the
# cgroup the test run is already in (read from /proc/self/cgroup), so the tests run
# as the test user inside limits root handed down, and the machine's own cgroups
# are never touched. As root:
#   cgroup-v1.sh up USER REGISTRATION     make burrow-<uid> (or reuse it), register
#   cgroup-v1.sh down USER REGISTRATION   unregister; the last one out removes it
# REGISTRATION names this run (a file under /run/burrow-bed-cgroup-v1/<uid>/ that
# holds the run's pid and the directories it uses): parallel test runs in the same
# cgroup share its subtree (the route finds it by name), and only the last run to
# leave removes it.
# No process is ever moved: the subtree starts empty and the tests' containers
# put themselves in it. On a host without cgroup v1 hierarchies it does nothing.
set -euo pipefail

ACTION="${1:-}" TEST_USER="${2:-}" REGISTRATION="${3:-}"
die() { echo "cgroup-v1.sh: $*" >&2; exit 1; }
case "$ACTION" in up|down) ;; *) die "usage: cgroup-v1.sh up|down USER REGISTRATION" ;; esac
[ -n "$TEST_USER" ] && [ -n "$REGISTRATION" ] || die "usage: cgroup-v1.sh up|down USER REGISTRATION"
[ "$(id -u)" -eq 0 ] || die "must run as root"
case "$REGISTRATION" in */*|.*) die "bad REGISTRATION '$REGISTRATION'" ;; esac

uid="$(id -u "$TEST_USER")" gid="$(id -g "$TEST_USER")"
NAME="burrow-$uid"
REG_DIR="/run/burrow-bed-cgroup-v1/$uid"
# The hierarchies route 3 uses (devices and name=systemd are not burrow's business).
CONTROLLERS=(memory pids cpu cpuacct cpuset freezer blkio)

# The directory of this process's own cgroup in the hierarchy of controller $1, or
# nothing when there is no such v1 hierarchy: the mount point (from mountinfo)
# plus the path /proc/self/cgroup names, less the mount's own root.
own_cgroup_dir() {
  local controller=$1 path mount
  path="$(awk -F: -v c="$controller" '$1 != "0" { n = split($2, cs, ","); for (i = 1; i <= n; i++) if (cs[i] == c) print $3 }' /proc/self/cgroup)"
  [ -n "$path" ] || return 0
  # mountinfo: ID PARENT DEV ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS
  mount="$(awk -v c="$controller" '{
      for (i = 7; $i != "-"; i++) {}
      if ($(i + 1) != "cgroup") next
      n = split($(i + 3), opts, ",")
      for (j = 1; j <= n; j++) if (opts[j] == c) { print $4 " " $5; exit }
    }' /proc/self/mountinfo)"
  [ -n "$mount" ] || return 0
  local root=${mount%% *} point=${mount#* }
  [ "$root" = / ] && root=""
  case "$path" in "$root"|"$root"/*) ;; *) return 0 ;; esac
  path="${path#"$root"}"
  echo "$point${path%/}"
}

dirs=()
for c in "${CONTROLLERS[@]}"; do
  d="$(own_cgroup_dir "$c")"
  [ -n "$d" ] && dirs+=("$c=$d/$NAME")
done
if [ "${#dirs[@]}" -eq 0 ]; then
  echo "cgroup-v1.sh: no cgroup v1 hierarchy here (a cgroup v2 host): no delegated v1 subtree for the tests"
  exit 0
fi

# Registrations of runs that died without leaving (their pid is gone) do not count.
live_registrations() {
  local f pid
  for f in "$REG_DIR"/*; do
    [ -f "$f" ] || continue
    pid="$(head -n 1 "$f" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && [ -d "/proc/$pid" ]; then echo "$f"; else rm -f "$f"; fi
  done
}

if [ "$ACTION" = up ]; then
  mkdir -p "$REG_DIR"
  # The run's pid, then the directories it uses (runs in different cgroups share only some).
  { echo "$PPID"; printf '%s\n' "${dirs[@]#*=}"; } >"$REG_DIR/$REGISTRATION"
  for entry in "${dirs[@]}"; do
    c=${entry%%=*} d=${entry#*=}
    [ -d "$d" ] || mkdir "$d"
    if [ "$c" = cpuset ]; then
      # A new cpuset cgroup has no cpus and no memory nodes: no task could join it.
      # Its parent's, and children (the containers') inherit them from it.
      parent="$(dirname "$d")"
      [ -n "$(cat "$d/cpuset.cpus")" ] || cat "$parent/cpuset.cpus" >"$d/cpuset.cpus"
      [ -n "$(cat "$d/cpuset.mems")" ] || cat "$parent/cpuset.mems" >"$d/cpuset.mems"
      echo 1 >"$d/cgroup.clone_children"
    fi
    chown -R "$uid:$gid" "$d"
  done
  echo "cgroup-v1.sh: delegated cgroup v1 subtree for $TEST_USER: ${dirs[*]#*=}"
  exit 0
fi

rm -f "$REG_DIR/$REGISTRATION"
others="$(live_registrations)"
# What other live runs use stays (parallel runs in the same cgroup share it).
shared=""
for f in $others; do shared+="$(tail -n +2 "$f")"$'\n'; done
status=0
for entry in "${dirs[@]}"; do
  d=${entry#*=}
  [ -d "$d" ] || continue
  if grep -qxF "$d" <<<"$shared"; then
    echo "cgroup-v1.sh: $d stays: other test runs use it"
    continue
  fi
  # Children first (a cgroup directory goes only when it has none): what the
  # tests' containers left. One that still holds processes stays, and says so.
  if ! find "$d" -depth -mindepth 1 -type d -exec rmdir {} + 2>/dev/null || ! rmdir "$d" 2>/dev/null; then
    busy=""
    while IFS= read -r procs; do [ -z "$(cat "$procs" 2>/dev/null)" ] || busy+=" $(dirname "$procs")"; done < <(find "$d" -name cgroup.procs)
    echo "cgroup-v1.sh: warning: $d stays: processes are left in${busy:- (none seen)}" >&2
    status=1
  fi
done
rmdir "$REG_DIR" 2>/dev/null || true
exit "$status"
