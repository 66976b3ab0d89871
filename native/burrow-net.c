/*
 * burrow-net: the network agent of a container with a private network
 * (docs/ARCHITECTURE.md, "Networks"; src/network/helpers.ts builds its command).
 *
 *   burrow-net --dir DIR --helper pasta|slirp4netns|none [--helper-arg ARG]...
 *              [--slirp-hostfwd PROTO:HOSTIP:HOSTPORT:GUESTPORT]... -- LAUNCHER...
 *
 * It makes two pipes and forks. The parent puts their launcher ends on fd 5
 * (`ready PID`, written) and fd 6 (`go` or `fail WHY`, read) and execs the
 * launcher, so the pid that Node or burrow-monitor waits for stays the
 * launcher's. The child stays in the host's namespaces as the user: once the
 * launcher said `ready PID` (its user and network namespaces exist; the rootfs is
 * still being mounted) it brings `lo` up in PID's network namespace, starts the
 * helper against PID (none: no outbound access, the user networks alone, as for a
 * container whose networks are all internal), runs each attachment
 * (burrow-netattach) for the DIR/ *.attach files as they are at this launch (so a
 * restart by burrow-monitor rejoins the networks `network connect` added and not
 * those `network disconnect` removed), answers `go` (or `fail WHY`), and then
 * watches the launcher and the helper. The launcher becomes
 * bwrap's outer process and lives exactly as long as the container: when it ends,
 * the helper is killed (pasta never exits on its own: it holds the tap, which
 * holds the namespace). A helper that dies first is reported on stderr (the
 * container's log or the terminal) and as `helperError` in DIR/network.json.
 *
 * DIR/network-helper names the helper (PID.STARTTIME.BOOTID, util/process-identity.ts)
 * so that rm, system prune and the next start kill one this agent left behind.
 * Single-threaded, as namespaces need (setns(CLONE_NEWUSER) refuses a threaded caller).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "process-start.h"

#define READY_FD 5
#define GO_FD 6
#define MAX_LIST 256

static const char *dir;
static const char *helper;
static const char *helper_args[MAX_LIST];
static int n_helper_args;
static const char *hostfwds[MAX_LIST];
static int n_hostfwds;
static char *attaches[MAX_LIST];
static int n_attaches;

static int pidfd_open_(pid_t pid) { return (int) syscall(SYS_pidfd_open, pid, 0); }
static int pidfd_kill(int pidfd, int sig) { return (int) syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

static void usage(void)
{
  fprintf(stderr, "usage: burrow-net --dir DIR --helper pasta|slirp4netns|none [--helper-arg ARG]... [--slirp-hostfwd SPEC]... -- LAUNCHER...\n");
  exit(125);
}

static void path_in_dir(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", dir, name); }

/* The first line of FILE (the helper's own words), trimmed, or "" */
static void first_line(const char *file, char *out, size_t size)
{
  out[0] = '\0';
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, out, size - 1);
  close(fd);
  if (n < 0) n = 0;
  out[n] = '\0';
  /* pasta prints "Failed to send N bytes to syslog" before its message when it has no syslog. */
  char *line = out;
  for (;;) {
    char *end = strchr(line, '\n');
    if (end == NULL) break;
    if (strncmp(line, "Failed to send", 14) == 0 && end[1] != '\0') { line = end + 1; continue; }
    *end = '\0';
    break;
  }
  memmove(out, line, strlen(line) + 1);
}

/* The reply on the go pipe: `go`, or `fail WHY` (one line). */
static void answer(const char *fmt, ...)
{
  char why[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  for (char *c = why; *c; c++) if (*c == '\n' || *c == '\r') *c = ' ';
  dprintf(GO_FD, "%s\n", why);
  close(GO_FD);
}

/* `lo` up in PID's network namespace: a forked child enters its user and network namespaces. */
static int loopback_up(pid_t target)
{
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int) target);
    int user = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int) target);
    int net = open(path, O_RDONLY | O_CLOEXEC);
    if (user < 0 || net < 0 || setns(user, CLONE_NEWUSER) != 0 || setns(net, CLONE_NEWNET) != 0) _exit(1);
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "lo");
    if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &request) != 0) _exit(2);
    request.ifr_flags |= IFF_UP;
    _exit(ioctl(sock, SIOCSIFFLAGS, &request) == 0 ? 0 : 3);
  }
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The terminal's signals (Ctrl-C, Ctrl-\\, a hangup) and burrow's SIGTERM reach the whole
 * process group: they are the container's to act on. The agent goes when the
 * launcher goes, and not before, or pasta would be left running. */
