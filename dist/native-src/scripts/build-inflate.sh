#!/bin/sh
# Builds build/native/burrow-inflate (native/burrow-inflate.c), the layers'
# decompressor, with what this machine has: sha256 from OpenSSL's libcrypto
# (libssl-dev), gzip from ISA-L (libisal-dev), or from zlib (zlib1g-dev)
# without it, and zstd from libzstd (libzstd-dev) when it is there. Writes
# build/native/inflate.json, which says what was built:
#   {"gzip":"isa-l"|"zlib","zstd":true|false[,"needs":[LIBISAL],"fallback":"burrow-inflate-zlib"]},
#   or {"gzip":null,"zstd":false}
#   when no inflater could be (no libcrypto, or no zlib either): layers are then
#   decompressed and hashed in Node, as before (slower; nothing else changes).
#   zstd layers go through Node (fzstd) when "zstd" is false.
# BURROW_NO_INFLATER=1 builds none, on purpose (to run the Node path's tests).
# Without the libraries' headers the build still succeeds; install libisal-dev,
# libssl-dev, zlib1g-dev and libzstd-dev (test/bed/install.sh does) for the fast path.
set -eu
cd "$(dirname "$0")/.."
OUT=build/native
mkdir -p "$OUT"
rm -f "$OUT/burrow-inflate" "$OUT/inflate.json"
CC="${CC:-cc}"

has_header() {  # $1: a header; true when the compiler finds it
  printf '#include <%s>\n' "$1" | "$CC" -E -x c - >/dev/null 2>&1
}

backend=null
zstd=false
needs=
# libcrypto, libzstd and zlib are linked in (Debian ships their static archives), so
# a build/ copied to a host without them (the cgroup v2 VM, a runner) still runs;
# ISA-L has no static archive: its build needs libisal.so.2 on the host, and a zlib
# build beside it (burrow-inflate-zlib) serves where that library is missing.
STATIC="-Wl,-Bstatic"; DYNAMIC="-Wl,-Bdynamic"
if [ "${BURROW_NO_INFLATER:-}" != 1 ] && has_header openssl/evp.h; then
  ZSTD_FLAGS=
  if has_header zstd.h; then
    ZSTD_FLAGS="-DBURROW_ZSTD"
    ZSTD_LIB=-lzstd
    zstd=true
  else
    ZSTD_LIB=
  fi
  # shellcheck disable=SC2086 # several words or none
  if has_header zlib.h && "$CC" -O2 -Wall $ZSTD_FLAGS -o "$OUT/burrow-inflate-zlib" native/burrow-inflate.c $STATIC -lz -lcrypto $ZSTD_LIB $DYNAMIC; then
    backend='"zlib"'
    cp "$OUT/burrow-inflate-zlib" "$OUT/burrow-inflate"
  fi
  # shellcheck disable=SC2086
  if has_header isa-l/igzip_lib.h && "$CC" -O2 -Wall -DBURROW_ISAL $ZSTD_FLAGS -o "$OUT/burrow-inflate" native/burrow-inflate.c -lisal $STATIC -lcrypto $ZSTD_LIB $DYNAMIC; then
    backend='"isa-l"'
    isal="$("$CC" -print-file-name=libisal.so.2)"
    needs="$(realpath -s "$isal" 2>/dev/null || echo "$isal")"
  fi
fi
if [ "$backend" = null ]; then
  zstd=false
  [ "${BURROW_NO_INFLATER:-}" = 1 ] || echo "build-inflate.sh: libssl-dev (and libisal-dev or zlib1g-dev) not found: layers will be decompressed in Node, which is slower" >&2
  rm -f "$OUT/burrow-inflate" "$OUT/burrow-inflate-zlib"
fi
if [ -n "$needs" ] && [ -x "$OUT/burrow-inflate-zlib" ]; then
  printf '{"gzip":%s,"zstd":%s,"needs":["%s"],"fallback":"burrow-inflate-zlib"}\n' "$backend" "$zstd" "$needs" > "$OUT/inflate.json"
  exit 0
fi
printf '{"gzip":%s,"zstd":%s}\n' "$backend" "$zstd" > "$OUT/inflate.json"
