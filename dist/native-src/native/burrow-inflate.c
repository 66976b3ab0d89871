/*
 * burrow-inflate: a layer's compressed stream into its tar stream, counted and
 * hashed, beside the extractor.
 *
 *   burrow-inflate gzip|zstd|none CEILING   < layer blob   > tar stream
 *   burrow-inflate gzip|zstd|none CEILING -- EXTRACTOR [ARG...]   < layer blob
 *
 * Reads the layer's blob on stdin, decompresses it (gzip: ISA-L's igzip when it
 * was there at build time, zlib otherwise; zstd: libzstd, when it was there;
 * none: copied as it is), counts the
 * uncompressed bytes, hashes them (sha256, OpenSSL's libcrypto: SHA-NI where the
 * CPU has it) and writes them to stdout, which is the extractor's stdin
 * (native/burrow-unpack.c): the tar stream goes from one process to the other
 * and never through Node. It needs no user namespace and runs outside it; it
 * opens nothing and writes no file. Decompression and extraction run side by
 * side, one process each.
 *
 * With `-- EXTRACTOR...` (how burrow runs it: `unshare ... -- burrow-unpack extract
 * ...`), the inflater starts the extractor itself, before it reads a byte, with a
 * pipe of its own as the extractor's stdin; the extractor's stdout and stderr are
 * the inflater's (its report, its errors), and the inflater's own lines go to fd 3
 * instead. Node then starts one process per layer, not two: each spawn from Node
 * forks a ~100 MB process and holds its event loop still for 5-15 ms, while a
 * spawn from here costs well under a millisecond. The extractor is the same
 * program, with the same arguments, in the same user namespace as when Node
 * started it; the inflater stays outside, as before. The inflater waits for the
 * extractor before it exits, and its last line on fd 3 is the extractor's
 * outcome: `{"extractor":{"exitCode":N}}`, `{"extractor":{"signal":N}}`, or
 * `{"extractor":{"error":"ENOENT"}}` when it could not be started.
 *
 * gzip is read as Go's compress/gzip reads it (Docker, containerd, containers/
 * image): any number of members, each with its trailer checked (CRC-32 and size);
 * bytes after a member must be another member; an empty stream, a stream cut
 * short and a wrong trailer are errors. zstd: any number of frames (skippable
 * ones too), each checked against its checksum when it has one; the window is
 * held to libzstd's default limit (128 MiB), so a frame cannot make it allocate
 * more; an empty stream and one cut short are errors.
 *
 * A gzip bomb ends here: once the stream would grow past CEILING bytes nothing
 * more is written and it exits 2 (the extractor's own limits are on what the tar
 * headers declare; this one is on the stream, whatever they say).
 *
 *   burrow-inflate --args-on-stdin -- EXTRACTOR [ARG...]
 *       < MODE NUL CEILING NUL [PRELUDE NUL]... NUL, then the layer blob
 *
 * The same with an extractor, started at once, before the layer is known: burrow
 * starts one such pair while the registry is still asked for the manifest, so that
 * the spawn from Node and the extractor's user namespace (newuidmap, newgidmap:
 * ~10 ms) are off a cold run's path. MODE and CEILING come first on stdin, each
 * ended by a NUL, then the extractor's PRELUDE fields (`burrow-unpack extract -`:
 * its directory), which are written to the extractor's stdin, each with its NUL,
 * before the tar stream; an empty field ends the header. Read a byte at a time: not
 * one byte of the blob after it is taken. A stdin that ends before any byte is a
 * pair not needed: the extractor's stdin is closed before any byte (it exits 0, as
 * `extract -` does then), and the inflater waits for it and exits 0, printing nothing.
 *
 * On success prints `{"diffId":"sha256:…","size":N}` on stderr (fd 3 with an
 * extractor) and exits 0. Otherwise one line there and:
 *   1  the stream is not valid (the message says why);
 *   2  the stream uncompresses to more than CEILING bytes;
 *   3  stdout was closed: the extractor stopped reading (its own error says why);
 *   4  a usage or system error (reading stdin, memory).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#ifdef BURROW_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif
#ifdef BURROW_ZSTD
#include <zstd.h>
#endif

enum { EXIT_INVALID = 1, EXIT_CEILING = 2, EXIT_CLOSED = 3, EXIT_SYSTEM = 4 };

/* Where the inflater's own lines go: stderr, or fd 3 when it started the extractor. */
static FILE *report;
/* The extractor it started (0: none, or already waited for). */
static pid_t extractor;

