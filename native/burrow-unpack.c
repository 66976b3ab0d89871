/*
 * burrow-unpack: a layer's tar stream into a directory, confined.
 *
 *   burrow-unpack extract DIR single|mapped CEILING   < layer.tar
 *   burrow-unpack extract - single|mapped CEILING     < DIR NUL layer.tar
 *   burrow-unpack summarize DIR
 *
 * With `-`, DIR comes first on stdin, ended by a NUL, written there by the inflater
 * from burrow's own header before any byte of the layer (burrow-inflate.c's
 * --args-on-stdin: the extractor is started, and its user namespace made, while
 * the registry is still asked which layer it is). A stdin that ends before any
 * byte is an extractor not needed: it exits 0 and writes nothing.
 *
 * Runs as root of burrow's user namespace (started through `unshare`, mapped
 * from /etc/subuid; `single` when only the user's own id is mapped, so owners
 * are not kept). It chroots into DIR before it reads a byte of the archive, and
 * then never follows a symbolic link: every path of the archive is walked one
 * component at a time with O_NOFOLLOW, from the layer's root, and an entry
 * whose way passes through a symlink or a non-directory is skipped with a note
 * (the way node-tar and containerd refuse to write through links). The chroot
 * is the second line: whatever a hostile layer spells with `../`, absolute
 * names, symlinks or hardlinks, the kernel resolves it inside DIR.
 *
 * What it does with the archive (the OCI image spec's layer format):
 * - names are cleaned lexically, as Docker cleans them (`./a`, `/a`, `b/../a`
 *   are all `a`); a name that climbs above the root is skipped;
 * - Docker whiteouts become overlayfs whiteouts once the whole layer is written:
 *   `.wh.NAME` a 0/0 character device, `.wh..wh..opq` the `user.overlay.opaque`
 *   xattr (overlay's userxattr mode). A whiteout hides what lower layers have,
 *   never an entry of its own layer: a layer with both `.wh.foo` and `foo` keeps
 *   its `foo` (made opaque, if a directory, so the lower `foo` stays hidden);
 * - device nodes and FIFOs are skipped (a user namespace cannot make them, and a
 *   device node of the image would be a way to the host's devices); sparse files
 *   are refused with a note (not supported); undefined types are skipped;
 * - only user.* extended attributes are set (security.* and trusted.* cannot be
 *   set in a user namespace; a file capability of the image would otherwise be
 *   a privilege granted by a registry), and not the overlay drivers' own
 *   (user.overlay.*, user.fuseoverlayfs.*);
 * - owners (mapped mode), modes with setuid/setgid (set after the owner, since
 *   chown clears them), modification times; directories' times last.
 *
 * The archive is read as Go's archive/tar reads it (Docker, containerd and the
 * image scanners use it), so no entry means one thing here and another there: a
 * malformed PAX header, and headers after a lone zero block, are errors.
 *
 * Held to limits before anything is written: a PAX header or GNU long name over
 * 1 MiB, a name with a NUL byte, a name over PATH_MAX or a component over
 * NAME_MAX, and the sum of what the entries declare over CEILING bytes (a
 * sparse file counts at its full size) are errors naming the entry. Nothing past
 * the archive's end is read into memory; stdin is drained to its end, so the
 * caller's hash of the stream sees all of it. Memory does not grow with the
 * archive: what waits for the end of the layer waits in an unlinked file.
 *
 * Prints `{"skipped":[...],"summary":{...}}` on stdout (256 KiB of notes, then
 * "and N more entries, not listed") and exits 0, or prints
 * one line on stderr and exits 1; the caller throws the directory away then.
 * `summarize` walks DIR (inside the namespace: the files belong to mapped ids)
 * and prints the summary alone: entries, bytes, and an order-independent hash
 * of every entry's name, type, mode, owner, size and link target, which
 * `burrow system check` compares with the one recorded at unpack time.
 *
 * No per-file fsync: a layer is a cache of its blob, renamed into place only
 * when complete; a crash before the rename leaves a scratch directory that
 * garbage collection removes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#define BLOCK 512
#define MAX_META_BYTES (1024 * 1024)
#define NAME_MAX_BYTES 255
#define PATH_MAX_BYTES 4096
#define MAX_DEPTH 2048

/* ------------------------------------------------------------------ output */

static void fail(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
  exit(1);
}

static void *xmalloc(size_t size) {
  void *memory = malloc(size == 0 ? 1 : size);
  if (memory == NULL) fail("out of memory while unpacking");
  return memory;
}

static char *xstrdup(const char *text) {
  size_t length = strlen(text);
  char *copy = xmalloc(length + 1);
  memcpy(copy, text, length + 1);
  return copy;
}

/* A growing byte string. */
struct text {
  char *data;
  size_t length, capacity;
};

static void text_add(struct text *text, const char *bytes, size_t length) {
  if (text->length + length + 1 > text->capacity) {
    size_t capacity = text->capacity == 0 ? 256 : text->capacity;
    while (text->length + length + 1 > capacity) capacity *= 2;
    char *grown = realloc(text->data, capacity);
    if (grown == NULL) fail("out of memory while unpacking");
    text->data = grown;
    text->capacity = capacity;
  }
  memcpy(text->data + text->length, bytes, length);
  text->length += length;
  text->data[text->length] = '\0';
}

static void text_printf(struct text *text, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(struct text *text, const char *format, ...) {
  char small[512];
  va_list args;
  va_start(args, format);
  int length = vsnprintf(small, sizeof small, format, args);
  va_end(args);
  if (length < 0) return;
  if ((size_t)length < sizeof small) {
    text_add(text, small, (size_t)length);
    return;
  }
  char *large = xmalloc((size_t)length + 1);
  va_start(args, format);
  vsnprintf(large, (size_t)length + 1, format, args);
  va_end(args);
  text_add(text, large, (size_t)length);
  free(large);
}

/* As JavaScript's JSON.stringify writes a string: the caller reads these with JSON.parse. */
static void json_string(struct text *out, const char *bytes, size_t length) {
  text_add(out, "\"", 1);
  for (size_t at = 0; at < length; at++) {
    unsigned char c = (unsigned char)bytes[at];
    switch (c) {
      case '"': text_add(out, "\\\"", 2); break;
      case '\\': text_add(out, "\\\\", 2); break;
      case '\n': text_add(out, "\\n", 2); break;
      case '\r': text_add(out, "\\r", 2); break;
      case '\t': text_add(out, "\\t", 2); break;
      case '\b': text_add(out, "\\b", 2); break;
      case '\f': text_add(out, "\\f", 2); break;
      default:
        if (c < 0x20) text_printf(out, "\\u%04x", c);
        else text_add(out, (const char *)&c, 1);
    }
  }
  text_add(out, "\"", 1);
}

/* An entry's name for a one-line message: quoted, control characters and NUL escaped, long names cut (limits.ts: quoteName). */
static const char *quote_name(const char *bytes, size_t length) {
  static struct text quoted;
  quoted.length = 0;
  if (length <= 120) {
    json_string(&quoted, bytes, length);
    return quoted.data;
  }
  /* The first 60 and the last 40 bytes, cut at character boundaries. */
  size_t head = 60, tail = length - 40;
  while (head > 0 && ((unsigned char)bytes[head] & 0xc0) == 0x80) head--;
  while (tail < length && ((unsigned char)bytes[tail] & 0xc0) == 0x80) tail++;
  struct text joined = {0};
  text_add(&joined, bytes, head);
  text_add(&joined, "\xe2\x80\xa6", 3);
  text_add(&joined, bytes + tail, length - tail);
  json_string(&quoted, joined.data, joined.length);
  free(joined.data);
  return quoted.data;
}

/* Sizes as limits.ts's formatSize writes them: "600 bytes", "64 MiB", "1.5 GiB". */
static const char *format_size(uint64_t bytes, char *buffer, size_t size) {
  static const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = (double)bytes;
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    unit++;
  }
  if (unit == 0) snprintf(buffer, size, "%" PRIu64 " bytes", bytes);
  else if (value == (double)(uint64_t)value) snprintf(buffer, size, "%" PRIu64 " %s", (uint64_t)value, units[unit]);
  else snprintf(buffer, size, "%.1f %s", value, units[unit]);
  return buffer;
}

