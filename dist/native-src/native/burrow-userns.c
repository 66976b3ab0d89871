/*
 * burrow-userns: makes burrow's user namespace (with a mount namespace, and a
 * network namespace on request), maps it, and execs CMD in place.
 *
 *   burrow-userns [--net] --self-map UID GID                 [--setuid N --setgid N] -- CMD ARGS...
 *   burrow-userns [--net] (--uid-map I:O:C)... (--gid-map I:O:C)... [--setuid N --setgid N] -- CMD ARGS...
 *
 * --self-map: only the caller's own ids are mapped (no subordinate ids), as
 * UID and GID inside: written by this process to /proc/self/{setgroups,uid_map,
 * gid_map} (setgroups "deny", which the kernel demands of an unprivileged
 * gid_map writer). --uid-map/--gid-map: the full map lines (inner, outer, count),
 * as src/userns/idmap.ts computes them, written by newuidmap/newgidmap, which
 * check them against /etc/subuid and /etc/subgid. They run from a child forked
 * before unshare(2): it waits on a pipe until this process has unshared (EOF
 * without a byte: it did not, and the child exits without mapping anything), runs
 * `newuidmap PID I O C...` and `newgidmap PID ...` side by side (each a setuid
 * program's start: 1.3 ms saved on every start, measured), and exits with their
 * status; of two refusals only newuidmap's line is said (their stderr is read
 * through pipes), so a failure is still one line.
 * Then the mount propagation is made private recursively (what util-linux
 * unshare --mount does by default: no mount made inside reaches the host's
 * namespace), and --setgid/--setuid switch ids as util-linux unshare's do
 * (setgroups to none first, where setgroups is allowed).
 *
 * Why not util-linux unshare: --map-users needs util-linux 2.38, and Ubuntu
 * 22.04 has 2.37. Why C: unshare(CLONE_NEWUSER) needs a single-threaded
 * process, which Node is not. The pid stays the caller's (no fork of CMD):
 * burrow-net checks the launcher's pid.
 *
 * Failures: one line on stderr, "burrow-userns: " and the failing step with
 * strerror ("unshare failed: Operation not permitted", "cannot run newuidmap:
 * No such file or directory", "write /proc/self/uid_map failed: ...");
 * src/userns/failure.ts reads them. Exit 125 for our own failures, 126/127
 * when CMD cannot be executed (as a shell does).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LINES 8
#define FAIL_STATUS 125

struct map_line {
  unsigned long inner, outer, count;
};

static void die(const char *what) {
  fprintf(stderr, "burrow-userns: %s failed: %s\n", what, strerror(errno));
  exit(FAIL_STATUS);
}

static void usage(const char *why) {
  fprintf(stderr, "burrow-userns: %s (usage: burrow-userns [--net] (--self-map UID GID | --uid-map I:O:C... --gid-map I:O:C...) [--setuid N --setgid N] -- CMD...)\n", why);
  exit(FAIL_STATUS);
}

static unsigned long parse_id(const char *text) {
  char *end;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value > 4294967294UL) usage("not an id");
  return value;
}

static void parse_line(const char *text, struct map_line *line) {
  char *end;
  errno = 0;
  line->inner = strtoul(text, &end, 10);
  if (errno != 0 || *end != ':') usage("a map line is INNER:OUTER:COUNT");
  line->outer = strtoul(end + 1, &end, 10);
  if (errno != 0 || *end != ':') usage("a map line is INNER:OUTER:COUNT");
  line->count = strtoul(end + 1, &end, 10);
  if (errno != 0 || *end != '\0' || line->count == 0) usage("a map line is INNER:OUTER:COUNT");
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
    char what[64];
    snprintf(what, sizeof what, "write %s", path);
    die(what);
  }
  close(fd);
}

/* Starts newuidmap/newgidmap PID LINES... with its stderr on a pipe (*said: the reading
 * end), so that of two failing at once only one speaks; its pid, or -1. */