/*
 * Ends the tar stream (the extractor sees its end: a stream cut short is its
 * error), waits for the extractor and reports how it ended, as the last line.
 */
static void finish_extractor(void) {
  if (extractor <= 0) return;
  close(1);
  int status;
  pid_t waited;
  do waited = waitpid(extractor, &status, 0);
  while (waited < 0 && errno == EINTR);
  extractor = 0;
  if (waited < 0) fprintf(report, "{\"extractor\":{\"error\":\"%s\"}}\n", strerrorname_np(errno));
  else if (WIFSIGNALED(status)) fprintf(report, "{\"extractor\":{\"signal\":%d}}\n", WTERMSIG(status));
  else fprintf(report, "{\"extractor\":{\"exitCode\":%d}}\n", WEXITSTATUS(status));
}

static void fail(int status, const char *format, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void fail(int status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vfprintf(report, format, args);
  va_end(args);
  fputc('\n', report);
  finish_extractor();
  exit(status);
}

/*
 * Starts `command` (argv-style, found on PATH) with a new pipe as its stdin, the
 * inflater's stdout and stderr as its own (fd 3 is close-on-exec); the pipe's
 * writing end becomes the inflater's stdout. posix_spawn (a vfork, then exec) tells
 * a command that could not be run apart from one that failed.
 */
static void start_extractor(char **command) {
  int tar[2];
  if (pipe2(tar, O_CLOEXEC) != 0) fail(EXIT_SYSTEM, "cannot make a pipe for the extractor: %s", strerror(errno));
  /* Fewer wake-ups on both sides than the default 64 KiB (best effort: capped by fs.pipe-max-size). */
  fcntl(tar[1], F_SETPIPE_SZ, 1024 * 1024);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  sigset_t defaults;
  sigemptyset(&defaults);
  /* The extractor dies of a closed stdout as Node's children do; the inflater ignores SIGPIPE (below). */
  sigaddset(&defaults, SIGPIPE);
  if (posix_spawn_file_actions_init(&actions) != 0 || posix_spawnattr_init(&attributes) != 0 ||
      posix_spawn_file_actions_adddup2(&actions, tar[0], 0) != 0 ||
      posix_spawnattr_setsigdefault(&attributes, &defaults) != 0 ||
      posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF) != 0) {
    fail(EXIT_SYSTEM, "cannot set up the extractor's start");
  }
  extern char **environ;
  pid_t pid;
  int error = posix_spawnp(&pid, command[0], &actions, &attributes, command, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(tar[0]);
  if (error != 0) {
    fprintf(report, "cannot start the extractor (%s): %s\n", command[0], strerror(error));
    fprintf(report, "{\"extractor\":{\"error\":\"%s\"}}\n", strerrorname_np(error));
    exit(EXIT_SYSTEM);
  }
  extractor = pid;
  if (dup2(tar[1], 1) < 0) fail(EXIT_SYSTEM, "cannot pass the layer on: %s", strerror(errno));
  close(tar[1]);
}

/* 256 KiB reads (Node writes the blob in 1 MiB pieces, a pipe holds 64 KiB);
 * 1 MiB of output per write keeps the system calls few. */
static unsigned char input[256 * 1024];
static unsigned char output[1024 * 1024];
static bool input_eof;
static uint64_t compressed_read;

/* Fills `input` with what stdin has; 0 at its end. */
static size_t read_input(void) {
  for (;;) {
    ssize_t got = read(0, input, sizeof input);
    if (got > 0) {
      compressed_read += (uint64_t)got;
      return (size_t)got;
    }
    if (got == 0) {
      input_eof = true;
      return 0;
    }
    if (errno != EINTR) fail(EXIT_SYSTEM, "cannot read the layer: %s", strerror(errno));
  }
}

static uint64_t ceiling, size;
static EVP_MD_CTX *hash;

/* Counts, hashes and writes out a piece of the tar stream. */
static void emit(const unsigned char *bytes, size_t length) {
  if (length == 0) return;
  /* Compared before it is added: with a ceiling near 2^64 the sum would wrap. */
  if (length > ceiling - size) fail(EXIT_CEILING, "the layer uncompresses to more than %" PRIu64 " bytes", ceiling);
  size += length;
  if (EVP_DigestUpdate(hash, bytes, length) != 1) fail(EXIT_SYSTEM, "cannot hash the layer");
  while (length > 0) {
    ssize_t put = write(1, bytes, length);
    if (put < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) fail(EXIT_CLOSED, "the extractor stopped reading the layer");
      fail(EXIT_SYSTEM, "cannot pass the layer on: %s", strerror(errno));
    }
    bytes += put;
    length -= (size_t)put;
  }
}