static const char *ceiling_hint(uint64_t ceiling) {
  static char hint[160];
  char size[32];
  snprintf(hint, sizeof hint, "the most a layer may hold is %s (maxLayerSize in burrow's config, or BURROW_MAX_LAYER_SIZE)", format_size(ceiling, size, sizeof size));
  return hint;
}

/*
 * Entries skipped, as the image names them: reported to the caller, which notes
 * them. The first 256 KiB of notes are listed, the rest counted (skipped_more).
 * Security: every note was kept, so a stream of device nodes with 4 KiB names (a
 * few MiB compressed) made a report of gigabytes: the extractor's memory, then a
 * string past what Node can hold, which threw in burrow.
 */
#define SKIPPED_MAX_BYTES (256 * 1024)
static struct text skipped;
static size_t skipped_count;
static uint64_t skipped_more;

static void skip_note(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void skip_note(const char *format, ...) {
  if (skipped.length >= SKIPPED_MAX_BYTES) {
    skipped_more++;
    return;
  }
  char note[8192];
  va_list args;
  va_start(args, format);
  vsnprintf(note, sizeof note, format, args);
  va_end(args);
  if (skipped_count++ > 0) text_add(&skipped, ",", 1);
  json_string(&skipped, note, strlen(note));
}

/* Fails on the error in errno: a full disk in its own words, anything else naming what was being done. */
static void check_space(const char *what, const char *path) __attribute__((noreturn));
static void check_space(const char *what, const char *path) {
  if (errno == ENOSPC || errno == EDQUOT || errno == EIO) fail("no space left while unpacking (%s)", errno == ENOSPC ? "ENOSPC" : errno == EDQUOT ? "EDQUOT" : "EIO");
  fail("cannot %s /%s: %s", what, path == NULL ? "" : path, strerror(errno));
}

/* ------------------------------------------------------------------ input */

static unsigned char input[1 << 20];
static size_t input_at, input_end;
static bool input_eof;
static uint64_t input_offset; /* bytes of the archive consumed */

/* Makes at least `want` bytes available (fewer only at the end of input); returns how many are. */
static size_t input_fill(size_t want) {
  if (input_end - input_at >= want || input_eof) return input_end - input_at;
  if (input_at > 0) {
    memmove(input, input + input_at, input_end - input_at);
    input_end -= input_at;
    input_at = 0;
  }
  while (input_end - input_at < want && !input_eof) {
    ssize_t got = read(0, input + input_end, sizeof input - input_end);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("cannot read the layer: %s", strerror(errno));
    }
    if (got == 0) input_eof = true;
    input_end += (size_t)got;
  }
  return input_end - input_at;
}

/* The next `length` bytes, into `into` when not NULL, else to `fd` when >= 0, else dropped. */
static void input_take(uint64_t length, void *into, int fd, const char *path) {
  unsigned char *to = into;
  while (length > 0) {
    size_t available = input_fill(1);
    if (available == 0) fail("the layer ends in the middle of an entry: it is not a complete tar archive");
    size_t take = length < available ? (size_t)length : available;
    if (to != NULL) {
      memcpy(to, input + input_at, take);
      to += take;
    } else if (fd >= 0) {
      size_t written = 0;
      while (written < take) {
        ssize_t n = write(fd, input + input_at + written, take - written);
        if (n < 0) {
          if (errno == EINTR) continue;
          check_space("write", path);
        }
        written += (size_t)n;
      }
    }
    input_at += take;
    input_offset += take;
    length -= take;
  }
}

static void input_drain(void) {
  input_at = input_end = 0;
  while (!input_eof) {
    ssize_t got = read(0, input, sizeof input);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) input_eof = true;
  }
}

/* ------------------------------------------------------------------ headers */

/* Octal text, after spaces or NULs, up to its first other byte. */
static uint64_t tar_octal(const unsigned char *field, size_t length) {
  uint64_t value = 0;
  size_t at = 0;
  while (at < length && (field[at] == ' ' || field[at] == '\0')) {
    if (field[at] == '\0' && at == 0) return 0;
    at++;
  }
  for (; at < length && field[at] >= '0' && field[at] <= '7'; at++) {
    if (value > (UINT64_MAX >> 3)) return UINT64_MAX;
    value = (value << 3) | (uint64_t)(field[at] - '0');
  }
  return value;
}

/*
 * A numeric field: octal text, or base-256 when its first byte has the high bit
 * set: big-endian two's complement of the first byte's other bits and the rest
 * (its second bit the sign), as GNU tar and Go write it. False past 63 bits.
 * Security: the first byte's bits were dropped, so 0x81 00..01 (2^88 + 1, a size
 * Go refuses) was a size of 1.
 */
static bool tar_signed_number(const unsigned char *field, size_t length, int64_t *value) {
  if ((field[0] & 0x80) == 0) {
    uint64_t octal = tar_octal(field, length);
    *value = (int64_t)octal;
    return octal <= (uint64_t)INT64_MAX;
  }
  unsigned char invert = (field[0] & 0x40) != 0 ? 0xff : 0x00;
  uint64_t magnitude = 0;
  for (size_t at = 0; at < length; at++) {
    unsigned char byte = field[at] ^ invert;
    if (at == 0) byte &= 0x7f;
    if ((magnitude >> 56) != 0) return false;
    magnitude = (magnitude << 8) | byte;
  }
  if ((magnitude >> 63) != 0) return false;
  *value = invert != 0 ? -(int64_t)magnitude - 1 : (int64_t)magnitude;
  return true;
}

/* A size, id or mode: UINT64_MAX when negative or too large (so a size is over any ceiling, an id outside any range). */
static uint64_t tar_number(const unsigned char *field, size_t length) {
  int64_t value;
  return tar_signed_number(field, length, &value) && value >= 0 ? (uint64_t)value : UINT64_MAX;
}

static bool checksum_valid(const unsigned char *block) {
  uint64_t recorded = tar_octal(block + 148, 8);
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (int at = 0; at < BLOCK; at++) {
    unsigned char c = (at >= 148 && at < 156) ? ' ' : block[at];
    unsigned_sum += c;
    signed_sum += (signed char)c;
  }
  return recorded == unsigned_sum || (int64_t)recorded == signed_sum;
}

static bool all_zero(const unsigned char *block) {
  for (int at = 0; at < BLOCK; at++)
    if (block[at] != 0) return false;
  return true;
}

struct xattr {
  char *name;
  char *value;
  size_t length;
  struct xattr *next;
};

/*
 * What the extended headers before an entry said about it: the last PAX header's
 * records (a second one replaces the first), and GNU long names, which win over
 * a PAX path, as Go's archive/tar reads them. Names are kept with any NUL byte.
 */