static const int TERMINAL_SIGNALS[] = { SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU };

static void terminal_signals(void (*action)(int))
{
  for (size_t i = 0; i < sizeof TERMINAL_SIGNALS / sizeof TERMINAL_SIGNALS[0]; i++) signal(TERMINAL_SIGNALS[i], action);
}

/* Runs ARGV with stdin and stdout on /dev/null, stderr to LOG, KEEP (if >= 0) kept open as itself. */
static pid_t spawn(char *const argv[], int log, int keep1, int keep2)
{
  pid_t child = fork();
  if (child != 0) return child;
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  dup2(null, 1);
  dup2(log, 2);
  for (int fd = 3; fd < 1024; fd++) if (fd != keep1 && fd != keep2) close(fd);
  signal(SIGPIPE, SIG_DFL);
  terminal_signals(SIG_DFL);
  execvp(argv[0], argv);
  dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

/* Writes DIR/network-helper: the helper's identity, for a cleanup after a crash. */
static void record_helper(pid_t pid)
{
  char boot[64] = "", path[4096], tmp[4096];
  int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, boot, sizeof boot - 1);
    close(fd);
    boot[n > 0 ? n : 0] = '\0';
    char *nl = strchr(boot, '\n');
    if (nl) *nl = '\0';
  }
  path_in_dir(path, sizeof path, "network-helper");
  path_in_dir(tmp, sizeof tmp, "network-helper.tmp");
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  dprintf(fd, "%d.%llu.%s\n", (int) pid, start_time(pid), boot);
  close(fd);
  rename(tmp, path);
}

static void forget_helper(void)
{
  char path[4096];
  path_in_dir(path, sizeof path, "network-helper");
  unlink(path);
}

/* Adds "helperError" to DIR/network.json (Node wrote the rest; kept as it is). */
static void record_helper_error(const char *why)
{
  char path[4096], tmp[4096], text[65536], escaped[1200];
  path_in_dir(path, sizeof path, "network.json");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? 0 : read(fd, text, sizeof text - 1);
  if (fd >= 0) close(fd);
  if (n < 0) n = 0;
  text[n] = '\0';
  char *end = strrchr(text, '}');
  size_t j = 0;
  for (const char *c = why; *c && j < sizeof escaped - 8; c++) {
    if (*c == '"' || *c == '\\') escaped[j++] = '\\';
    if ((unsigned char) *c < 0x20) continue;
    escaped[j++] = *c;
  }
  escaped[j] = '\0';
  path_in_dir(tmp, sizeof tmp, "network.json.tmp");
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (end == NULL) dprintf(fd, "{\"helperError\":\"%s\"}\n", escaped);
  else {
    *end = '\0';
    /* An object with members already gets a comma before the new one. */
    char *last = end;
    while (last > text && (last[-1] == ' ' || last[-1] == '\n' || last[-1] == '\t')) last--;
    int empty = last > text && last[-1] == '{';
    dprintf(fd, "%s%s\"helperError\":\"%s\"}\n", text, empty ? "" : ",", escaped);
  }
  close(fd);
  rename(tmp, path);
}

static int read_line(int fd, char *out, size_t size)
{
  size_t used = 0;
  while (used < size - 1) {
    ssize_t n = read(fd, out + used, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out[used] == '\n') break;
    used++;
  }
  out[used] = '\0';
  return (int) used;
}