static void copy(void) {
  size_t got;
  while ((got = read_input()) > 0) emit(input, got);
}

#ifdef BURROW_ISAL
static const char *isal_problem(int code, const struct inflate_state *at) {
  /* The header's own CRC-16 fails with the same code as the trailer's CRC-32: the
   * trailer is checked once the data is done, the header before a block starts. */
  bool in_trailer = at->block_state == ISAL_BLOCK_INPUT_DONE || at->block_state == ISAL_BLOCK_FINISH || at->block_state == ISAL_CHECKSUM_CHECK;
  if (code == ISAL_INCORRECT_CHECKSUM && !in_trailer) return "a gzip header whose CRC-16 does not match it";
  switch (code) {
  case ISAL_INVALID_BLOCK: return "an invalid deflate block";
  case ISAL_INVALID_SYMBOL: return "an invalid deflate symbol";
  case ISAL_INVALID_LOOKBACK: return "a deflate distance too far back";
  case ISAL_INVALID_WRAPPER: return "an invalid gzip header";
  case ISAL_UNSUPPORTED_METHOD: return "a gzip member not compressed with deflate";
  case ISAL_INCORRECT_CHECKSUM: return "a gzip trailer that does not match its data (CRC-32 or size)";
  default: return "an invalid gzip stream";
  }
}

static struct inflate_state state;

static void gunzip(void) {
  uint64_t members = 0;
  bool in_member = false;
  isal_inflate_init(&state);
  state.crc_flag = ISAL_GZIP;
  for (;;) {
    if (state.avail_in == 0 && !input_eof) {
      state.next_in = input;
      state.avail_in = (uint32_t)read_input();
    }
    if (state.avail_in == 0 && input_eof && !in_member) break;
    in_member = true;
    uint32_t before_in = state.avail_in;
    state.next_out = output;
    state.avail_out = sizeof output;
    int result = isal_inflate(&state);
    if (result < 0) fail(EXIT_INVALID, "%s near compressed byte %" PRIu64, isal_problem(result, &state), compressed_read - state.avail_in);
    size_t produced = sizeof output - state.avail_out;
    emit(output, produced);
    if (state.block_state == ISAL_BLOCK_FINISH) {
      /* A member ends, trailer checked; whatever follows must be another member. */
      members++;
      in_member = false;
      uint8_t *next = state.next_in;
      uint32_t left = state.avail_in;
      isal_inflate_reset(&state);
      state.crc_flag = ISAL_GZIP;
      state.next_in = next;
      state.avail_in = left;
      continue;
    }
    if (produced == 0 && state.avail_in == before_in && state.avail_in == 0 && input_eof) {
      fail(EXIT_INVALID, "the gzip stream ends in the middle of a member (at compressed byte %" PRIu64 ")", compressed_read);
    }
    if (produced == 0 && state.avail_in == before_in && before_in > 0) fail(EXIT_INVALID, "an invalid gzip stream near compressed byte %" PRIu64, compressed_read - state.avail_in);
  }
  if (members == 0) fail(EXIT_INVALID, "the gzip stream is empty");
}
#else
static z_stream stream;