struct pending {
  char *path, *linkpath;
  size_t path_length, linkpath_length;
  bool has_size, has_uid, has_gid, has_mtime, sparse;
  uint64_t size, uid, gid, sparse_size;
  struct timespec mtime;
  struct xattr *xattrs;
  char *long_path, *long_linkpath;
  size_t long_path_length, long_linkpath_length;
};

/* Forgets what a PAX header said (before the next one, whose records replace them). */
static void pending_clear_pax(struct pending *pending) {
  free(pending->path);
  free(pending->linkpath);
  for (struct xattr *xattr = pending->xattrs, *next; xattr != NULL; xattr = next) {
    next = xattr->next;
    free(xattr->name);
    free(xattr->value);
    free(xattr);
  }
  char *long_path = pending->long_path, *long_linkpath = pending->long_linkpath;
  size_t long_path_length = pending->long_path_length, long_linkpath_length = pending->long_linkpath_length;
  memset(pending, 0, sizeof *pending);
  pending->long_path = long_path;
  pending->long_linkpath = long_linkpath;
  pending->long_path_length = long_path_length;
  pending->long_linkpath_length = long_linkpath_length;
}

static void pending_clear(struct pending *pending) {
  free(pending->long_path);
  free(pending->long_linkpath);
  pending->long_path = pending->long_linkpath = NULL;
  pending_clear_pax(pending);
}

static char *copy_bytes(const char *bytes, size_t length) {
  char *copy = xmalloc(length + 1);
  memcpy(copy, bytes, length);
  copy[length] = '\0';
  return copy;
}

/* Digits only, no sign, at most 2^64 - 1: false for anything else. */
static bool parse_decimal(const char *text, size_t length, uint64_t *value) {
  if (length == 0) return false;
  uint64_t result = 0;
  for (size_t at = 0; at < length; at++) {
    if (text[at] < '0' || text[at] > '9') return false;
    uint64_t digit = (uint64_t)(text[at] - '0');
    /* Security: without this, 18446744073709551619 (2^64 + 3) was read as 3, a size other tools refuse. */
    if (result > (UINT64_MAX - digit) / 10) return false;
    result = result * 10 + digit;
  }
  *value = result;
  return true;
}

/* A PAX time, as Go reads it: [-]SECONDS[.FRACTION], the fraction cut at nanoseconds; false when malformed. */
static bool parse_time(const char *text, size_t length, struct timespec *time) {
  bool negative = length > 0 && text[0] == '-';
  size_t at = negative ? 1 : 0;
  const char *dot = memchr(text + at, '.', length - at);
  size_t seconds_end = dot == NULL ? length : (size_t)(dot - text);
  uint64_t seconds;
  /* Seconds that do not fit a time_t are refused, not wrapped (signed overflow is undefined in C). */
  if (!parse_decimal(text + at, seconds_end - at, &seconds) || seconds > (uint64_t)INT64_MAX - 1) return false;
  long nanoseconds = 0, scale = 100000000;
  for (at = seconds_end + 1; dot != NULL && at < length; at++, scale /= 10) {
    if (text[at] < '0' || text[at] > '9') return false;
    nanoseconds += (text[at] - '0') * scale;
  }
  time->tv_sec = (time_t)seconds;
  time->tv_nsec = nanoseconds;
  if (negative) {
    time->tv_sec = -time->tv_sec;
    if (nanoseconds > 0) {
      time->tv_sec--;
      time->tv_nsec = 1000000000 - nanoseconds;
    }
  }
  return true;
}

/*
 * The records of a PAX extended header: "LENGTH KEY=VALUE\n", LENGTH counting the
 * whole record. Read as Go's archive/tar reads them (Docker, containerd and the
 * image scanners do): a record that is not well formed, or a size, id or time that
 * does not parse, makes the header invalid (false), so no tool reads the layer
 * differently from the others; a record with an empty value keeps what the
 * header itself says.
 */
static bool parse_pax(const char *body, size_t length, struct pending *pending) {
  size_t at = 0;
  while (at < length) {
    const char *record = body + at;
    size_t left = length - at;
    const char *space = memchr(record, ' ', left);
    if (space == NULL) return false;
    uint64_t record_length;
    /* Security: compared with what is left, never added to `at`: a length of 2^64 - at wrapped around to the first record, and the parser went round for ever (a hung pull). */
    if (!parse_decimal(record, (size_t)(space - record), &record_length) || record_length > left || record_length <= (uint64_t)(space - record) + 1) return false;
    const char *newline = record + record_length - 1;
    if (*newline != '\n') return false;
    at += (size_t)record_length;
    const char *key = space + 1;
    const char *equals = memchr(key, '=', (size_t)(newline - key));
    if (equals == NULL || equals == key || memchr(key, '\0', (size_t)(equals - key)) != NULL) return false;
    size_t key_length = (size_t)(equals - key);
    const char *value = equals + 1;
    size_t value_length = (size_t)(newline - value);
    if (value_length == 0) continue;
#define KEY(name) (key_length == sizeof(name) - 1 && memcmp(key, name, sizeof(name) - 1) == 0)
    if (KEY("path")) {
      free(pending->path);
      pending->path = copy_bytes(value, value_length);
      pending->path_length = value_length;
    } else if (KEY("linkpath")) {
      free(pending->linkpath);
      pending->linkpath = copy_bytes(value, value_length);
      pending->linkpath_length = value_length;
    } else if (KEY("size")) {
      if (!parse_decimal(value, value_length, &pending->size)) return false;
      pending->has_size = true;
    } else if (KEY("uid")) {
      if (!parse_decimal(value, value_length, &pending->uid)) return false;
      pending->has_uid = true;
    } else if (KEY("gid")) {
      if (!parse_decimal(value, value_length, &pending->gid)) return false;
      pending->has_gid = true;
    } else if (KEY("mtime")) {
      if (!parse_time(value, value_length, &pending->mtime)) return false;
      pending->has_mtime = true;
    } else if (KEY("GNU.sparse.realsize") || KEY("GNU.sparse.size")) {
      uint64_t size;
      pending->sparse = true;
      if (parse_decimal(value, value_length, &size)) pending->sparse_size = size;
    } else if (KEY("GNU.sparse.major") || KEY("GNU.sparse.map") || KEY("GNU.sparse.numblocks")) {
      pending->sparse = true;
    } else if (key_length > 13 && memcmp(key, "SCHILY.xattr.", 13) == 0) {
      struct xattr *xattr = xmalloc(sizeof *xattr);
      xattr->name = copy_bytes(key + 13, key_length - 13);
      xattr->value = copy_bytes(value, value_length);
      xattr->length = value_length;
      xattr->next = pending->xattrs;
      pending->xattrs = xattr;
    }
#undef KEY
  }
  return true;
}

/* ------------------------------------------------------------------ paths */

/*
 * `./a/b`, `/a/b`, `a/c/../b` -> `a/b` (lexically, as Docker cleans paths), in
 * place; "." for the root; false when `..` would climb above the root. `path`
 * needs room for two bytes, even when empty (path_copy).
 */
static bool clean_path(char *path) {
  char *out = path;
  const char *in = path;
  size_t depth = 0;
  while (*in != '\0') {
    while (*in == '/') in++;
    if (*in == '\0') break;
    const char *end = strchrnul(in, '/');
    size_t length = (size_t)(end - in);
    if (length == 1 && in[0] == '.') {
      /* nothing */
    } else if (length == 2 && in[0] == '.' && in[1] == '.') {
      if (depth == 0) return false;
      depth--;
      while (out > path && out[-1] != '/') out--;
      if (out > path) out--; /* the slash before the component */
    } else {
      if (out > path) *out++ = '/';
      memmove(out, in, length);
      out += length;
      depth++;
    }
    in = end;
  }
  if (out == path) *out++ = '.';
  *out = '\0';
  return true;
}