static pid_t start_map_tool(const char *tool, pid_t target, const struct map_line *lines, int count, int *said) {
  char words[1 + 1 + 3 * MAX_LINES][24];
  char *argv[2 + 3 * MAX_LINES + 1];
  int argc = 0;
  argv[argc++] = (char *)tool;
  snprintf(words[0], sizeof words[0], "%d", (int)target);
  argv[argc++] = words[0];
  for (int index = 0; index < count; index++) {
    snprintf(words[1 + 3 * index], sizeof words[0], "%lu", lines[index].inner);
    snprintf(words[2 + 3 * index], sizeof words[0], "%lu", lines[index].outer);
    snprintf(words[3 + 3 * index], sizeof words[0], "%lu", lines[index].count);
    argv[argc++] = words[1 + 3 * index];
    argv[argc++] = words[2 + 3 * index];
    argv[argc++] = words[3 + 3 * index];
  }
  argv[argc] = NULL;
  int words_out[2];
  *said = -1;
  if (pipe2(words_out, O_CLOEXEC) < 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(words_out[0]);
    close(words_out[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(words_out[1], 2);
    execvp(tool, argv);
    fprintf(stderr, "burrow-userns: cannot run %s: %s\n", tool, strerror(errno));
    _exit(FAIL_STATUS);
  }
  close(words_out[1]);
  *said = words_out[0];
  return pid;
}

/* Waits for a map tool started above; 0 when it mapped its ids. What it said goes to
 * stderr when it failed and `speak` is set (its line: "newuidmap: uid range ... not allowed"). */
static int wait_map_tool(const char *tool, pid_t pid, int said, int speak) {
  char words[4096];
  size_t used = 0;
  if (said >= 0) {
    ssize_t got;
    while (used < sizeof words && ((got = read(said, words + used, sizeof words - used)) > 0 || (got < 0 && errno == EINTR))) {
      if (got > 0) used += (size_t)got;
    }
    close(said);
  }
  if (pid < 0) return -1;
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (!speak) return -1;
  if (used > 0 && write(2, words, used) < 0) {
    // Nothing more to say where stderr is gone.
  }
  if (WIFSIGNALED(status)) fprintf(stderr, "burrow-userns: %s was killed by signal %d\n", tool, WTERMSIG(status));
  return -1;
}

/* `burrow setup` installs this program as /usr/local/lib/burrow/<uid>/burrow-userns,
 * the one path its AppArmor profile lets make user namespaces where the kernel
 * restricts them. That directory is open to the user's group (mode 0750): on a host
 * where the group is shared (`users`), the copy refuses everyone but the user it was
 * installed for. Stops other members of the group from getting unrestricted user
 * namespaces, for any program, through this copy. */
static void refuse_other_users_of_copy(void) {
  static const char prefix[] = "/usr/local/lib/burrow/";
  char exe[4096];
  ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (length <= 0) return;
  exe[length] = '\0';
  if (strncmp(exe, prefix, sizeof prefix - 1) != 0) return;
  char *end;
  const char *digits = exe + sizeof prefix - 1;
  unsigned long owner = strtoul(digits, &end, 10);
  if (end == digits || *end != '/') return;
  if (owner != (unsigned long)getuid()) {
    fprintf(stderr, "burrow-userns: this copy is for uid %lu alone (run 'sudo burrow setup' for your own user)\n", owner);
    exit(1);
  }
}

int main(int argc, char **argv) {
  int flags = CLONE_NEWUSER | CLONE_NEWNS;
  struct map_line uid_lines[MAX_LINES], gid_lines[MAX_LINES];
  int uid_count = 0, gid_count = 0;
  int self_map = 0;
  unsigned long self_uid = 0, self_gid = 0;
  long set_uid = -1, set_gid = -1;
  int index = 1;
  refuse_other_users_of_copy();
  for (; index < argc; index++) {
    const char *arg = argv[index];
    if (strcmp(arg, "--") == 0) {
      index++;
      break;
    } else if (strcmp(arg, "--net") == 0) {
      flags |= CLONE_NEWNET;
    } else if (strcmp(arg, "--self-map") == 0 && index + 2 < argc) {
      self_map = 1;
      self_uid = parse_id(argv[++index]);
      self_gid = parse_id(argv[++index]);
    } else if (strcmp(arg, "--uid-map") == 0 && index + 1 < argc) {
      if (uid_count == MAX_LINES) usage("too many --uid-map lines");
      parse_line(argv[++index], &uid_lines[uid_count++]);
    } else if (strcmp(arg, "--gid-map") == 0 && index + 1 < argc) {
      if (gid_count == MAX_LINES) usage("too many --gid-map lines");
      parse_line(argv[++index], &gid_lines[gid_count++]);
    } else if (strcmp(arg, "--setuid") == 0 && index + 1 < argc) {
      set_uid = (long)parse_id(argv[++index]);
    } else if (strcmp(arg, "--setgid") == 0 && index + 1 < argc) {
      set_gid = (long)parse_id(argv[++index]);
    } else {
      usage("unknown option");
    }
  }
  if (index >= argc) usage("no command");
  if (self_map == (uid_count > 0 || gid_count > 0)) usage("give --self-map or both --uid-map and --gid-map");
  if (!self_map && (uid_count == 0 || gid_count == 0)) usage("give both --uid-map and --gid-map");

  // The mapper: forked before unshare, so that it stays in the parent's user
  // namespace, where newuidmap may write the new namespace's maps.
  int go[2] = { -1, -1 };
  pid_t mapper = -1;
  if (!self_map) {
    if (pipe2(go, O_CLOEXEC) < 0) die("pipe");
    pid_t parent = getpid();
    mapper = fork();
    if (mapper < 0) die("fork");
    if (mapper == 0) {
      close(go[1]);
      char byte;
      ssize_t got;
      while ((got = read(go[0], &byte, 1)) < 0 && errno == EINTR) {
      }
      // EOF: the parent could not unshare (or died); nothing to map.
      if (got != 1) _exit(FAIL_STATUS);
      // Both at once: they write different files (uid_map, gid_map), and each is a setuid
      // program's start (a few ms) that the container's or the layer's start waits for.
      // Of two failures, newuidmap's is the one said (one line, as when they ran in turn).
      int uid_said, gid_said;
      pid_t uids = start_map_tool("newuidmap", parent, uid_lines, uid_count, &uid_said);
      pid_t gids = start_map_tool("newgidmap", parent, gid_lines, gid_count, &gid_said);
      int uid_failed = wait_map_tool("newuidmap", uids, uid_said, 1);
      int gid_failed = wait_map_tool("newgidmap", gids, gid_said, uid_failed == 0);
      _exit(uid_failed != 0 || gid_failed != 0 ? FAIL_STATUS : 0);
    }
    close(go[0]);
  }

  // Read before unshare: inside, until the map is written, they read as the overflow id.
  uid_t caller_uid = getuid();
  gid_t caller_gid = getgid();
  if (unshare(flags) < 0) {
    int saved = errno;
    if (mapper > 0) {
      close(go[1]);
      waitpid(mapper, NULL, 0);
    }
    errno = saved;
    die("unshare");
  }

  if (self_map) {
    char line[64];
    write_file("/proc/self/setgroups", "deny");
    snprintf(line, sizeof line, "%lu %u 1", self_uid, (unsigned)caller_uid);
    write_file("/proc/self/uid_map", line);
    snprintf(line, sizeof line, "%lu %u 1", self_gid, (unsigned)caller_gid);
    write_file("/proc/self/gid_map", line);
  } else {
    if (write(go[1], "m", 1) != 1) die("signal the mapper");
    close(go[1]);
    int status;
    while (waitpid(mapper, &status, 0) < 0) {
      if (errno != EINTR) die("wait for the mapper");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      // The mapper's line said why (newuidmap's own, or "cannot run newuidmap").
      if (!WIFEXITED(status)) fprintf(stderr, "burrow-userns: the id mapper was killed by signal %d\n", WTERMSIG(status));
      exit(FAIL_STATUS);
    }
  }

  // Security: mounts made inside (the rootfs, bwrap's) never propagate back to
  // the host's mount namespace, and the host's later mounts do not come in.
  if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make / private");

  if (set_gid >= 0) {
    // Drop the caller's supplementary groups where the kernel lets us (not under
    // setgroups "deny", where they are unmapped and unchangeable anyway).
    if (setgroups(0, NULL) < 0 && errno != EPERM) die("setgroups");
    if (setgid((gid_t)set_gid) < 0) die("setgid");
  }
  if (set_uid >= 0 && setuid((uid_t)set_uid) < 0) die("setuid");
  // Switching to an id that is not the caller's on the host (keep-id's root is a
  // subordinate id) clears the dumpable flag, and until the exec below gives this
  // process a memory map owned by the new namespace, the caller's own burrow-net
  // and pasta (which open /proc/PID/ns/user of this pid while it starts) would be
  // refused with EPERM (a start's network failing, now and then). Security: no
  // weaker than after the exec just below, which makes it dumpable again with the
  // same ids; no other process runs in this namespace yet.
  if (set_uid >= 0 || set_gid >= 0) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#ifdef BURROW_TEST_PAUSE_BEFORE_EXEC_MS
  // Never in a build: test/unit/userns-helper.test.ts compiles a copy with it, to
  // hold open the window between the id switch and the exec.
  usleep(BURROW_TEST_PAUSE_BEFORE_EXEC_MS * 1000);
#endif

  execvp(argv[index], &argv[index]);
  int saved = errno;
  fprintf(stderr, "burrow-userns: cannot run %s: %s\n", argv[index], strerror(saved));
  return saved == ENOENT ? 127 : 126;
}