static void gunzip(void) {
  uint64_t members = 0;
  bool in_member = false;
  /* 16 + 15: a gzip wrapper (header and trailer checked), a 32 KiB window. */
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) fail(EXIT_SYSTEM, "cannot start zlib");
  for (;;) {
    if (stream.avail_in == 0 && !input_eof) {
      stream.next_in = input;
      stream.avail_in = (uInt)read_input();
    }
    if (stream.avail_in == 0 && input_eof && !in_member) break;
    in_member = true;
    stream.next_out = output;
    stream.avail_out = sizeof output;
    int result = inflate(&stream, Z_NO_FLUSH);
    emit(output, sizeof output - stream.avail_out);
    if (result == Z_STREAM_END) {
      members++;
      in_member = false;
      if (inflateReset(&stream) != Z_OK) fail(EXIT_SYSTEM, "cannot restart zlib");
      continue;
    }
    if (result == Z_BUF_ERROR) {
      /* No progress: more input is needed, and there is none. */
      if (stream.avail_in == 0 && input_eof) fail(EXIT_INVALID, "the gzip stream ends in the middle of a member (at compressed byte %" PRIu64 ")", compressed_read);
      continue;
    }
    if (result != Z_OK) {
      const char *problem = result == Z_DATA_ERROR && stream.msg != NULL ? stream.msg : "an invalid gzip stream";
      /* zlib's words for a trailer that does not match. */
      if (strcmp(problem, "incorrect data check") == 0 || strcmp(problem, "incorrect length check") == 0) problem = "a gzip trailer that does not match its data (CRC-32 or size)";
      if (strcmp(problem, "header crc mismatch") == 0) problem = "a gzip header whose CRC-16 does not match it";
      fail(EXIT_INVALID, "%s near compressed byte %" PRIu64, problem, compressed_read - stream.avail_in);
    }
  }
  if (members == 0) fail(EXIT_INVALID, "the gzip stream is empty");
}
#endif

#ifdef BURROW_ZSTD
static void unzstd(void) {
  ZSTD_DCtx *context = ZSTD_createDCtx();
  if (context == NULL) fail(EXIT_SYSTEM, "cannot start zstd");
  ZSTD_inBuffer in = { input, 0, 0 };
  /* 0 once a frame is decoded and flushed; before any input, not 0. */
  size_t hint = 1;
  for (;;) {
    bool full;
    do {
      ZSTD_outBuffer out = { output, sizeof output, 0 };
      hint = ZSTD_decompressStream(context, &out, &in);
      if (ZSTD_isError(hint)) fail(EXIT_INVALID, "%s near compressed byte %" PRIu64, ZSTD_getErrorName(hint), compressed_read - (in.size - in.pos));
      emit(output, out.pos);
      full = out.pos == out.size;
      /* A full buffer may hold more to flush, unless the frame just ended: another
       * call then would start the next frame and return its header's size. */
    } while (in.pos < in.size || (full && hint != 0));
    size_t got = read_input();
    if (got == 0) break;
    in.size = got;
    in.pos = 0;
  }
  if (compressed_read == 0) fail(EXIT_INVALID, "the zstd stream is empty");
  if (hint != 0) fail(EXIT_INVALID, "the zstd stream ends in the middle of a frame (at compressed byte %" PRIu64 ")", compressed_read);
  ZSTD_freeDCtx(context);
}
#endif

/*
 * The header of `--args-on-stdin`: NUL-ended fields up to an empty one, at most
 * 64 KiB and 16 fields (burrow's are three, a few hundred bytes). Returns the number
 * of fields; -1 when stdin ended before any byte.
 */
static char header[64 * 1024];
static char *fields[16];

static int read_header(void) {
  size_t used = 0, start = 0;
  int count = 0;
  for (;;) {
    if (used == sizeof header) fail(EXIT_SYSTEM, "burrow-inflate: the header on stdin is longer than 64 KiB");
    ssize_t got = read(0, header + used, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(EXIT_SYSTEM, "cannot read the header: %s", strerror(errno));
    if (got == 0) {
      if (used == 0) return -1;
      fail(EXIT_SYSTEM, "burrow-inflate: stdin ended in the middle of the header");
    }
    if (header[used++] != '\0') continue;
    if (used - 1 == start) return count;
    if (count == (int) (sizeof fields / sizeof fields[0])) fail(EXIT_SYSTEM, "burrow-inflate: more than 16 fields in the header");
    fields[count++] = header + start;
    start = used;
  }
}

/* Writes all of `bytes` to fd 1 (the extractor's stdin). */
static void write_all(const char *bytes, size_t length) {
  while (length > 0) {
    ssize_t put = write(1, bytes, length);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) fail(errno == EPIPE ? EXIT_CLOSED : EXIT_SYSTEM, "cannot write to the extractor: %s", strerror(errno));
    bytes += put;
    length -= (size_t) put;
  }
}