/* A copy of a name for clean_path. Security: an empty name becomes "." there, one byte longer: a plain copy was overrun by one. */
static char *path_copy(const char *name) {
  size_t length = strlen(name);
  char *copy = xmalloc(length + 2);
  memcpy(copy, name, length + 1);
  return copy;
}

/*
 * Directories of the layer, opened one component at a time without following
 * a link, and kept open for the next entry (tar archives list a directory's
 * entries together): most entries cost one openat or none.
 */
static int root_fd = -1;
static char *open_names[MAX_DEPTH];
static int open_fds[MAX_DEPTH];
static size_t open_depth;

static void forget_open_directories(void) {
  for (size_t at = 0; at < open_depth; at++) {
    close(open_fds[at]);
    free(open_names[at]);
  }
  open_depth = 0;
}

enum walk_result { WALK_OK, WALK_THROUGH_LINK, WALK_MISSING };

/*
 * Opens the directory `directory` (a cleaned path, "." for the root) of the
 * layer; with `create`, makes what is missing as directories (0755, owned by the
 * namespace's root, as tar does). On WALK_THROUGH_LINK, `*through` is the path
 * up to the component that is a symlink or not a directory.
 */
static enum walk_result open_directory(const char *directory, bool create, int *result, char *through, size_t through_size) {
  if (strcmp(directory, ".") == 0) {
    *result = root_fd;
    return WALK_OK;
  }
  /* How much of the path is already open. */
  size_t depth = 0;
  const char *at = directory;
  while (depth < open_depth) {
    size_t length = strlen(open_names[depth]);
    if (strncmp(at, open_names[depth], length) != 0 || (at[length] != '/' && at[length] != '\0')) break;
    at += length;
    depth++;
    if (*at == '/') at++;
    if (*at == '\0') break;
  }
  while (open_depth > depth) {
    open_depth--;
    close(open_fds[open_depth]);
    free(open_names[open_depth]);
  }
  int parent = depth == 0 ? root_fd : open_fds[depth - 1];
  /*
   * The rest of the path in one openat2 when it is all there: the kernel walks it
   * refusing any symlink and anything above `parent`, so the answer is the one the
   * component walk below would give, without a syscall per component (an archive
   * that alternates between two directories 2,000 levels deep cost 3.5 ms of CPU
   * an entry that way). What it cannot open (missing, through a link, or a kernel
   * without openat2) goes the long way, which creates and names what it must.
   */
  if (strchr(at, '/') != NULL && open_depth < MAX_DEPTH) {
    struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH | RESOLVE_NO_XDEV};
    int fd = (int)syscall(SYS_openat2, parent, at, &how, sizeof how);
    if (fd >= 0) {
      open_names[open_depth] = copy_bytes(at, strlen(at));
      open_fds[open_depth] = fd;
      open_depth++;
      *result = fd;
      return WALK_OK;
    }
  }
  while (*at != '\0') {
    const char *end = strchrnul(at, '/');
    char name[NAME_MAX_BYTES + 1];
    size_t length = (size_t)(end - at);
    if (length > NAME_MAX_BYTES || open_depth >= MAX_DEPTH) fail("a path of the layer is too deep or too long: %s", directory);
    memcpy(name, at, length);
    name[length] = '\0';
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (mkdirat(parent, name, 0755) != 0 && errno != EEXIST) check_space("create directory", directory);
      fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      if (errno == ENOENT) return WALK_MISSING;
      if (errno == ENOTDIR || errno == ELOOP) {
        snprintf(through, through_size, "/%.*s", (int)(end - directory), directory);
        return WALK_THROUGH_LINK;
      }
      check_space("open directory", directory);
    }
    open_names[open_depth] = copy_bytes(name, length);
    open_fds[open_depth] = fd;
    open_depth++;
    parent = fd;
    at = *end == '/' ? end + 1 : end;
  }
  *result = parent;
  return WALK_OK;
}

/* Splits a cleaned path into its directory (in `directory`) and its last component. */
static const char *split_path(const char *path, char *directory) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    strcpy(directory, ".");
    return path;
  }
  memcpy(directory, path, (size_t)(slash - path));
  directory[slash - path] = '\0';
  return slash + 1;
}

/* Removes `name` in `parent`, a directory with all it holds. */
static void remove_tree(int parent, const char *name, const char *shown) {
  if (unlinkat(parent, name, 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM) check_space("remove", shown);
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) check_space("open directory", shown);
  DIR *dir = fdopendir(fd);
  if (dir == NULL) fail("cannot read directory /%s: %s", shown, strerror(errno));
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    remove_tree(dirfd(dir), entry->d_name, shown);
  }
  closedir(dir);
  if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT) check_space("remove", shown);
}

/* ------------------------------------------------------------------ entries */

static bool single_id;
static uint64_t ceiling, declared;

/*
 * Deferred to the end of the layer, in archive order: whiteouts, opaque markers,
 * directories' times. Kept in a file the extractor made and unlinked in the
 * layer's root before it read the archive (no name of the layer can reach it),
 * not in memory. Security: in memory each entry cost its names (up to 8 KiB), so
 * a stream of one directory or marker repeated, a few MiB compressed, grew the
 * extractor to the size of the stream: gigabytes under the default ceiling.
 */
static FILE *deferred;

enum { DEFERRED_WHITEOUT = 'w', DEFERRED_OPAQUE = 'o', DEFERRED_TIME = 't' };

struct deferred_record {
  char kind;
  uint16_t path_length, entry_length; /* names are under PATH_MAX (handle_entry) */
  struct timespec mtime;
};

static void open_deferred(void) {
  int fd = openat(root_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    /* A file system without O_TMPFILE: a name made and removed while the layer is still empty. */
    fd = openat(root_fd, ".burrow-deferred", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || unlinkat(root_fd, ".burrow-deferred", 0) != 0) check_space("create", ".burrow-deferred");
  }
  deferred = fdopen(fd, "w+");
  if (deferred == NULL) fail("cannot unpack: %s", strerror(errno));
}

static void defer(char kind, const char *path, const char *entry, struct timespec mtime) {
  struct deferred_record record = {.kind = kind, .path_length = (uint16_t)strlen(path), .entry_length = (uint16_t)strlen(entry), .mtime = mtime};
  if (fwrite(&record, sizeof record, 1, deferred) != 1 || fwrite(path, 1, record.path_length, deferred) != record.path_length || fwrite(entry, 1, record.entry_length, deferred) != record.entry_length) {
    check_space("write", ".burrow-deferred");
  }
}

/* The next deferred record of `kind` (read from the start after rewind), its names in `path` and `entry`; false at the end. */
static bool next_deferred(char kind, struct deferred_record *record, char *path, char *entry) {
  while (fread(record, sizeof *record, 1, deferred) == 1) {
    if (fread(path, 1, record->path_length, deferred) != record->path_length || fread(entry, 1, record->entry_length, deferred) != record->entry_length) break;
    path[record->path_length] = '\0';
    entry[record->entry_length] = '\0';
    if (record->kind == kind) return true;
  }
  if (ferror(deferred)) fail("cannot read back what the layer deferred: %s", strerror(errno));
  return false;
}

