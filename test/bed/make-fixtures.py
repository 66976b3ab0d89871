#!/usr/bin/env python3
"""Build burrow's test-bed images as one OCI image layout, without root or network.

    make-fixtures.py OUT_DIR

writes OUT_DIR/oci (an OCI image layout) whose index.json names each fixture
with org.opencontainers.image.ref.name, so up.sh can push `oci:OUT_DIR/oci:NAME`.

Layers are built with tarfile and explicit TarInfo (owners, modes, links,
xattrs as PAX SCHILY.xattr.* records), so files owned by other uids need no
root. Everything is deterministic (fixed mtimes, gzip mtime 0, seeded random
data), so digests stay the same across runs and machines with the same busybox.
"""
import gzip
import hashlib
import io
import json
import os
import platform
import random
import subprocess
import sys
import tarfile

MTIME = 1700000000                 # fixed timestamps => stable digests
CREATED = "2023-11-14T22:13:20Z"   # the same instant, for configs
BUSYBOX = "/bin/busybox"           # Debian's busybox-static
ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "none": "application/vnd.oci.image.layer.v1.tar",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(platform.machine(), "amd64")

# Applets linked into /bin (the brief's list plus a few that tests find handy).
APPLETS = ["sh", "ls", "cat", "echo", "id", "env", "true", "false", "sleep", "hostname", "pwd",
           "mkdir", "rm", "touch", "stat", "test", "grep", "head", "wc", "uname", "whoami", "readlink"]


# --- tar building -------------------------------------------------------------
def _info(name, kind, mode, uid=0, gid=0):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = kind, mode, uid, gid, MTIME
    ti.uname = ti.gname = ""
    return ti

def d(name, mode=0o755, uid=0, gid=0):
    return (_info(name + "/", tarfile.DIRTYPE, mode, uid, gid), None)

def f(name, data, mode=0o644, uid=0, gid=0, xattrs=None):
    if isinstance(data, str):
        data = data.encode()
    ti = _info(name, tarfile.REGTYPE, mode, uid, gid)
    ti.size = len(data)
    if xattrs:
        ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
    return (ti, data)

def sym(name, target):
    ti = _info(name, tarfile.SYMTYPE, 0o777)
    ti.linkname = target
    return (ti, None)

def hard(name, target):
    ti = _info(name, tarfile.LNKTYPE, 0o644)
    ti.linkname = target
    return (ti, None)