/* pasta: daemonizes once the namespace is configured (its first process exits 0); its pid from --pid. */
static int start_pasta(pid_t target, int log, char *why, size_t why_size)
{
  char pidfile[4096], log_path[4096], target_text[24];
  path_in_dir(pidfile, sizeof pidfile, "pasta.pid");
  path_in_dir(log_path, sizeof log_path, "network-helper.log");
  unlink(pidfile);
  snprintf(target_text, sizeof target_text, "%d", (int) target);
  char *argv[MAX_LIST + 8];
  int argc = 0;
  argv[argc++] = "pasta";
  for (int i = 0; i < n_helper_args; i++) argv[argc++] = (char *) helper_args[i];
  argv[argc++] = "--pid";
  argv[argc++] = pidfile;
  argv[argc++] = target_text;
  argv[argc] = NULL;
  pid_t child = spawn(argv, log, -1, -1);
  if (child < 0) { snprintf(why, why_size, "cannot start pasta: %s", strerror(errno)); return -1; }
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    char line[512];
    first_line(log_path, line, sizeof line);
    snprintf(why, why_size, "pasta failed%s%s", line[0] ? ": " : "", line);
    return -1;
  }
  char text[32] = "";
  int fd = open(pidfile, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
  if (fd >= 0) close(fd);
  unlink(pidfile);
  text[n > 0 ? n : 0] = '\0';
  pid_t pid = (pid_t) atoi(text);
  if (pid <= 0) { snprintf(why, why_size, "pasta wrote no pid"); return -1; }
  return pid;
}

/* One add_hostfwd through slirp4netns's API socket; 0 when it took it. */
static int slirp_hostfwd(const char *socket_path, const char *spec, char *why, size_t why_size)
{
  char proto[8] = "", host_ip[64] = "";
  int host_port = 0, guest_port = 0;
  const char *a = strchr(spec, ':');
  const char *b = a ? strchr(a + 1, ':') : NULL;
  if (a == NULL || b == NULL || (size_t) (a - spec) >= sizeof proto || (size_t) (b - a - 1) >= sizeof host_ip || sscanf(b + 1, "%d:%d", &host_port, &guest_port) != 2) {
    snprintf(why, why_size, "bad --slirp-hostfwd %s", spec);
    return -1;
  }
  memcpy(proto, spec, (size_t) (a - spec));
  memcpy(host_ip, a + 1, (size_t) (b - a - 1));
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  snprintf(address.sun_path, sizeof address.sun_path, "%.100s", socket_path);
  if (sock < 0 || connect(sock, (struct sockaddr *) &address, sizeof address) != 0) {
    snprintf(why, why_size, "cannot reach slirp4netns's API socket: %s", strerror(errno));
    if (sock >= 0) close(sock);
    return -1;
  }
  dprintf(sock, "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"%s\",\"host_addr\":\"%s\",\"host_port\":%d,\"guest_port\":%d}}",
          proto, host_ip[0] ? host_ip : "0.0.0.0", host_port, guest_port);
  shutdown(sock, SHUT_WR);
  char reply[1024];
  size_t used = 0;
  ssize_t n;
  while (used < sizeof reply - 1 && ((n = read(sock, reply + used, sizeof reply - 1 - used)) > 0 || (n < 0 && errno == EINTR))) if (n > 0) used += (size_t) n;
  reply[used] = '\0';
  close(sock);
  if (strstr(reply, "\"error\"") != NULL) {
    char *nl = strchr(reply, '\n');
    if (nl) *nl = '\0';
    snprintf(why, why_size, "slirp4netns cannot publish %s:%d: %.400s", host_ip[0] ? host_ip : "0.0.0.0", host_port, reply);
    return -1;
  }
  return 0;
}