static void give_owner(int dirfd, const char *name, int flags, uint64_t uid, uint64_t gid, const char *path) {
  /*
   * Root's entries too: in a setgid directory the kernel gives a new entry the
   * directory's group, not root's. Security: skipped for 0:0, a file of root:root
   * 0640 under a setgid directory of group 1000 was readable by that group.
   */
  if (single_id) return;
  /* Security: ids past 32 bits were cut down to another id (2^32 to root), and 2^32 - 1 is chown's "leave it as it is": refused like any id outside the range. */
  errno = EINVAL;
  if (uid >= UINT32_MAX || gid >= UINT32_MAX || fchownat(dirfd, name, (uid_t)uid, (gid_t)gid, flags) != 0) {
    if (errno == EINVAL || errno == EPERM || errno == EOVERFLOW) fail("cannot give /%s its owner: the image uses ids outside your subordinate range (/etc/subuid, /etc/subgid)", path);
    check_space("chown", path);
  }
}

static void set_xattrs(int fd, const struct xattr *xattrs) {
  for (const struct xattr *xattr = xattrs; xattr != NULL; xattr = xattr->next) {
    /* Only user.* can be set in a user namespace; security.* (file capabilities) and trusted.* are dropped. */
    if (strncmp(xattr->name, "user.", 5) != 0) continue;
    /*
     * So are the overlay drivers' own markers, which the layer format spells as
     * .wh. entries. Security: user.overlay.opaque=x and user.overlay.whiteout made
     * whiteouts the overlay driver honours (Linux 6.7's xwhiteouts) and the others
     * do not, past the rules the extractor holds whiteouts to.
     */
    if (strncmp(xattr->name, "user.overlay.", 13) == 0 || strncmp(xattr->name, "user.fuseoverlayfs.", 19) == 0) continue;
    fsetxattr(fd, xattr->name, xattr->value, xattr->length, 0);
  }
}

struct entry {
  char type;
  char *original; /* the name as the archive spells it */
  char *path;     /* cleaned */
  char *linkpath;
  uint64_t size, uid, gid;
  mode_t mode;
  struct timespec mtime;
  const struct xattr *xattrs;
};

/* Creates the parent directories of `entry`; its directory's fd and last name, or false (noted) when the way is through a link. */
static bool entry_parent(const struct entry *entry, int *parent, const char **name) {
  static char directory[PATH_MAX_BYTES + 1];
  char through[PATH_MAX_BYTES + 2];
  *name = split_path(entry->path, directory);
  if (open_directory(directory, true, parent, through, sizeof through) != WALK_OK) {
    skip_note("%s (through %s, which is not a directory of the layer)", entry->original, through);
    return false;
  }
  return true;
}

/* Makes room for a new `name` in `parent`: whatever is there goes, a directory with its content. */
static void clear_name(int parent, const char *name, const char *path) {
  struct stat existing;
  if (fstatat(parent, name, &existing, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISDIR(existing.st_mode)) {
    remove_tree(parent, name, path);
    /* The directories kept open may have been in the removed tree: reopened from the root by the caller. */
    forget_open_directories();
  } else if (unlinkat(parent, name, 0) != 0 && errno != ENOENT) check_space("remove", path);
}

static void write_file(const struct entry *entry) {
  int parent;
  const char *name;
  if (!entry_parent(entry, &parent, &name)) {
    input_take(entry->size, NULL, -1, NULL);
    return;
  }
  /* O_EXCL: a file already there (a hardlink to another, a symlink) is replaced, never written through. */
  int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, entry->mode & 0777);
  if (fd < 0 && errno == EEXIST) {
    clear_name(parent, name, entry->path);
    /* clear_name may have closed the directories kept open. */
    if (!entry_parent(entry, &parent, &name)) {
      input_take(entry->size, NULL, -1, NULL);
      return;
    }
    fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, entry->mode & 0777);
  }
  if (fd < 0) check_space("create", entry->path);
  input_take(entry->size, NULL, fd, entry->path);
  give_owner(fd, "", AT_EMPTY_PATH, entry->uid, entry->gid, entry->path);
  /* After the owner: chown clears setuid and setgid. */
  if ((entry->mode & 07000) != 0 && fchmod(fd, entry->mode & 07777) != 0) check_space("chmod", entry->path);
  set_xattrs(fd, entry->xattrs);
  struct timespec times[2] = {entry->mtime, entry->mtime};
  futimens(fd, times);
  if (close(fd) != 0) check_space("write", entry->path);
}

static void make_directory(const struct entry *entry) {
  int fd;
  if (strcmp(entry->path, ".") == 0) {
    fd = root_fd;
  } else {
    int parent;
    const char *name;
    if (!entry_parent(entry, &parent, &name)) return;
    if (mkdirat(parent, name, 0700) != 0) {
      if (errno != EEXIST) check_space("create directory", entry->path);
      struct stat existing;
      if (fstatat(parent, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(existing.st_mode)) {
        clear_name(parent, name, entry->path);
        if (!entry_parent(entry, &parent, &name)) return;
        if (mkdirat(parent, name, 0700) != 0) check_space("create directory", entry->path);
      }
    }
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) check_space("open directory", entry->path);
  }
  give_owner(fd, "", AT_EMPTY_PATH, entry->uid, entry->gid, entry->path);
  if (fchmod(fd, entry->mode & 07777) != 0) check_space("chmod", entry->path);
  set_xattrs(fd, entry->xattrs);
  if (fd != root_fd) close(fd);
  defer(DEFERRED_TIME, entry->path, "", entry->mtime);
}

static void make_symlink(const struct entry *entry) {
  int parent;
  const char *name;
  if (!entry_parent(entry, &parent, &name)) return;
  /* The target is kept as written: it is resolved at run time, inside the container's root. */
  if (symlinkat(entry->linkpath, parent, name) != 0) {
    if (errno != EEXIST) check_space("create symlink", entry->path);
    clear_name(parent, name, entry->path);
    if (!entry_parent(entry, &parent, &name)) return;
    if (symlinkat(entry->linkpath, parent, name) != 0) check_space("create symlink", entry->path);
  }
  give_owner(parent, name, AT_SYMLINK_NOFOLLOW, entry->uid, entry->gid, entry->path);
  struct timespec times[2] = {entry->mtime, entry->mtime};
  utimensat(parent, name, times, AT_SYMLINK_NOFOLLOW);
}