def make_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for ti, data in entries:
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def busybox_base():
    with open(BUSYBOX, "rb") as fh:
        bb = fh.read()
    entries = [d("bin"), d("dev"), d("etc"), d("home"), d("proc"), d("root", 0o700), d("sys"),
               d("tmp", 0o1777), d("usr"), d("usr/bin"), d("var"),
               f("bin/busybox", bb, 0o755)]
    entries += [sym("bin/" + a, "busybox") for a in APPLETS]
    entries += [sym("usr/bin/env", "/bin/busybox")]
    entries += [
        f("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                        "app:x:1000:1000:app:/home/app:/bin/sh\n"
                        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"),
        f("etc/group", "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n"),
    ]
    return entries


# --- OCI layout ----------------------------------------------------------------
class Layout:
    def __init__(self, root):
        self.root = root
        self.refs = []
        self._compressed = {}
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(root, "oci-layout"), "w") as fh:
            json.dump({"imageLayoutVersion": "1.0.0"}, fh)

    def blob(self, data, media_type):
        hexd = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.root, "blobs", "sha256", hexd)
        if not os.path.exists(path):
            with open(path, "wb") as fh:
                fh.write(data)
        return {"mediaType": media_type, "digest": "sha256:" + hexd, "size": len(data)}

    def json_blob(self, obj, media_type):
        return self.blob(json.dumps(obj, separators=(",", ":")).encode(), media_type)

    def layer(self, tar, comp, level=6):
        """Store `tar` compressed with `comp`; returns (descriptor, diff_id)."""
        key = (hashlib.sha256(tar).hexdigest(), comp)
        if key not in self._compressed:
            if comp == "gzip":
                data = gzip.compress(tar, compresslevel=level, mtime=0)
            elif comp == "zstd":
                data = subprocess.run(["zstd", "-q", "-c", "-3"], input=tar,
                                      stdout=subprocess.PIPE, check=True).stdout
            else:
                data = tar
            self._compressed[key] = (self.blob(data, MT_LAYER[comp]), "sha256:" + key[0])
        return self._compressed[key]

    def image(self, layers, arch=HOST_ARCH, variant=None, cmd=None):
        """layers: list of (tar_bytes, compression, history_text). Returns manifest descriptor."""
        descs, diff_ids, history = [], [], []
        for tar, comp, text in layers:
            desc, diff_id = self.layer(tar, comp, level=1 if len(tar) > 8 << 20 else 6)
            descs.append(desc)
            diff_ids.append(diff_id)
            history.append({"created": CREATED, "created_by": "burrow-bed: " + text})
        config = {
            "created": CREATED,
            "architecture": arch,
            "os": "linux",
            "config": {"Env": ENV, "Cmd": cmd or ["/bin/sh"], "WorkingDir": "/"},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }
        if variant:
            config["variant"] = variant
        manifest = {
            "schemaVersion": 2,
            "mediaType": MT_MANIFEST,
            "config": self.json_blob(config, MT_CONFIG),
            "layers": descs,
        }
        desc = self.json_blob(manifest, MT_MANIFEST)
        desc["platform"] = {"architecture": arch, "os": "linux", **({"variant": variant} if variant else {})}
        return desc

    def index(self, manifests):
        idx = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": manifests}
        return self.json_blob(idx, MT_INDEX)

    def tag(self, name, desc):
        desc = {k: v for k, v in desc.items() if k != "platform"}
        desc["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.refs.append(desc)

    def save(self):
        with open(os.path.join(self.root, "index.json"), "w") as fh:
            json.dump({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": self.refs}, fh, indent=1)


def main():
    out = os.path.join(sys.argv[1], "oci")
    lay = Layout(out)
    base_entries = busybox_base()
    base = make_tar(base_entries)

    # busybox: one gzip layer.
    lay.tag("busybox", lay.image([(base, "gzip", "busybox base")]))

    # multilayer: whiteouts, opaque dirs, links, owners, setuid, xattrs.
    l1 = make_tar(base_entries + [
        d("data"), d("data/keep"), f("data/keep/a", "keep v1\n"), f("data/gone.txt", "gone\n"),
        d("data/opaque"), f("data/opaque/x", "x\n"), f("data/opaque/y", "y\n"),
        f("data/hardtarget", "hard\n"), hard("data/hard1", "data/hardtarget"),
        sym("data/link", "hardtarget"),
        d("usr/local"), d("usr/local/bin"), f("usr/local/bin/suid", "#!/bin/sh\necho suid\n", 0o4755),
        d("home/app", 0o755, 1000, 1000), f("home/app/owned", "owned by app\n", 0o644, 1000, 1000),
        f("var/nobody", "owned by nobody\n", 0o644, 65534, 65534),
        f("data/xattr", "has an xattr\n", xattrs={"user.burrow": "test"}),
    ])
    l2 = make_tar([
        d("data"), f("data/.wh.gone.txt", b""),
        d("data/opaque"), f("data/opaque/.wh..wh..opq", b""), f("data/opaque/z", "z\n"),
        d("data/keep"), f("data/keep/a", "keep v2\n"),
    ])
    l3 = make_tar([d("data"), f("data/layer3", "layer 3\n")])
    lay.tag("multilayer", lay.image([(l1, "gzip", "base + data"), (l2, "gzip", "whiteouts"),
                                     (l3, "gzip", "layer3")]))

    # compression-*: the same base and a small layer, each in one compression.
    for comp, name in (("gzip", "gzip"), ("none", "uncompressed"), ("zstd", "zstd")):
        small = make_tar([f("compression.txt", name + "\n")])
        lay.tag("compression-" + name, lay.image([(base, comp, "busybox base"), (small, comp, name)]))

    # multiarch / onlyarm: image indexes; each image has /arch.
    def arch_image(arch, variant=None):
        return lay.image([(base, "gzip", "busybox base"),
                          (make_tar([f("arch", arch + "\n")]), "gzip", "arch " + arch)], arch, variant)
    lay.tag("multiarch", lay.index([arch_image("amd64"), arch_image("arm64", "v8")]))
    lay.tag("onlyarm", lay.index([arch_image("arm64", "v8"), arch_image("arm", "v7")]))

    # corrupt: a layer of its own (up.sh damages its blob in the registry, so it
    # must not be shared with any other fixture).
    lay.tag("corrupt", lay.image([(make_tar(base_entries + [f("corrupt-marker", "corrupt\n")]),
                                   "gzip", "busybox base + marker")]))

    # big: ~12 MiB of incompressible, seeded random bytes (full-disk, resume tests).
    rnd = random.Random(20240601).randbytes(12 << 20)
    lay.tag("big", lay.image([(base, "gzip", "busybox base"),
                              (make_tar([f("big.bin", rnd)]), "gzip", "12 MiB random")]))
    lay.save()


if __name__ == "__main__":
    main()
