#!/usr/bin/env bash
# The Debian fixture image (root; called by install.sh; cached): debootstrap's
# minbase of bookworm with python3 and git, as an OCI image layout that up.sh
# pushes as `debian:latest`. The escape suite runs everyday programs (apt-get,
# Python, git, a forking and threaded test suite) in it under the default
# seccomp profile. Built once per machine: the stamp names what was asked for.
#   debian-fixture.sh [CACHE_DIR]      (default /var/cache/burrow-test/debian)
set -euo pipefail
CACHE="${1:-/var/cache/burrow-test/debian}"
SPEC="bookworm minbase python3,git v2"
[ -f "$CACHE/oci/index.json" ] && [ "$(cat "$CACHE/stamp" 2>/dev/null)" = "$SPEC" ] && exit 0

command -v debootstrap >/dev/null || { echo "debian-fixture.sh: debootstrap is missing" >&2; exit 1; }
mkdir -p "$CACHE"
rm -rf "$CACHE/rootfs.tmp" "$CACHE/oci.tmp" "$CACHE/oci" "$CACHE/stamp"
# The mirror apt already uses on this machine, else Debian's own.
mirrors=()
while read -r m; do [ -n "$m" ] && mirrors+=("$m"); done < <(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | tr -d ' ' | sort -u)
mirrors+=(http://deb.debian.org/debian)
ok=0
for mirror in "${mirrors[@]}"; do
  rm -rf "$CACHE/rootfs.tmp"
  if debootstrap --variant=minbase --include=python3,git bookworm "$CACHE/rootfs.tmp" "$mirror" >"$CACHE/debootstrap.log" 2>&1; then ok=1; break; fi
done
[ "$ok" = 1 ] || { echo "debian-fixture.sh: debootstrap failed, see $CACHE/debootstrap.log" >&2; exit 1; }
# Documentation and translations are a third of the size and no test reads them;
# apt's package lists stay, for `apt-get -s install`.
rm -rf "$CACHE/rootfs.tmp/var/cache/apt/archives/"*.deb "$CACHE/rootfs.tmp/usr/share/"{doc,man,info,locale}/*

python3 - "$CACHE/rootfs.tmp" "$CACHE/oci.tmp" <<'PY'
"""One gzip layer of the root file system (numeric owners, as root sees them) in an OCI layout."""
import gzip, hashlib, json, os, platform, subprocess, sys
rootfs, out = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(out, "blobs", "sha256"))
tar = subprocess.run(["tar", "--numeric-owner", "--sort=name", "-C", rootfs, "-cf", "-", "."],
                     stdout=subprocess.PIPE, check=True).stdout
def blob(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as fh:
        fh.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}
layer = blob(gzip.compress(tar, compresslevel=1, mtime=0))
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), "amd64")
config = blob(json.dumps({
    "architecture": arch, "os": "linux", "created": "2024-01-01T00:00:00Z",
    "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/bash"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
    "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "debootstrap --variant=minbase --include=python3,git bookworm"}],
}).encode())
manifest = blob(json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
}).encode())
with open(os.path.join(out, "index.json"), "w") as fh:
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest,
               "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, fh)
with open(os.path.join(out, "oci-layout"), "w") as fh:
    json.dump({"imageLayoutVersion": "1.0.0"}, fh)
PY
rm -rf "$CACHE/rootfs.tmp"
mv "$CACHE/oci.tmp" "$CACHE/oci"
chmod -R a+rX "$CACHE"
echo "$SPEC" >"$CACHE/stamp"
