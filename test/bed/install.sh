#!/usr/bin/env bash
# Machine setup for burrow's test bed. Run as root; idempotent and quiet on
# success, so run-tests.sh can call it on every run (a second run is fast).
#   install.sh [tests|quickstart]     (default: tests)
# quickstart: only what `npm run quickstart` uses (the bed's registries and busybox
# fixtures, the build, burrow's own tools); tests: that and everything the suite
# needs besides (Podman, the Debian fixture image, the cgroup v2 VM, the tmpfs…).
set -euo pipefail

PURPOSE="${1:-tests}"
case "$PURPOSE" in
  tests|quickstart) ;;
  *) echo "install.sh: unknown purpose '$PURPOSE' (use: install.sh [tests|quickstart])" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: must run as root" >&2
  exit 1
fi

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TEST_USER=burrowtest
TINYFS=/mnt/burrow-tinyfs

# --- (a) Debian packages -----------------------------------------------------
# What the quickstart uses: burrow's tools (uidmap, bubblewrap, fuse-overlayfs), the
# build's C compiler and the layer inflater's libraries (ISA-L, libcrypto, zlib, libzstd:
# scripts/build-inflate.sh), and up.sh's (registries, skopeo, htpasswd, openssl, the fixtures'
# busybox and zstd, python3; curl for readiness polls, not always in minimal images).
PKGS=(docker-registry skopeo busybox-static bubblewrap uidmap fuse-overlayfs
      apache2-utils zstd python3 openssl curl gcc libc6-dev libisal-dev libssl-dev zlib1g-dev libzstd-dev)
# The suite's besides. runc: Podman's crun refuses this kind of host (cgroup v1
# hybrid); the Podman comparison test runs Podman with runc and the cgroupfs manager.
# apparmor: its apparmor_parser checks the syntax of burrow's profile (apparmor/burrow)
# in parse-only mode; this kernel has no AppArmor, so nothing is loaded or enforced.
if [ "$PURPOSE" = tests ]; then
  PKGS+=(umoci podman runc slirp4netns passt debootstrap apparmor)
fi
missing=()
for p in "${PKGS[@]}"; do
  # dpkg -s succeeds for removed-but-configured packages too; check the status.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt_install() { apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
  # Update the lists only when needed: when there are none, or the install
  # fails because they are stale.
  if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
    apt-get update -qq >/dev/null
  fi
  if ! apt_install 2>/dev/null; then
    apt-get update -qq >/dev/null
    apt_install
  fi
fi

# The docker-registry package starts a system registry on :5000. The bed runs
# its own instances, so stop and disable that one (machines with or without
# systemd). Errors are fine: it may simply not be running.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
else
  service docker-registry stop >/dev/null 2>&1 || true
  update-rc.d docker-registry disable >/dev/null 2>&1 || true
fi
# Anything still running as the package's service (user docker-registry) goes.
for pid in $(pgrep -u docker-registry -f '^/usr/bin/docker-registry' 2>/dev/null || true); do
  kill "$pid" 2>/dev/null || true
done

# --- (b) unprivileged test user with subordinate id ranges -------------------
if ! id "$TEST_USER" >/dev/null 2>&1; then
  useradd --create-home --home-dir "/home/$TEST_USER" --shell /bin/bash "$TEST_USER"
fi
# Next free start for a 65536 range: above every existing range and >= 200000.
next_free_start() {  # $1 = /etc/subuid or /etc/subgid
  awk -F: 'BEGIN { m = 200000 }
           NF >= 3 { e = $2 + $3; if (e > m) m = e }
           END { print (int((m + 65535) / 65536)) * 65536 }' "$1" 2>/dev/null || echo 200000
}
touch /etc/subuid /etc/subgid
if ! grep -q "^$TEST_USER:" /etc/subuid; then
  s="$(next_free_start /etc/subuid)"
  usermod --add-subuids "$s-$((s + 65535))" "$TEST_USER"
fi
if ! grep -q "^$TEST_USER:" /etc/subgid; then
  s="$(next_free_start /etc/subgid)"
  usermod --add-subgids "$s-$((s + 65535))" "$TEST_USER"
fi

# --- (c) device nodes rootless tools need ------------------------------------
# Standard distros ship these 0666; some containers ship them 0600.
for dev in /dev/fuse /dev/net/tun; do
  [ -e "$dev" ] && chmod 0666 "$dev" 2>/dev/null || true
done

# --- (d)…(d4): for the test suite only -----------------------------------------
# The quickstart never fills a disk, resolves registry.burrow.test, boots the VM or
# runs Debian's programs: it skips all of this (the VM build alone takes ~1.5 min).
if [ "$PURPOSE" = tests ]; then
  # --- (d) tiny tmpfs to simulate a full disk ----------------------------------
  mkdir -p "$TINYFS"
  if ! mountpoint -q "$TINYFS"; then
    if ! mount -t tmpfs -o "size=6m,mode=0755,uid=$(id -u "$TEST_USER"),gid=$(id -g "$TEST_USER")" \
          burrow-tinyfs "$TINYFS" 2>/dev/null; then
      # Not fatal: bed.json then reports "tinyfs": null and those tests skip.
      echo "install.sh: warning: could not mount tmpfs at $TINYFS (no CAP_SYS_ADMIN?)" >&2
    fi
  fi

  # --- (d2) a registry name that resolves to loopback but is not "loopback" ---
  # Tests that plain HTTP is refused for a registry not listed as insecure need a
  # host name burrow cannot recognise as loopback by its form.
  grep -q 'registry\.burrow\.test' /etc/hosts || echo '127.0.0.1 registry.burrow.test' >> /etc/hosts

  # --- (d3) the pure cgroup v2 VM (like a GitHub ubuntu-24.04 runner) ---------
  # shared/ stands beside the checkout on developer machines and in CI; its image is
  # built once (cached by a stamp) and booted by the cgroup-v2 tests as the test user.
  VM_TOOL="$REPO/../shared/cgroup2-vm"
  if [ -x "$VM_TOOL/build-image.sh" ]; then
    bash "$VM_TOOL/build-image.sh" >/tmp/burrow-vm-build.log 2>&1 || echo "install.sh: warning: the cgroup v2 VM image did not build (see /tmp/burrow-vm-build.log); its tests will skip" >&2
  fi

  # --- (d4) the Debian fixture image (debootstrap needs root; cached) -----------
  if ! bash "$REPO/test/bed/debian-fixture.sh" >/tmp/burrow-debian-fixture.log 2>&1; then
    echo "install.sh: warning: the Debian fixture image did not build (see /tmp/burrow-debian-fixture.log); the tests that run Debian's programs will fail" >&2
  fi
fi

# --- (e) let the test user read the checkout ---------------------------------
# o+rx on each parent directory where it is missing (never take anything away).
d="$REPO"
while :; do
  perms="$(stat -c %A "$d")"
  if [ "${perms:7:1}" != r ] || [ "${perms:9:1}" != x ]; then chmod o+rx "$d"; fi
  [ "$d" = / ] && break
  d="$(dirname "$d")"
done
chmod -R a+rX "$REPO"
# Vite bundles vitest.config.ts into node_modules/.vite-temp (or next to the
# config when that is not writable); the test user must be able to write there.
if [ -d "$REPO/node_modules" ]; then
  mkdir -p "$REPO/node_modules/.vite-temp"
  chmod 1777 "$REPO/node_modules/.vite-temp"
fi