/* slirp4netns: a child of this agent, ready when it writes on --ready-fd, gone when --exit-fd closes. */
static int start_slirp(pid_t target, int log, int *exit_write, char *why, size_t why_size)
{
  int ready[2], exit_pipe[2];
  /* Relative to DIR (the agent's working directory): a socket's path must fit in 108 bytes. */
  const char *socket_path = "slirp.sock";
  char log_path[4096], target_text[24], ready_text[16], exit_text[16];
  path_in_dir(log_path, sizeof log_path, "network-helper.log");
  unlink(socket_path);
  if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(exit_pipe, O_CLOEXEC) != 0) { snprintf(why, why_size, "pipe: %s", strerror(errno)); return -1; }
  /* The child keeps its ends across exec (spawn closes the rest); so they lose O_CLOEXEC there. */
  snprintf(target_text, sizeof target_text, "%d", (int) target);
  snprintf(ready_text, sizeof ready_text, "--ready-fd=%d", ready[1]);
  snprintf(exit_text, sizeof exit_text, "--exit-fd=%d", exit_pipe[0]);
  char api[4200];
  snprintf(api, sizeof api, "--api-socket=%s", socket_path);
  char *argv[MAX_LIST + 12];
  int argc = 0;
  argv[argc++] = "slirp4netns";
  argv[argc++] = ready_text;
  argv[argc++] = exit_text;
  if (n_hostfwds > 0) argv[argc++] = api;
  for (int i = 0; i < n_helper_args; i++) argv[argc++] = (char *) helper_args[i];
  argv[argc++] = target_text;
  argv[argc++] = "tap0";
  argv[argc] = NULL;
  pid_t child = fork();
  if (child == 0) {
    fcntl(ready[1], F_SETFD, 0);
    fcntl(exit_pipe[0], F_SETFD, 0);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(log, 2);
    for (int fd = 3; fd < 1024; fd++) if (fd != ready[1] && fd != exit_pipe[0]) close(fd);
    signal(SIGPIPE, SIG_DFL);
    terminal_signals(SIG_DFL);
    execvp(argv[0], argv);
    dprintf(2, "cannot run slirp4netns: %s\n", strerror(errno));
    _exit(127);
  }
  close(ready[1]);
  close(exit_pipe[0]);
  if (child < 0) { snprintf(why, why_size, "cannot start slirp4netns: %s", strerror(errno)); return -1; }
  *exit_write = exit_pipe[1];
  char byte = 0;
  ssize_t n;
  while ((n = read(ready[0], &byte, 1)) < 0 && errno == EINTR) {}
  close(ready[0]);
  if (n != 1 || byte != '1') {
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    char line[512];
    first_line(log_path, line, sizeof line);
    snprintf(why, why_size, "slirp4netns failed%s%s", line[0] ? ": " : "", line);
    return -1;
  }
  for (int i = 0; i < n_hostfwds; i++) {
    if (slirp_hostfwd(socket_path, hostfwds[i], why, why_size) != 0) {
      kill(child, SIGKILL);
      waitpid(child, NULL, 0);
      return -1;
    }
  }
  return child;
}

/* An attach file whose tap has a fixed name (eth1…, a start's networks in order), not `eth%d` (network connect's). */
static int fixed_ifname(const char *file)
{
  char text[4096];
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
  if (fd >= 0) close(fd);
  text[n > 0 ? n : 0] = '\0';
  const char *line = strstr(text, "ifname=");
  if (line == NULL) return 1;
  const char *end = strchr(line, '\n');
  const char *percent = strchr(line, '%');
  return percent == NULL || (end != NULL && percent > end);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *) a, *(char *const *) b); }

/* The DIR/ *.attach files (DIR is the working directory): fixed tap names first, so an `eth%d` never takes one of them. */
static void find_attachments(void)
{
  char *found[MAX_LIST];
  int n_found = 0;
  DIR *listing = opendir(".");
  if (listing == NULL) return;
  for (struct dirent *entry; (entry = readdir(listing)) != NULL && n_found < MAX_LIST;) {
    size_t length = strlen(entry->d_name);
    if (length > 7 && strcmp(entry->d_name + length - 7, ".attach") == 0) found[n_found++] = strdup(entry->d_name);
  }
  closedir(listing);
  qsort(found, (size_t) n_found, sizeof found[0], by_name);
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n_found; i++)
      if (found[i] != NULL && fixed_ifname(found[i]) == (pass == 0)) attaches[n_attaches++] = found[i];
}

