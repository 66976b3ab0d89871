/*
 * burrow-cgexec: puts itself into a container's cgroups, then execs the container's
 * launcher, so that nothing of the container runs before its limits apply.
 *
 *   burrow-cgexec [--systemd UNIT SUBPATH] [--procs FILE]... -- CMD ARGS...
 *   burrow-cgexec --hold
 *
 * For each FILE (a cgroup.procs, v2 or v1) it writes "0": the kernel moves the
 * writing process. With --systemd, when those writes are refused (the job sits in
 * a cgroup the user cannot write, as on GitHub-hosted runners), it asks the user's
 * systemd manager instead: `busctl --user call … AttachProcessesToUnit ssau UNIT
 * SUBPATH 1 PID`, which has PID 1 move it. Then it checks that its pid is listed in
 * every FILE, and execs CMD. `--hold` only waits, forever: the process of the
 * systemd unit that holds the containers' cgroups (src/cgroup/systemd-user.ts).
 *
 * Any failure prints `burrow-why <cgroup, reason>` and `{"burrow-error":"cgroup"}`
 * on fd 3 when it is open (the launcher's info channel, src/rootfs/shell.ts) and
 * the reason on stderr, and exits 125.
 * Security: a container whose move failed must not run at all. Run unlimited, a
 * fork bomb or a runaway allocation in a CI job would take the whole runner down;
 * the check after the move also catches a move reported done that left this
 * process elsewhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PROCS 16

static void fail(const char *what, const char *reason)
{
  if (fcntl(3, F_GETFD) != -1)
    dprintf(3, "burrow-why cannot enter the container's cgroup %s: %s\n{\"burrow-error\":\"cgroup\"}\n", what, reason);
  fprintf(stderr, "burrow-cgexec: cannot enter the container's cgroup %s: %s\n", what, reason);
  exit(125);
}

/* Writes "0" to a cgroup.procs: moves this process. Returns 0 or an errno. */
static int enter(const char *procs)
{
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int error = write(fd, "0", 1) == 1 ? 0 : errno;
  close(fd);
  return error;
}

/* Whether this process's pid is a line of the cgroup.procs file. */
static int listed(const char *procs)
{
  FILE *file = fopen(procs, "re");
  if (file == NULL) return 0;
  char line[32];
  long self = (long) getpid();
  int found = 0;
  while (!found && fgets(line, sizeof line, file) != NULL) found = strtol(line, NULL, 10) == self;
  fclose(file);
  return found;
}

/* Has the user's systemd manager move this process into UNIT's cgroup at SUBPATH. */
static void attach(const char *unit, const char *subpath)
{
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) fail(unit, strerror(errno));
  char pid[24], runtime[64];
  snprintf(pid, sizeof pid, "%ld", (long) getpid());
  pid_t child = fork();
  if (child < 0) fail(unit, strerror(errno));
  if (child == 0) {
    /* busctl --user finds the bus under XDG_RUNTIME_DIR, which a CI job may not have set. */
    if (getenv("XDG_RUNTIME_DIR") == NULL) {
      snprintf(runtime, sizeof runtime, "/run/user/%u", (unsigned) getuid());
      setenv("XDG_RUNTIME_DIR", runtime, 1);
    }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(null, 0);
    dup2(null, 1);
    dup2(err[1], 2);
    close_range(3, ~0U, 0); /* not the info channel, nor anything else of the container's */
    execlp("busctl", "busctl", "--user", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
           "org.freedesktop.systemd1.Manager", "AttachProcessesToUnit", "ssau", unit, subpath, "1", pid, (char *) NULL);
    dprintf(2, "cannot run busctl: %s\n", strerror(errno));
    _exit(127);
  }
  close(err[1]);
  char message[512];
  size_t used = 0;
  ssize_t n;
  while (used < sizeof message - 1 && ((n = read(err[0], message + used, sizeof message - 1 - used)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0) used += (size_t) n;
  message[used] = '\0';
  close(err[0]);
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  char *newline = strchr(message, '\n');
  if (newline != NULL) *newline = '\0';
  char what[512];
  snprintf(what, sizeof what, "%s%s through the systemd user manager", unit, subpath);
  fail(what, message[0] != '\0' ? message : "busctl failed");
}

int main(int argc, char **argv)
{
  const char *unit = NULL, *subpath = NULL;
  const char *procs[MAX_PROCS];
  int count = 0;
  int i = 1;
  if (argc == 2 && strcmp(argv[1], "--hold") == 0) {
    /* The holding unit's process: nothing to do but be there (SIGTERM ends it). */
    for (;;) pause();
  }
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "--systemd") == 0 && i + 2 < argc) { unit = argv[++i]; subpath = argv[++i]; }
    else if (strcmp(argv[i], "--procs") == 0 && i + 1 < argc && count < MAX_PROCS) procs[count++] = argv[++i];
    else { fprintf(stderr, "usage: burrow-cgexec [--systemd UNIT SUBPATH] [--procs FILE]... -- CMD ARGS...\n"); return 125; }
  }
  if (i + 1 >= argc) { fprintf(stderr, "burrow-cgexec: no command after --\n"); return 125; }
  if (count == 0 && unit == NULL) fail("(none given)", "no --procs and no --systemd");

  int refused = 0;
  for (int p = 0; p < count && !refused; p++) {
    int error = enter(procs[p]);
    if (error == 0) continue;
    /* A cgroup the user cannot write into directly: the user manager can, where there is one. */
    if (unit != NULL && (error == EACCES || error == EPERM || error == ENOENT)) refused = 1;
    else fail(procs[p], strerror(error));
  }
  if (unit != NULL && (refused || count == 0)) attach(unit, subpath);
  for (int p = 0; p < count; p++)
    if (!listed(procs[p])) fail(procs[p], "this process is not in it after the move");

  execvp(argv[i + 1], &argv[i + 1]);
  fprintf(stderr, "burrow-cgexec: cannot run %s: %s\n", argv[i + 1], strerror(errno));
  return 127;
}
