#!/usr/bin/env python3
"""Write BED_DIR/bed.json: what the bed serves, read back from the registries.

    write-bed-json.py BED_DIR PORT_BASE

Reads BED_DIR/pushed.tsv (lines: KEY REGISTRY REPO TAG, written by up.sh),
GETs each manifest as served (so digests are the registry's, not ours), checks
what the tests rely on (compression media types, index kinds), and writes the
bed.json contract that test/bed/bed.test.ts and burrow's tests read.
"""
import base64
import hashlib
import json
import os
import sys
import urllib.request

BED, BASE = sys.argv[1], int(sys.argv[2])
USERS = {"alice": "wonderland", "bob": "builder", "eve": "evilpass", "shortlived": "tick"}
SERVICE = "burrow-test-registry"
REG = {"anon": f"127.0.0.1:{BASE}", "basic": f"127.0.0.1:{BASE + 1}", "token": f"127.0.0.1:{BASE + 2}"}
TOKEN_SERVER = f"http://127.0.0.1:{BASE + 3}"
TINYFS = "/mnt/burrow-tinyfs"
ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")
# What skopeo must have kept as-is for the compression fixtures.
EXPECT_LAYER_TYPE = {
    "compression:gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "compression:uncompressed": "application/vnd.oci.image.layer.v1.tar",
    "compression:zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
EXPECT_TYPE = {
    "busybox:latest": "application/vnd.docker.distribution.manifest.v2+json",
    "busybox:oci": "application/vnd.oci.image.manifest.v1+json",
    "multilayer:docker": "application/vnd.docker.distribution.manifest.v2+json",
    "multilayer:oci": "application/vnd.oci.image.manifest.v1+json",
    "multiarch:latest": "application/vnd.oci.image.index.v1+json",
    "multiarch:docker": "application/vnd.docker.distribution.manifest.list.v2+json",
    "onlyarm:latest": "application/vnd.oci.image.index.v1+json",
}


def basic(user):
    return "Basic " + base64.b64encode(f"{user}:{USERS[user]}".encode()).decode()


def auth_header(registry, repo):
    if registry == "basic":
        return basic("alice")
    if registry == "token":
        url = f"{TOKEN_SERVER}/token?service={SERVICE}&scope=repository:{repo}:pull"
        req = urllib.request.Request(url, headers={"Authorization": basic("alice")})
        with urllib.request.urlopen(req, timeout=10) as r:
            return "Bearer " + json.load(r)["token"]
    return None


def fetch(registry, repo, ref):
    headers = {"Accept": ACCEPT}
    auth = auth_header(registry, repo)
    if auth:
        headers["Authorization"] = auth
    req = urllib.request.Request(f"http://{REG[registry]}/v2/{repo}/manifests/{ref}", headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
        served = r.headers.get("Docker-Content-Digest")
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    if served and served != digest:
        sys.exit(f"write-bed-json: {registry}/{repo}:{ref}: served digest {served} != content {digest}")
    return digest, json.loads(body)


def main():
    fixtures = {}
    with open(os.path.join(BED, "pushed.tsv")) as fh:
        rows = [line.split() for line in fh if line.strip()]
    for key, registry, repo, tag in rows:
        digest, m = fetch(registry, repo, tag)
        mt = m.get("mediaType", "")
        entry = {"digest": digest, "mediaType": mt}
        if mt in INDEX_TYPES:
            entry["platforms"] = {}
            for d in m["manifests"]:
                p = d["platform"]
                name = "/".join([p["os"], p["architecture"]] + ([p["variant"]] if p.get("variant") else []))
                entry["platforms"][name] = d["digest"]
        else:
            entry["config"] = m["config"]["digest"]
            entry["layers"] = [layer["digest"] for layer in m["layers"]]
            if key in EXPECT_LAYER_TYPE:
                types = {layer["mediaType"] for layer in m["layers"]}
                if types != {EXPECT_LAYER_TYPE[key]}:
                    sys.exit(f"write-bed-json: {key}: layer media types {types}, want {EXPECT_LAYER_TYPE[key]}")
        if key in EXPECT_TYPE and mt != EXPECT_TYPE[key]:
            sys.exit(f"write-bed-json: {key}: manifest media type {mt}, want {EXPECT_TYPE[key]}")
        fixtures[key] = entry

    tinyfs = TINYFS if os.path.ismount(TINYFS) and os.access(TINYFS, os.W_OK) else None
    bed = {
        "dir": BED,
        "registries": REG,
        "tokenServer": TOKEN_SERVER,
        "service": SERVICE,
        "users": USERS,
        "fixtures": fixtures,
        "archives": {name: os.path.join(BED, "archives", name + ".tar")
                     for name in ("busybox-docker", "busybox-oci", "multilayer-docker")},
        "tinyfs": tinyfs,
        "registryStorage": {name: os.path.join(BED, name, "data") for name in REG},
    }
    tmp = os.path.join(BED, "bed.json.tmp")
    with open(tmp, "w") as fh:
        json.dump(bed, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, os.path.join(BED, "bed.json"))


if __name__ == "__main__":
    main()