/* Each user-defined network: `burrow-netattach --target PID FILE`, beside this binary. */
static int run_attachments(pid_t target, int log, char *why, size_t why_size)
{
  if (n_attaches == 0) return 0;
  char self[4096], tool[4200], target_text[24];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) n = 0;
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash) *slash = '\0';
  snprintf(tool, sizeof tool, "%s/burrow-netattach", self);
  snprintf(target_text, sizeof target_text, "%d", (int) target);
  for (int i = 0; i < n_attaches; i++) {
    char *argv[] = { tool, "--target", target_text, attaches[i], NULL };
    pid_t child = spawn(argv, log, -1, -1);
    int status = 0;
    while (child > 0 && waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (child < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      char log_path[4096], line[512];
      path_in_dir(log_path, sizeof log_path, "network-helper.log");
      first_line(log_path, line, sizeof line);
      snprintf(why, why_size, "cannot attach to a network (%s)%s%s", attaches[i], line[0] ? ": " : "", line);
      return -1;
    }
  }
  return 0;
}

/* The agent proper: everything after the fork, in the child. */
static void agent(pid_t launcher, int ready_read, int go_write)
{
  signal(SIGPIPE, SIG_IGN);
  terminal_signals(SIG_IGN);
  /* Nobody waits on this process for EOF: not on the info channel (fd 3), not on stdin or stdout. */
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  dup2(null, 1);
  if (null > 2) close(null);
  /* Moved out of the way first: either pipe end may already sit on 5 or 6. */
  ready_read = fcntl(ready_read, F_DUPFD_CLOEXEC, 16);
  go_write = fcntl(go_write, F_DUPFD_CLOEXEC, 16);
  if (ready_read < 0 || go_write < 0 || dup2(ready_read, READY_FD) < 0 || dup2(go_write, GO_FD) < 0) _exit(1);
  for (int fd = 3; fd < 1024; fd++) if (fd != READY_FD && fd != GO_FD) close(fd);
  /* Watched from the start: the launcher's end is its end. */
  int launcher_fd = pidfd_open_(launcher);
  if (launcher_fd < 0 || getppid() != launcher) _exit(0);

  char line[64];
  read_line(READY_FD, line, sizeof line);
  close(READY_FD);
  pid_t target = 0;
  if (sscanf(line, "ready %d", &target) != 1 || target <= 0) _exit(0); /* the launcher failed before it could say */

  char log_path[4096], why[1024] = "";
  if (chdir(dir) != 0) { answer("fail cannot enter %s: %s", dir, strerror(errno)); _exit(0); }
  path_in_dir(log_path, sizeof log_path, "network-helper.log");
  int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) { answer("fail cannot write %s: %s", log_path, strerror(errno)); _exit(0); }

  if (loopback_up(target) != 0) { answer("fail cannot bring up the loopback interface in the container's network namespace"); _exit(0); }
  find_attachments();
  if (strcmp(helper, "none") == 0) {
    /* No outbound access: the loopback and the user networks alone; nothing to watch afterwards but the launcher. */
    if (run_attachments(target, log, why, sizeof why) != 0) { answer("fail %s", why); _exit(0); }
    answer("go");
    struct pollfd launcher_watch = { .fd = launcher_fd, .events = POLLIN };
    while (poll(&launcher_watch, 1, -1) < 0 && errno == EINTR) {}
    _exit(0);
  }
  int slirp_exit = -1;
  pid_t helper_pid = strcmp(helper, "pasta") == 0 ? start_pasta(target, log, why, sizeof why) : start_slirp(target, log, &slirp_exit, why, sizeof why);
  if (helper_pid < 0) { answer("fail %s", why); _exit(0); }
  int helper_fd = pidfd_open_(helper_pid);
  record_helper(helper_pid);
  if (helper_fd < 0 || run_attachments(target, log, why, sizeof why) != 0) {
    if (helper_fd >= 0) pidfd_kill(helper_fd, SIGKILL);
    else kill(helper_pid, SIGKILL);
    forget_helper();
    answer("fail %s", helper_fd < 0 ? "the network helper ended as it started" : why);
    _exit(0);
  }
  answer("go");

  struct pollfd watched[2] = { { .fd = launcher_fd, .events = POLLIN }, { .fd = helper_fd, .events = POLLIN } };
  int helper_alive = 1;
  for (;;) {
    int ready = poll(watched, helper_alive ? 2 : 1, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (watched[0].revents) break;
    if (helper_alive && watched[1].revents) {
      helper_alive = 0;
      char reason[256] = "", last[512];
      if (slirp_exit >= 0) {
        int status;
        if (waitpid(helper_pid, &status, WNOHANG) == helper_pid) {
          if (WIFSIGNALED(status)) snprintf(reason, sizeof reason, "killed by signal %d", WTERMSIG(status));
          else snprintf(reason, sizeof reason, "exit status %d", WEXITSTATUS(status));
        }
      }
      first_line(log_path, last, sizeof last);
      char message[1024];
      snprintf(message, sizeof message, "the network helper %s exited%s%s%s%s%s: the container has no network from now on",
               helper, reason[0] || last[0] ? " (" : "", reason, reason[0] && last[0] ? ": " : "", last, reason[0] || last[0] ? ")" : "");
      dprintf(2, "burrow: %s\n", message);
      record_helper_error(message);
      forget_helper();
    }
  }
  /* The container ended: so does its network. */
  if (helper_alive) {
    pidfd_kill(helper_fd, SIGKILL);
    if (slirp_exit >= 0) waitpid(helper_pid, NULL, 0);
    forget_helper();
  }
  _exit(0);
}