static void make_hardlink(const struct entry *entry) {
  char target[PATH_MAX_BYTES + 1];
  snprintf(target, sizeof target, "%s", entry->linkpath);
  if (!clean_path(target) || strcmp(target, ".") == 0) {
    skip_note("%s (hard link to %s, outside the layer)", entry->original, entry->linkpath);
    return;
  }
  /* The target's directory, found without creating anything and without following a link. */
  char directory[PATH_MAX_BYTES + 1], through[PATH_MAX_BYTES + 2];
  const char *target_name = split_path(target, directory);
  int target_parent;
  enum walk_result walk = open_directory(directory, false, &target_parent, through, sizeof through);
  if (walk != WALK_OK) {
    skip_note("%s (hard link to %s, %s)", entry->original, entry->linkpath, walk == WALK_MISSING ? "which is not in the layer" : "through a link");
    return;
  }
  /* Keep the target's directory open while the link's is opened: dup it. */
  int held = dup(target_parent);
  if (held < 0) fail("cannot unpack: %s", strerror(errno));
  int parent;
  const char *name;
  if (!entry_parent(entry, &parent, &name)) {
    close(held);
    return;
  }
  struct stat source, existing;
  if (fstatat(held, target_name, &source, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(source.st_mode)) {
    skip_note("%s (hard link to %s, which is not a file in the layer)", entry->original, entry->linkpath);
    close(held);
    return;
  }
  if (fstatat(parent, name, &existing, AT_SYMLINK_NOFOLLOW) == 0) {
    if (existing.st_ino == source.st_ino && existing.st_dev == source.st_dev) {
      close(held);
      return;
    }
    clear_name(parent, name, entry->path);
    if (!entry_parent(entry, &parent, &name)) {
      close(held);
      return;
    }
  }
  /* No AT_SYMLINK_FOLLOW: a link to a symlink is a link to the symlink itself, as tar makes it. */
  if (linkat(held, target_name, parent, name, 0) != 0) {
    if (errno == ENOSPC || errno == EDQUOT || errno == EIO) check_space("link", entry->path);
    skip_note("%s (hard link to %s: %s)", entry->original, entry->linkpath, strerror(errno));
  }
  close(held);
}

static void fail_entry_name(const char *shown, size_t shown_length, const char *problem, ...) __attribute__((noreturn));
static void fail_entry_name(const char *shown, size_t shown_length, const char *problem, ...) {
  char detail[512];
  va_list args;
  va_start(args, problem);
  vsnprintf(detail, sizeof detail, problem, args);
  va_end(args);
  fail("entry %s %s", quote_name(shown, shown_length), detail);
}

/* A name from the extended headers, as Go's archive/tar chooses it: a GNU long name over a PAX record; NULL when neither gave one. */
static const char *extended_name(const char *long_name, size_t long_length, const char *pax, size_t pax_length, size_t *length) {
  if (long_name != NULL) {
    *length = long_length;
    return long_name;
  }
  *length = pax_length;
  return pax;
}

static bool is_regular(char type) {
  return type == '0' || type == '\0' || type == '7';
}

/* One entry: checked against the limits, then written, deferred or skipped. */
static void handle_entry(const unsigned char *block, struct pending *pending) {
  char type = (char)block[156];
  /*
   * GNU's old sparse format: when the header's isextended byte is set, blocks of
   * sparse map follow it, outside its size, up to one whose own byte 504 is 0.
   * Security: read as data, they pushed the file's last blocks out of it, to be
   * read as headers: entries no other tool sees.
   */
  if (type == 'S' && block[482] != 0) {
    unsigned char extension[BLOCK];
    do input_take(BLOCK, extension, -1, NULL);
    while (extension[504] != 0);
  }
  /* The name: GNU long name, else PAX, else the header's (with the ustar prefix). */
  char header_name[257];
  size_t name_length;
  const char *name = extended_name(pending->long_path, pending->long_path_length, pending->path, pending->path_length, &name_length);
  if (name == NULL) {
    size_t prefix_length = 0;
    if (memcmp(block + 257, "ustar\0", 6) == 0) prefix_length = strnlen((const char *)block + 345, 155);
    size_t short_length = strnlen((const char *)block, 100);
    if (prefix_length > 0) {
      memcpy(header_name, block + 345, prefix_length);
      header_name[prefix_length] = '/';
      memcpy(header_name + prefix_length + 1, block, short_length);
      name_length = prefix_length + 1 + short_length;
    } else {
      memcpy(header_name, block, short_length);
      name_length = short_length;
    }
    header_name[name_length] = '\0';
    name = header_name;
  }
  char header_link[101];
  size_t linkpath_length;
  const char *linkpath = extended_name(pending->long_linkpath, pending->long_linkpath_length, pending->linkpath, pending->linkpath_length, &linkpath_length);
  if (linkpath == NULL) {
    linkpath_length = strnlen((const char *)block + 157, 100);
    memcpy(header_link, block + 157, linkpath_length);
    header_link[linkpath_length] = '\0';
    linkpath = header_link;
  }
  uint64_t size = pending->has_size ? pending->size : tar_number(block + 124, 12);

  /* The limits, before a byte of the entry is written. */
  if (memchr(name, '\0', name_length) != NULL) fail_entry_name(name, name_length, "has a NUL byte in its name or link target");
  if (memchr(linkpath, '\0', linkpath_length) != NULL) fail_entry_name(linkpath, linkpath_length, "has a NUL byte in its name or link target");
  if (name_length >= PATH_MAX_BYTES) fail_entry_name(name, name_length, "has a name of %zu bytes, more than PATH_MAX (%d)", name_length, PATH_MAX_BYTES);
  if (linkpath_length >= PATH_MAX_BYTES) fail_entry_name(name, name_length, "has a link target of %zu bytes, more than PATH_MAX (%d)", linkpath_length, PATH_MAX_BYTES);
  for (const char *at = name; *at != '\0';) {
    const char *end = strchrnul(at, '/');
    if ((size_t)(end - at) > NAME_MAX_BYTES) fail_entry_name(name, name_length, "has a name component of %zu bytes, more than NAME_MAX (%d)", (size_t)(end - at), NAME_MAX_BYTES);
    at = *end == '/' ? end + 1 : end;
  }
  bool sparse = type == 'S' || pending->sparse;
  uint64_t holds = is_regular(type) ? size : 0;
  if (type == 'S') {
    uint64_t real = tar_number(block + 483, 12);
    holds = real > size ? real : size;
  } else if (pending->sparse) {
    holds = pending->sparse_size > size ? pending->sparse_size : size;
  }
  /* Compared before it is added: with a ceiling near 2^64 the sum wrapped around to a small one. */
  bool over = holds > ceiling || declared > ceiling - holds;
  declared += holds;
  if (over) {
    char shown[32];
    fail_entry_name(name, name_length, "declares %s%s, which takes the layer over its ceiling: %s", format_size(holds, shown, sizeof shown), sparse ? " (stored sparse)" : "", ceiling_hint(ceiling));
  }

  /* Links, directories, devices and FIFOs are header-only, whatever size they declare (as Go's archive/tar reads them). */
  bool header_only = type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6';
  /* A typeless (pre-POSIX) entry whose name ends in a slash is a directory, as Go's archive/tar reads it; the data it declares is passed over. */
  if (type == '\0' && name_length > 0 && name[name_length - 1] == '/') type = '5';
  uint64_t body = header_only ? 0 : size;
  struct entry entry = {
    .type = type,
    .original = xstrdup(name),
    .path = path_copy(name),
    .linkpath = xstrdup(linkpath),
    .size = size,
    .uid = pending->has_uid ? pending->uid : tar_number(block + 108, 8),
    .gid = pending->has_gid ? pending->gid : tar_number(block + 116, 8),
    .mode = (mode_t)(tar_number(block + 100, 8) & 07777),
    .xattrs = pending->xattrs,
  };
  if (pending->has_mtime) entry.mtime = pending->mtime;
  else {
    int64_t seconds;
    entry.mtime.tv_sec = tar_signed_number(block + 136, 12, &seconds) ? (time_t)seconds : 0;
  }

  if (sparse) {
    char cleaned[PATH_MAX_BYTES + 1];
    snprintf(cleaned, sizeof cleaned, "%s", name);
    skip_note("/%s (a sparse file: not supported)", clean_path(cleaned) ? cleaned : name);
  } else if (!clean_path(entry.path)) {
    skip_note("%s (path leaves the layer)", entry.original);
  } else {
    const char *base = strrchr(entry.path, '/');
    base = base == NULL ? entry.path : base + 1;
    char directory[PATH_MAX_BYTES + 1];
    split_path(entry.path, directory);
    if (strcmp(base, ".wh..wh..opq") == 0) {
      defer(DEFERRED_OPAQUE, directory, entry.original, entry.mtime);
    } else if (strncmp(base, ".wh.", 4) == 0) {
      const char *hidden = base + 4;
      if (*hidden == '\0' || strcmp(hidden, ".") == 0 || strcmp(hidden, "..") == 0) {
        skip_note("%s (a whiteout names one entry of its directory, not \"%s\")", entry.original, hidden);
      } else {
        char target[PATH_MAX_BYTES + 1];
        if (strcmp(directory, ".") == 0) snprintf(target, sizeof target, "%s", hidden);
        else snprintf(target, sizeof target, "%s/%s", directory, hidden);
        defer(DEFERRED_WHITEOUT, target, entry.original, entry.mtime);
      }
    } else if (type == '3' || type == '4' || type == '6') {
      skip_note("/%s", entry.path);
    } else if (type == '5' || type == 'D') {
      make_directory(&entry);
    } else if (strcmp(entry.path, ".") == 0) {
      skip_note("%s (the layer's root can only be a directory)", entry.original);
    } else if (is_regular(type)) {
      write_file(&entry);
      body = 0;
    } else if (type == '1' || type == '2') {
      if (linkpath_length == 0) skip_note("%s (a link without a target)", entry.original);
      else if (type == '2') make_symlink(&entry);
      else make_hardlink(&entry);
    } else {
      skip_note("/%s (not a type of file tar defines)", entry.path);
    }
  }
  /* Whatever was not written: passed over, with the padding. */
  uint64_t stored = header_only ? 0 : size;
  input_take(body, NULL, -1, NULL);
  input_take((BLOCK - stored % BLOCK) % BLOCK, NULL, -1, NULL);
  free(entry.original);
  free(entry.path);
  free(entry.linkpath);
}

/* ------------------------------------------------------------------ the end of the layer */

static void mark_opaque(int fd, const char *path) {
  if (fsetxattr(fd, "user.overlay.opaque", "y", 1, 0) != 0) fail("cannot mark /%s opaque (%s): the file system needs user xattrs", path, strerror(errno));
}

static void apply_markers(void) {
  char through[PATH_MAX_BYTES + 2], directory[PATH_MAX_BYTES + 1], path[PATH_MAX_BYTES + 1], entry[PATH_MAX_BYTES + 1];
  struct deferred_record record;
  if (fflush(deferred) != 0) check_space("write", ".burrow-deferred");
  rewind(deferred);
  while (next_deferred(DEFERRED_WHITEOUT, &record, path, entry)) {
    const char *name = split_path(path, directory);
    int parent;
    if (open_directory(directory, true, &parent, through, sizeof through) != WALK_OK) {
      skip_note("%s (a whiteout through %s, which is not a directory of the layer)", entry, through);
      continue;
    }
    struct stat own;
    if (fstatat(parent, name, &own, AT_SYMLINK_NOFOLLOW) == 0) {
      /* The layer's own entry stays; a directory of its own also hides the lower one's content. */
      if (S_ISDIR(own.st_mode)) {
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) check_space("open directory", path);
        mark_opaque(fd, path);
        close(fd);
      }
    } else if (mknodat(parent, name, S_IFCHR | 0000, makedev(0, 0)) != 0) {
      fail("cannot create whiteout /%s (%s)", path, strerror(errno));
    }
  }
  rewind(deferred);
  while (next_deferred(DEFERRED_OPAQUE, &record, path, entry)) {
    int fd;
    if (open_directory(path, true, &fd, through, sizeof through) != WALK_OK) {
      skip_note("%s (an opaque marker through %s, which is not a directory of the layer)", entry, through);
      continue;
    }
    mark_opaque(fd, path);
  }
  /* Directories' times last (writing into them changed them); a directory listed twice gets its later entry's, as tar gives it. */
  rewind(deferred);
  while (next_deferred(DEFERRED_TIME, &record, path, entry)) {
    struct timespec times[2] = {record.mtime, record.mtime};
    if (strcmp(path, ".") == 0) {
      futimens(root_fd, times);
      continue;
    }
    const char *name = split_path(path, directory);
    int parent;
    if (open_directory(directory, false, &parent, through, sizeof through) == WALK_OK) utimensat(parent, name, times, AT_SYMLINK_NOFOLLOW);
  }
  fclose(deferred);
}

