#!/usr/bin/env python3
"""A stand-in for podman's system-test image, built without root or network.

    make-testimage.py OUT_DIR TAG

writes OUT_DIR/testimage (an OCI image layout) holding `quay.io/libpod/testimage:TAG`,
as podman's test/system/build-testimage describes it (alpine + busybox-extras, then
/home/podman/{testimage-id,pause}, WORKDIR /home/podman, the echo CMD, two labels),
but from Debian's busybox-static: every applet is a symlink to /bin/busybox, and
/etc/passwd and /etc/group carry alpine's stock accounts. What differs from the real
image (no apk, no musl libc, busybox's applets instead of alpine's) is why some
podman tests fail against both podman and burrow here: run-podman-tests.sh runs the
suite against podman too, so those show up as environment failures.
"""
import importlib.util
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "..", "bed", "make-fixtures.py"))
fx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fx)

PASSWD = """root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
adm:x:3:4:adm:/var/adm:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/mail:/sbin/nologin
news:x:9:13:news:/usr/lib/news:/sbin/nologin
operator:x:11:0:operator:/root:/sbin/nologin
games:x:35:35:games:/usr/games:/sbin/nologin
ftp:x:21:21::/var/lib/ftp:/sbin/nologin
squid:x:31:31:Squid:/var/cache/squid:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
"""
GROUP = """root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
sys:x:3:root,bin,adm
adm:x:4:root,adm,daemon
tty:x:5:
disk:x:6:root,adm
lp:x:7:lp
wheel:x:10:root
mail:x:12:mail
news:x:13:news
floppy:x:11:root
audio:x:18:
users:x:100:games
nogroup:x:65533:
nobody:x:65534:
"""
PAUSE = """#!/bin/sh
#
# Trivial little pause script, used in one of the pod tests
#
trap 'exit 0' SIGTERM
echo Confirmed: testimage pause invoked as $0
while :; do
    sleep 0.1
done
"""


def main():
    out, tag = sys.argv[1], sys.argv[2]
    with open(fx.BUSYBOX, "rb") as fh:
        busybox = fh.read()
    applets = subprocess.run([fx.BUSYBOX, "--list-full"], stdout=subprocess.PIPE, check=True, text=True).stdout.split()
    dirs = ["bin", "dev", "etc", "home", "home/podman", "lib", "media", "mnt", "opt", "proc", "run", "sbin", "srv",
            "sys", "usr", "usr/bin", "usr/sbin", "usr/local", "usr/local/bin", "var", "var/tmp", "var/log"]
    entries = [fx.d(name) for name in dirs] + [fx.d("root", 0o700), fx.d("tmp", 0o1777)]
    entries.append(fx.f("bin/busybox", busybox, 0o755))
    entries += [fx.sym(path, "/bin/busybox") for path in applets if path != "bin/busybox"]
    entries += [fx.f("etc/passwd", PASSWD), fx.f("etc/group", GROUP), fx.f("etc/hostname", "localhost\n"),
                fx.f("etc/hosts", "127.0.0.1\tlocalhost\n"), fx.f("etc/alpine-release", "3.16.0\n"),
                fx.f("etc/os-release", 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.16.0\n')]
    # The 'run --tz' test reads this file's mtime: podman's script sets it to 1600000000.
    testimage_id = fx.f("home/podman/testimage-id", tag + "\n")
    testimage_id[0].mtime = 1600000000
    entries += [testimage_id, fx.f("home/podman/pause", PAUSE, 0o755)]
    layout = fx.Layout(os.path.join(out, "testimage"))
    desc = layout.image([(fx.make_tar(entries), "gzip", "podman testimage stand-in")],
                        cmd=["/bin/echo", "This container is intended for podman CI testing"])
    # Labels and WORKDIR as build-testimage's second Containerfile sets them.
    import json
    config_path = None
    manifest = json.load(open(os.path.join(layout.root, "blobs", "sha256", desc["digest"].split(":")[1])))
    config_path = os.path.join(layout.root, "blobs", "sha256", manifest["config"]["digest"].split(":")[1])
    config = json.load(open(config_path))
    config["config"]["WorkingDir"] = "/home/podman"
    config["config"]["Labels"] = {"created_by": "test/system/build-testimage", "created_at": "2022-06-15T00:00:00Z"}
    manifest["config"] = layout.json_blob(config, fx.MT_CONFIG)
    desc = {**layout.json_blob(manifest, fx.MT_MANIFEST), "platform": desc["platform"]}
    layout.tag(f"quay.io/libpod/testimage:{tag}", desc)
    layout.save()


if __name__ == "__main__":
    main()