int main(int argc, char **argv) {
  report = stderr;
  bool header_mode = argc >= 4 && strcmp(argv[1], "--args-on-stdin") == 0 && strcmp(argv[2], "--") == 0;
  bool launch = header_mode || (argc >= 5 && strcmp(argv[3], "--") == 0);
  if (launch) {
    /* fd 3 must be there (the caller's channel for these lines); stderr is the extractor's. */
    report = fcntl(3, F_GETFD) >= 0 ? fdopen(3, "w") : NULL;
    if (report == NULL) {
      report = stderr;
      fail(EXIT_SYSTEM, "burrow-inflate: with an extractor, fd 3 must be open for the inflater's report");
    }
    /* Not the extractor's: it would keep the channel open after the inflater's end. */
    fcntl(3, F_SETFD, FD_CLOEXEC);
  }
  const char *mode = argc == 3 || launch ? argv[1] : "";
  const char *ceiling_text = argc >= 3 ? argv[2] : "";
  if (header_mode) {
    signal(SIGPIPE, SIG_IGN);
    /* Blocking reads: stdin may be a pipe end its starter made non-blocking for itself. */
    int flags = fcntl(0, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) != 0) fcntl(0, F_SETFL, flags & ~O_NONBLOCK);
    /* Started first, before a byte is read: its user namespace is made while the registry answers. */
    start_extractor(argv + 3);
    int count = read_header();
    if (count < 0) {
      /* Not needed: the extractor sees its stdin end before any byte, and exits. */
      close(1);
      int status;
      while (waitpid(extractor, &status, 0) < 0 && errno == EINTR) {}
      return 0;
    }
    if (count < 2) fail(EXIT_SYSTEM, "burrow-inflate: the header needs MODE and CEILING");
    mode = fields[0];
    ceiling_text = fields[1];
    for (int i = 2; i < count; i++) write_all(fields[i], strlen(fields[i]) + 1);
  }
#ifdef BURROW_ZSTD
  bool zstd = strcmp(mode, "zstd") == 0;
#else
  bool zstd = false;
#endif
  if (strcmp(mode, "gzip") != 0 && !zstd && strcmp(mode, "none") != 0) fail(EXIT_SYSTEM, "usage: burrow-inflate gzip|zstd|none CEILING (zstd when built with libzstd)");
  char *end;
  errno = 0;
  unsigned long long parsed = strtoull(ceiling_text, &end, 10);
  if (errno != 0 || *end != '\0' || parsed == 0) fail(EXIT_SYSTEM, "burrow-inflate: the ceiling must be a number of bytes");
  ceiling = parsed;
  /* A closed stdout is an EPIPE to report, not a signal to die of (Node's children start with SIGPIPE's default). */
  signal(SIGPIPE, SIG_IGN);
  /* Blocking reads and writes: stdout may be a pipe end Node made non-blocking for itself. */
  for (int fd = 0; fd <= 1; fd++) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) != 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  }
  /* Started first: its user namespace is being set up while the first bytes arrive. */
  if (launch && !header_mode) start_extractor(argv + 4);
  hash = EVP_MD_CTX_new();
  if (hash == NULL || EVP_DigestInit_ex(hash, EVP_sha256(), NULL) != 1) fail(EXIT_SYSTEM, "cannot start sha256");
  if (strcmp(mode, "gzip") == 0) gunzip();
#ifdef BURROW_ZSTD
  else if (zstd) unzstd();
#endif
  else copy();
  unsigned char digest[32];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(hash, digest, &length) != 1 || length != sizeof digest) fail(EXIT_SYSTEM, "cannot hash the layer");
  char hex[2 * sizeof digest + 1];
  for (size_t i = 0; i < sizeof digest; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  fprintf(report, "{\"diffId\":\"sha256:%s\",\"size\":%" PRIu64 "}\n", hex, size);
  finish_extractor();
  return fflush(report) == 0 ? 0 : EXIT_SYSTEM;
}