/* ------------------------------------------------------------------ summary */

/* FNV-1a, 64 bits: a checksum against damage, not against an attacker (the user owns the store). */
static uint64_t fnv(uint64_t hash, const void *bytes, size_t length) {
  const unsigned char *at = bytes;
  for (size_t i = 0; i < length; i++) {
    hash ^= at[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

struct summary {
  uint64_t entries, bytes, digest;
  /* Inodes with several names, so their bytes count once. */
  uint64_t *seen;
  size_t seen_count, seen_capacity;
};

static bool seen_before(struct summary *summary, uint64_t inode) {
  if (summary->seen_count * 2 >= summary->seen_capacity) {
    size_t capacity = summary->seen_capacity == 0 ? 1024 : summary->seen_capacity * 2;
    uint64_t *table = calloc(capacity, sizeof *table);
    if (table == NULL) fail("out of memory while summarizing");
    for (size_t at = 0; at < summary->seen_capacity; at++) {
      uint64_t value = summary->seen[at];
      if (value == 0) continue;
      size_t slot = (size_t)(value * 0x9e3779b97f4a7c15ULL) & (capacity - 1);
      while (table[slot] != 0) slot = (slot + 1) & (capacity - 1);
      table[slot] = value;
    }
    free(summary->seen);
    summary->seen = table;
    summary->seen_capacity = capacity;
  }
  uint64_t key = inode + 1;
  size_t slot = (size_t)(key * 0x9e3779b97f4a7c15ULL) & (summary->seen_capacity - 1);
  while (summary->seen[slot] != 0) {
    if (summary->seen[slot] == key) return true;
    slot = (slot + 1) & (summary->seen_capacity - 1);
  }
  summary->seen[slot] = key;
  summary->seen_count++;
  return false;
}

/* A symlink's target into `hash`. Out of summarize_directory's frame: see there. */
static __attribute__((noinline)) uint64_t hash_link_target(int dirfd, const char *name, uint64_t hash) {
  char target[PATH_MAX_BYTES + 1];
  ssize_t target_length = readlinkat(dirfd, name, target, sizeof target);
  return target_length > 0 ? fnv(hash, target, (size_t)target_length) : hash;
}

/*
 * One level of the walk per directory, as deep as the layer (2047 levels at
 * most: a name is under PATH_MAX). Security: a 4 KiB buffer in each level's
 * frame overflowed an 8 MiB stack at that depth, a crash any layer could cause.
 */
static void summarize_directory(int fd, struct text *path, struct summary *summary) {
  DIR *dir = fdopendir(fd);
  if (dir == NULL) fail("cannot read /%s: %s", path->data, strerror(errno));
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    size_t length = path->length;
    if (length > 0) text_add(path, "/", 1);
    text_add(path, entry->d_name, strlen(entry->d_name));
    struct stat stat;
    if (fstatat(dirfd(dir), entry->d_name, &stat, AT_SYMLINK_NOFOLLOW) != 0) fail("cannot read /%s: %s", path->data, strerror(errno));
    uint64_t hash = fnv(0xcbf29ce484222325ULL, path->data, path->length + 1);
    uint64_t fields[5] = {stat.st_mode, stat.st_uid, stat.st_gid, S_ISREG(stat.st_mode) ? (uint64_t)stat.st_size : 0, S_ISCHR(stat.st_mode) ? (uint64_t)stat.st_rdev : 0};
    hash = fnv(hash, fields, sizeof fields);
    if (S_ISLNK(stat.st_mode)) hash = hash_link_target(dirfd(dir), entry->d_name, hash);
    summary->entries++;
    summary->digest += hash;
    if (S_ISREG(stat.st_mode) && (stat.st_nlink == 1 || !seen_before(summary, (uint64_t)stat.st_ino))) summary->bytes += (uint64_t)stat.st_size;
    if (S_ISDIR(stat.st_mode)) {
      int child = openat(dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) fail("cannot read /%s: %s", path->data, strerror(errno));
      summarize_directory(child, path, summary);
    }
    path->length = length;
    path->data[length] = '\0';
  }
  closedir(dir);
}

static void print_summary(FILE *out) {
  struct summary summary = {0};
  struct text path = {0};
  text_add(&path, "", 0);
  int fd = openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot read the layer: %s", strerror(errno));
  summarize_directory(fd, &path, &summary);
  fprintf(out, "\"summary\":{\"entries\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"digest\":\"%016" PRIx64 "\"}", summary.entries, summary.bytes, summary.digest);
}

/* ------------------------------------------------------------------ main */

static void extract(void) {
  root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) fail("cannot open the layer's root: %s", strerror(errno));
  umask(0);
  open_deferred();
  /* A tar compressed a second time inside its compression: tar would not unpack it, nor do we. */
  if (input_fill(4) >= 4) {
    const unsigned char *start = input + input_at;
    if ((start[0] == 0x1f && start[1] == 0x8b) || (start[0] == 0x28 && start[1] == 0xb5 && start[2] == 0x2f && start[3] == 0xfd)) fail("the layer's content is compressed a second time inside its compression: it is not a tar archive");
  }
  struct pending pending = {0};
  unsigned char block[BLOCK];
  int zero_blocks = 0;
  for (;;) {
    if (input_fill(BLOCK) == 0) break; /* the end, without the two zero blocks: accepted, as tar does */
    if (input_fill(BLOCK) < BLOCK) fail("the layer ends in the middle of a tar header: it is not a complete tar archive");
    uint64_t offset = input_offset;
    input_take(BLOCK, block, -1, NULL);
    if (all_zero(block)) {
      if (++zero_blocks == 2) break;
      continue;
    }
    /* Security: what follows a lone zero block is past the archive's end for GNU tar and an error for Go's archive/tar (Docker): unpacked, it was content only burrow saw. */
    if (zero_blocks > 0) fail("the layer is not a valid tar archive: the zero block at byte %" PRIu64 " is followed by a header, not by a second zero block", offset - BLOCK);
    if (!checksum_valid(block)) fail("the layer is not a valid tar archive: the header at byte %" PRIu64 " has a wrong checksum", offset);
    char type = (char)block[156];
    if (type == 'x' || type == 'X' || type == 'g' || type == 'L' || type == 'K') {
      uint64_t size = tar_number(block + 124, 12);
      if (size > MAX_META_BYTES) {
        char shown[32], limit[32];
        size_t header_length = strnlen((const char *)block, 100);
        fail("the %s %s holds %s, more than the %s allowed", type == 'L' || type == 'K' ? "long name" : "PAX extended header", quote_name((const char *)block, header_length), format_size(size, shown, sizeof shown), format_size(MAX_META_BYTES, limit, sizeof limit));
      }
      char *body = xmalloc((size_t)size + 1);
      input_take(size, body, -1, NULL);
      body[size] = '\0';
      input_take((BLOCK - size % BLOCK) % BLOCK, NULL, -1, NULL);
      if (type == 'x' || type == 'X') {
        /* Security: records of an earlier PAX header added up with this one's, naming an entry Docker names otherwise. */
        pending_clear_pax(&pending);
        if (!parse_pax(body, (size_t)size, &pending)) fail("the layer is not a valid tar archive: the PAX extended header at byte %" PRIu64 " has a malformed record", offset);
      } else if (type == 'L' || type == 'K') {
        /* The name ends at its NUL; a NUL with more after it would hide the rest. An empty one keeps the header's. */
        size_t length = (size_t)size;
        while (length > 0 && body[length - 1] == '\0') length--;
        char **field = type == 'L' ? &pending.long_path : &pending.long_linkpath;
        if (length > 0) {
          free(*field);
          *field = copy_bytes(body, length);
          if (type == 'L') pending.long_path_length = length;
          else pending.long_linkpath_length = length;
        }
      }
      /* 'g', global headers: as Docker, their records do not apply to the entries. */
      free(body);
      continue;
    }
    handle_entry(block, &pending);
    pending_clear(&pending);
  }
  input_drain();
  apply_markers();
  forget_open_directories();
  if (skipped_more > 0) {
    if (skipped_count++ > 0) text_add(&skipped, ",", 1);
    text_printf(&skipped, "\"and %" PRIu64 " more entries, not listed\"", skipped_more);
  }
  printf("{\"skipped\":[%s],", skipped.data == NULL ? "" : skipped.data);
  print_summary(stdout);
  printf("}\n");
  if (fflush(stdout) != 0) fail("cannot write the report: %s", strerror(errno));
}

/* DIR of `extract -`: read a byte at a time, so that not one byte of the layer after it is taken. */
static char target_dir[PATH_MAX];

static char *dir_from_stdin(void) {
  size_t used = 0;
  for (;;) {
    if (used == sizeof target_dir) fail("burrow-unpack: the directory on stdin is longer than PATH_MAX");
    ssize_t got = read(0, target_dir + used, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("cannot read the directory: %s", strerror(errno));
    if (got == 0) {
      if (used == 0) exit(0); /* not needed after all */
      fail("burrow-unpack: stdin ended in the middle of the directory");
    }
    if (target_dir[used++] == '\0') break;
  }
  if (target_dir[0] != '/') fail("burrow-unpack: the directory on stdin must be an absolute path");
  return target_dir;
}

int main(int argc, char **argv) {
  bool summarize = argc == 3 && strcmp(argv[1], "summarize") == 0;
  if (!summarize && !(argc == 5 && strcmp(argv[1], "extract") == 0 && (strcmp(argv[3], "single") == 0 || strcmp(argv[3], "mapped") == 0))) {
    fail("usage: burrow-unpack extract DIR single|mapped CEILING | burrow-unpack summarize DIR");
  }
  if (!summarize && strcmp(argv[2], "-") == 0) argv[2] = dir_from_stdin();
  /* Confinement first: nothing of the archive is read before the root is the layer's. */
  if (chroot(argv[2]) != 0) fail("cannot chroot into %s: %s", argv[2], strerror(errno));
  if (chdir("/") != 0) fail("cannot enter the layer: %s", strerror(errno));
  if (summarize) {
    putchar('{');
    print_summary(stdout);
    printf("}\n");
    return fflush(stdout) == 0 ? 0 : 1;
  }
  single_id = strcmp(argv[3], "single") == 0;
  char *end;
  errno = 0;
  unsigned long long parsed = strtoull(argv[4], &end, 10);
  if (errno != 0 || *end != '\0' || parsed == 0) fail("burrow-unpack: the ceiling must be a number of bytes");
  ceiling = parsed;
  extract();
  return 0;
}