int main(int argc, char **argv)
{
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (i + 1 >= argc) usage();
    if (strcmp(argv[i], "--dir") == 0) dir = argv[++i];
    else if (strcmp(argv[i], "--helper") == 0) helper = argv[++i];
    else if (strcmp(argv[i], "--helper-arg") == 0 && n_helper_args < MAX_LIST) helper_args[n_helper_args++] = argv[++i];
    else if (strcmp(argv[i], "--slirp-hostfwd") == 0 && n_hostfwds < MAX_LIST) hostfwds[n_hostfwds++] = argv[++i];
    /* A monitor started by an older burrow still names the start's files: they are in DIR, found there. */
    else if (strcmp(argv[i], "--attach") == 0) ++i;
    else usage();
  }
  if (i >= argc - 1 || dir == NULL || helper == NULL || (strcmp(helper, "pasta") != 0 && strcmp(helper, "slirp4netns") != 0 && strcmp(helper, "none") != 0)) usage();
  char **launcher = &argv[i + 1];

  int ready[2], go[2];
  if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) { perror("burrow-net: pipe"); return 125; }
  pid_t self = getpid();
  pid_t child = fork();
  if (child < 0) { perror("burrow-net: fork"); return 125; }
  if (child == 0) {
    close(ready[1]);
    close(go[0]);
    agent(self, ready[0], go[1]);
  }
  /* The launcher: its ends on fds 5 and 6 (dup2 clears O_CLOEXEC on the copies). */
  close(ready[0]);
  close(go[1]);
  /* Moved out of the way first: either pipe end may already sit on 5 or 6. */
  int ready_write = fcntl(ready[1], F_DUPFD_CLOEXEC, 16), go_read = fcntl(go[0], F_DUPFD_CLOEXEC, 16);
  close(ready[1]);
  close(go[0]);
  if (ready_write < 0 || go_read < 0 || dup2(ready_write, READY_FD) < 0 || dup2(go_read, GO_FD) < 0) { perror("burrow-net: dup2"); return 125; }
  close(ready_write);
  close(go_read);
  execvp(launcher[0], launcher);
  fprintf(stderr, "burrow-net: cannot run %s: %s\n", launcher[0], strerror(errno));
  return 127;
}
