/*
 * burrow-net: the network agent of a container with a private network
 * (docs/ARCHITECTURE.md, "Networks"; src/network/helper-args.ts builds its command).
 *
 *   burrow-net --dir DIR --helper pasta|slirp4netns|none [--helper-arg ARG]...
 *              [--slirp-hostfwd PROTO:HOSTIP:HOSTPORT:GUESTPORT]... -- LAUNCHER...
 *
 * It makes three pipes and forks. The parent puts their launcher ends on fd 5
 * (`ready PID`, written by the launcher's shell), fd 6 (`go` or `fail WHY`, read by
 * burrow-init in the sandbox, just before the job) and fd 7 (bubblewrap's --info-fd),
 * keeps a read end of the last on fd 4 (below), and execs the launcher, so the pid
 * that Node or burrow-monitor waits for stays the launcher's. The child stays in the
 * host's namespaces as the user: as soon as the launcher's `unshare` has made its user
 * and network namespaces (seen in /proc; else once its shell says `ready PID`: while
 * the id maps are written, the rootfs is mounted and bubblewrap builds the sandbox, the
 * helper starts; the launcher's `ready` is still awaited) it starts the helper against PID
 * (none: no outbound access, the user networks alone, as for a container whose
 * networks are all internal), brings `lo` up in PID's network namespace meanwhile,
 * runs each attachment (burrow-netattach) for the DIR/ *.attach files as they are at
 * this launch (so a restart by burrow-monitor rejoins the networks `network connect`
 * added and not those `network disconnect` removed), answers `go`, and then passes
 * bubblewrap's info (the sandbox's PID 1) on to fd 3, the launcher's info channel:
 * Node and burrow-monitor learn that the sandbox is up only once its network is, so
 * "running" (the pid file, `run -d` returning, exec, network connect) keeps meaning a
 * container with its network. A failure is reported on fd 3 as the launcher reports
 * its own (`burrow-why WHY` and `{"burrow-error":"network"}`) and answered `fail WHY`:
 * burrow-init then ends without running the job. The agent then watches the
 * launcher and the helper (and, with slirp4netns, forwards the published TCP
 * ports itself: port-forward.h). The launcher becomes
 * bwrap's outer process and lives exactly as long as the container: when it ends,
 * the helper is killed (pasta never exits on its own: it holds the tap, which
 * holds the namespace). A helper that dies first is reported on stderr (the
 * container's log or the terminal) and as `helperError` in DIR/network.json.
 *
 * Every helper is given the launcher's pid by number: the agent takes it only from its
 * parent (the launcher, held by a pidfd, so the number is not reused while it runs) and
 * checks the launcher still runs once the namespace files are open and the helpers are
 * up. Each helper has START_TIMEOUT_S to get ready, runs in a session of its own (the
 * terminal's Ctrl-C is the job's), and is this agent's child (a child subreaper: pasta's
 * daemon too), so nothing it started is left running when a start fails.
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "process-start.h"

/* The launcher's info channel (Node's or burrow-monitor's pipe), when open. */
#define INFO_FD 3
/* In the launcher: a read end of the relay, held so that bubblewrap's write of its info never
 * meets a closed pipe (a bwrap killed by SIGPIPE there would leave its sandbox's child waiting
 * for ever on the eventfd that releases it) when the agent is gone. */
#define RELAY_HOLD_FD 4
#define READY_FD 5
#define GO_FD 6
/* bubblewrap's --info-fd in the launcher; the relay's read end in the agent. */
#define RELAY_FD 7
#define MAX_LIST 256
/* How long a helper may take to start (pasta's first process, slirp4netns's ready-fd, each
 * burrow-netattach): generous for a loaded CI machine; a hung one fails the start rather than
 * leaving it waiting for ever. */
#define START_TIMEOUT_S 20

static const char *dir;
static const char *helper;
static const char *helper_args[MAX_LIST];
static int n_helper_args;
static const char *hostfwds[MAX_LIST];
static int n_hostfwds;
static char *attaches[MAX_LIST];
static int n_attaches;
/* The launcher (this agent's parent): a pidfd, so its end is seen and its pid never mistaken for another's. */
static int launcher_fd = -1;

static int pidfd_open_(pid_t pid) { return (int) syscall(SYS_pidfd_open, pid, 0); }
static int pidfd_kill(int pidfd, int sig) { return (int) syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

/* Whether the launcher still runs (its pidfd is not readable). While it does, its pid is its own:
 * it is not reaped, so no other process can have the number. */
static int launcher_alive(void)
{
  struct pollfd watch = { .fd = launcher_fd, .events = POLLIN };
  return poll(&watch, 1, 0) == 0;
}

static long long now_ms(void)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* poll() until DEADLINE (now_ms); what poll returned (0: the time ran out). */
static int poll_until(struct pollfd *fds, nfds_t n, long long deadline)
{
  for (;;) {
    long long left = deadline - now_ms();
    int ready = poll(fds, n, left > 0 ? (int) left : 0);
    if (ready >= 0 || errno != EINTR) return ready;
  }
}

/* Waits for CHILD until DEADLINE: 1 when it ended (STATUS set), 0 when the time ran out (it still runs). */
static int wait_child(pid_t child, int *status, long long deadline)
{
  int fd = pidfd_open_(child);
  if (fd >= 0) {
    struct pollfd watch = { .fd = fd, .events = POLLIN };
    int ready = poll_until(&watch, 1, deadline);
    close(fd);
    if (ready == 0) return 0;
  }
  while (waitpid(child, status, 0) < 0 && errno == EINTR) {}
  return 1;
}

/* Kills CHILD (started by this agent, not yet reaped) and reaps it. */
static void kill_child(pid_t child)
{
  kill(child, SIGKILL);
  while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
}

/*
 * In a forked child: enters TARGET's (the launcher's) user and network namespaces; 0, or -1.
 * Security: made non-dumpable first (in the container's user namespace its root could ptrace a
 * dumpable process of ours), and the namespace files count as the launcher's only if it still
 * ran once they were open (a dead launcher's pid may be another process's by now).
 */
static int enter_launcher_namespaces(pid_t target)
{
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int) target);
  int user = open(path, O_RDONLY | O_CLOEXEC);
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int) target);
  int net = open(path, O_RDONLY | O_CLOEXEC);
  if (user < 0 || net < 0 || !launcher_alive() || setns(user, CLONE_NEWUSER) != 0 || setns(net, CLONE_NEWNET) != 0) return -1;
  close(user);
  close(net);
  return 0;
}

#include "port-forward.h"

/* bubblewrap's info on the relay (after port-forward.h's tags). */
#define TAG_RELAY (TAG_CONNECTION + 1)

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

/* Whether the agent holds the launcher's info channel (fd 3): from the fork until bubblewrap's
 * info is passed on, or the start fails; not at all when burrow-net was run without one. */
static int info_open;

/* SIZE bytes of DATA to FD, whatever the interruptions; 0, or -1. */
static int write_all(int fd, const char *data, size_t size)
{
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    data += n;
    size -= (size_t) n;
  }
  return 0;
}

static void close_info(void)
{
  if (info_open) close(INFO_FD);
  info_open = 0;
}

/*
 * The start fails: WHY on the launcher's info channel, worded as the launcher words its own
 * failures (so Node says it in one line, container/launcher.ts: launchInfo, and burrow-monitor
 * records it as the launch-error), then `fail WHY` on the go pipe: burrow-init, waiting in the
 * sandbox, ends without running the job. In that order: the reason is there before anything ends.
 */
static void fail_start(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail_start(const char *fmt, ...)
{
  /* The launcher ended first (its root file system refused, say: it said why on the info
   * channel itself): whatever failed here failed because its namespaces went with it, and a
   * network error now would stand beside, or in place of, the launcher's own reason. */
  if (launcher_fd >= 0 && !launcher_alive()) _exit(0);
  char why[600], text[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  for (char *c = why; *c; c++) if (*c == '\n' || *c == '\r') *c = ' ';
  int n = snprintf(text, sizeof text, "burrow-why %s\n{\"burrow-error\":\"network\"}\n", why);
  if (info_open) write_all(INFO_FD, text, (size_t) n);
  close_info();
  n = snprintf(text, sizeof text, "fail %s\n", why);
  write_all(GO_FD, text, (size_t) n);
  _exit(0);
}

/* `lo` up in PID's network namespace: a forked child enters its user and network namespaces. */
static int loopback_up(pid_t target)
{
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    if (enter_launcher_namespaces(target) != 0) _exit(1);
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "lo");
    if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &request) != 0) _exit(2);
    request.ifr_flags |= IFF_UP;
    _exit(ioctl(sock, SIOCSIFFLAGS, &request) == 0 ? 0 : 3);
  }
  int status;
  if (!wait_child(child, &status, now_ms() + START_TIMEOUT_S * 1000)) { kill_child(child); return -1; }
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

/*
 * Runs ARGV with stdin and stdout on /dev/null, stderr to LOG, and the N_KEEP descriptors of
 * KEEP open as fds 3, 4… (in that order; the caller names them so in ARGV), nothing else.
 * In a session of its own: the terminal's Ctrl-C (SIGINT to the foreground process group)
 * is the job's to trap; it must not end the container's network (pasta calls setsid itself).
 */
static pid_t spawn(char *const argv[], int log, const int *keep, int n_keep)
{
  pid_t child = fork();
  if (child != 0) return child;
  setsid();
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  dup2(null, 1);
  dup2(log, 2);
  /* Above every target first (a kept fd may sit on 3 or 4 already), then into place. */
  int moved[8];
  for (int i = 0; i < n_keep && i < 8; i++) moved[i] = fcntl(keep[i], F_DUPFD_CLOEXEC, 64);
  for (int i = 0; i < n_keep && i < 8; i++) dup2(moved[i], 3 + i);
  close_range((unsigned) (3 + n_keep), ~0U, 0);
  signal(SIGPIPE, SIG_DFL);
  terminal_signals(SIG_DFL);
  execvp(argv[0], argv);
  dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

/* The boot id burrow handed over (--boot-id, src/util/process-identity.ts: one reader), if any. */
static char given_boot_id[64] = "";

/* Writes DIR/network-helper: the helper's identity, for a cleanup after a crash. */
static void record_helper(pid_t pid)
{
  char boot[64] = "", path[4096], tmp[4096];
  int fd = given_boot_id[0] != '\0' ? -1 : open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (given_boot_id[0] != '\0') snprintf(boot, sizeof boot, "%s", given_boot_id);
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
  char path[4096], tmp[4096], escaped[1200];
  path_in_dir(path, sizeof path, "network.json");
  /* Read whole, however long (many published ports): a cut copy would be written back corrupt. */
  size_t size = 0, capacity = 4096;
  char *text = malloc(capacity);
  if (text == NULL) return;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  for (ssize_t n; fd >= 0;) {
    if (size + 1 >= capacity) {
      char *bigger = realloc(text, capacity *= 2);
      if (bigger == NULL) { close(fd); free(text); return; }
      text = bigger;
    }
    n = read(fd, text + size, capacity - 1 - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { close(fd); free(text); return; } /* unreadable: left as it is rather than replaced */
    if (n == 0) break;
    size += (size_t) n;
  }
  if (fd >= 0) close(fd);
  text[size] = '\0';
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
  if (fd < 0) { free(text); return; }
  if (end == NULL) dprintf(fd, "{\"helperError\":\"%s\"}\n", escaped);
  else {
    *end = '\0';
    /* An object with members already gets a comma before the new one. */
    char *last = end;
    while (last > text && (last[-1] == ' ' || last[-1] == '\n' || last[-1] == '\t')) last--;
    int empty = last > text && last[-1] == '{';
    dprintf(fd, "%s%s\"helperError\":\"%s\"}\n", text, empty ? "" : ",", escaped);
  }
  free(text);
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

/* The parent of PID from /proc/PID/stat, or -1. */
static pid_t parent_of(pid_t pid)
{
  char path[64], text[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  /* After the command's closing parenthesis (a command may hold one): " STATE PPID". */
  char *after = strrchr(text, ')');
  int parent;
  if (after == NULL || sscanf(after + 1, " %*c %d", &parent) != 1) return -1;
  return (pid_t) parent;
}

/* A child of this agent not reaped yet (the agent is a child subreaper: a daemon whose parent
 * exited is its child), or 0. */
static pid_t find_child(void)
{
  DIR *proc = opendir("/proc");
  if (proc == NULL) return 0;
  pid_t self = getpid(), found = 0;
  for (struct dirent *entry; found == 0 && (entry = readdir(proc)) != NULL;) {
    char *end;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end == '\0' && pid > 0 && parent_of((pid_t) pid) == self) found = (pid_t) pid;
  }
  closedir(proc);
  return found;
}

/* The number in FILE (read to its end: a short read is no pid), or 0. */
static pid_t read_pid_file(const char *file)
{
  char text[32];
  size_t used = 0;
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  while (used < sizeof text - 1) {
    ssize_t n = read(fd, text + used, sizeof text - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += (size_t) n;
  }
  close(fd);
  text[used] = '\0';
  char *end;
  long pid = strtol(text, &end, 10);
  return end != text && pid > 0 && (*end == '\0' || *end == '\n') ? (pid_t) pid : 0;
}

/*
 * pasta: daemonizes once the namespace is configured (its first process writes the daemon's
 * pid to --pid FILE and exits 0). The daemon, orphaned then, is this agent's child (a child
 * subreaper), so it is found even if the file cannot be read, and nothing is left running.
 * While it starts (tens of milliseconds, on the start's critical path), `lo` goes up
 * (LOOPBACK: loopback_up's result).
 */
static int start_pasta(pid_t target, int log, int *loopback, char *why, size_t why_size)
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
  pid_t child = spawn(argv, log, NULL, 0);
  if (child < 0) { snprintf(why, why_size, "cannot start pasta: %s", strerror(errno)); return -1; }
  *loopback = loopback_up(target);
  int status;
  if (!wait_child(child, &status, now_ms() + START_TIMEOUT_S * 1000)) {
    kill_child(child);
    /* And a daemon it may have forked already. */
    for (pid_t orphan; (orphan = find_child()) > 0;) kill_child(orphan);
    unlink(pidfile);
    snprintf(why, why_size, "pasta did not start within %d s", START_TIMEOUT_S);
    return -1;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    char line[512];
    first_line(log_path, line, sizeof line);
    snprintf(why, why_size, "pasta failed%s%s", line[0] ? ": " : "", line);
    return -1;
  }
  /* pasta's pid file stays until the helper is recorded (record_helper): an agent killed
   * in between leaves it to name pasta for rm and the next start (network/helpers.ts). */
  pid_t pid = read_pid_file(pidfile);
  if (pid <= 0 || parent_of(pid) != getpid()) pid = find_child();
  if (pid <= 0) { snprintf(why, why_size, "pasta started but its process cannot be found (if one runs, it holds the container's published ports)"); return -1; }
  return pid;
}

/* SPEC (PROTO:HOSTIP:HOSTPORT:GUESTPORT) in parts: PROTO[8], HOST_IP[64]; 0, or -1 with WHY. */
static int parse_hostfwd(const char *spec, char *proto, char *host_ip, int *host_port, int *guest_port, char *why, size_t why_size)
{
  const char *a = strchr(spec, ':');
  const char *b = a ? strchr(a + 1, ':') : NULL;
  if (a == NULL || b == NULL || (size_t) (a - spec) >= 8 || (size_t) (b - a - 1) >= 64 || sscanf(b + 1, "%d:%d", host_port, guest_port) != 2) {
    snprintf(why, why_size, "bad --slirp-hostfwd %s", spec);
    return -1;
  }
  memcpy(proto, spec, (size_t) (a - spec));
  proto[a - spec] = '\0';
  memcpy(host_ip, a + 1, (size_t) (b - a - 1));
  host_ip[b - a - 1] = '\0';
  return 0;
}

static int is_tcp(const char *spec) { return strncmp(spec, "tcp:", 4) == 0; }

/* One add_hostfwd through slirp4netns's API socket; 0 when it took it. */
static int slirp_hostfwd(const char *socket_path, const char *spec, char *why, size_t why_size)
{
  char proto[8] = "", host_ip[64] = "";
  int host_port = 0, guest_port = 0;
  if (parse_hostfwd(spec, proto, host_ip, &host_port, &guest_port, why, why_size) != 0) return -1;
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
  char *nl = strchr(reply, '\n');
  if (nl) *nl = '\0';
  if (strstr(reply, "\"error\"") != NULL) {
    snprintf(why, why_size, "slirp4netns cannot publish %s:%d: %.400s", host_ip[0] ? host_ip : "0.0.0.0", host_port, reply);
    return -1;
  }
  /* Only `{"return": {…}}` says it took it: an empty or cut reply (slirp4netns ended) is no port. */
  if (strstr(reply, "\"return\"") == NULL) {
    snprintf(why, why_size, "slirp4netns did not answer add_hostfwd for %s:%d", host_ip[0] ? host_ip : "0.0.0.0", host_port);
    return -1;
  }
  return 0;
}

/* slirp4netns: a child of this agent, ready when it writes on --ready-fd, gone when --exit-fd closes;
 * `lo` goes up while it starts (LOOPBACK: loopback_up's result). */
static int start_slirp(pid_t target, int log, int *exit_write, int *loopback, char *why, size_t why_size)
{
  int ready[2], exit_pipe[2];
  /* Relative to DIR (the agent's working directory): a socket's path must fit in 108 bytes. */
  const char *socket_path = "slirp.sock";
  char log_path[4096], target_text[24];
  path_in_dir(log_path, sizeof log_path, "network-helper.log");
  unlink(socket_path);
  if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(exit_pipe, O_CLOEXEC) != 0) { snprintf(why, why_size, "pipe: %s", strerror(errno)); return -1; }
  snprintf(target_text, sizeof target_text, "%d", (int) target);
  char api[4200];
  snprintf(api, sizeof api, "--api-socket=%s", socket_path);
  char *argv[MAX_LIST + 12];
  int argc = 0;
  argv[argc++] = "slirp4netns";
  /* spawn puts the kept descriptors on 3 and 4, in this order. */
  argv[argc++] = "--ready-fd=3";
  argv[argc++] = "--exit-fd=4";
  /* TCP ports are the agent's own forwarder's (port-forward.h); UDP ones slirp4netns's. */
  int n_udp = 0;
  for (int i = 0; i < n_hostfwds; i++) n_udp += !is_tcp(hostfwds[i]);
  if (n_udp > 0) argv[argc++] = api;
  for (int i = 0; i < n_helper_args; i++) argv[argc++] = (char *) helper_args[i];
  argv[argc++] = target_text;
  argv[argc++] = "tap0";
  argv[argc] = NULL;
  int keep[2] = { ready[1], exit_pipe[0] };
  pid_t child = spawn(argv, log, keep, 2);
  close(ready[1]);
  close(exit_pipe[0]);
  if (child < 0) { snprintf(why, why_size, "cannot start slirp4netns: %s", strerror(errno)); close(ready[0]); close(exit_pipe[1]); return -1; }
  *exit_write = exit_pipe[1];
  *loopback = loopback_up(target);
  char byte = 0;
  ssize_t n = -1;
  struct pollfd watch = { .fd = ready[0], .events = POLLIN };
  int answered = poll_until(&watch, 1, now_ms() + START_TIMEOUT_S * 1000);
  if (answered > 0) while ((n = read(ready[0], &byte, 1)) < 0 && errno == EINTR) {}
  close(ready[0]);
  if (answered == 0) {
    kill_child(child);
    snprintf(why, why_size, "slirp4netns did not start within %d s", START_TIMEOUT_S);
    return -1;
  }
  if (n != 1 || byte != '1') {
    kill_child(child);
    char line[512];
    first_line(log_path, line, sizeof line);
    snprintf(why, why_size, "slirp4netns failed%s%s", line[0] ? ": " : "", line);
    return -1;
  }
  for (int i = 0; i < n_hostfwds; i++) {
    if (!is_tcp(hostfwds[i]) && slirp_hostfwd(socket_path, hostfwds[i], why, why_size) != 0) {
      kill_child(child);
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
    pid_t child = spawn(argv, log, NULL, 0);
    int status = 0;
    if (child > 0 && !wait_child(child, &status, now_ms() + START_TIMEOUT_S * 1000)) {
      kill_child(child);
      snprintf(why, why_size, "burrow-netattach did not start within %d s (%s)", START_TIMEOUT_S, attaches[i]);
      return -1;
    }
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

/* The published TCP ports of a slirp4netns start: each listened on here (the host's namespaces,
 * as the user), and the connector in the container's namespaces; 0, or -1 with WHY. */
static int start_forwarder(pid_t target, char *why, size_t why_size)
{
  int any = 0;
  for (int i = 0; i < n_hostfwds; i++) {
    if (!is_tcp(hostfwds[i])) continue;
    char proto[8], host_ip[64];
    int host_port, guest_port;
    if (parse_hostfwd(hostfwds[i], proto, host_ip, &host_port, &guest_port, why, why_size) != 0 || fwd_listen(host_ip, host_port, guest_port, why, why_size) != 0) return -1;
    any = 1;
  }
  if (!any) return 0;
  /* Six descriptors a connection: as many as the hard limit allows. */
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) { files.rlim_cur = files.rlim_max; setrlimit(RLIMIT_NOFILE, &files); }
  if (fwd_start_connector(target) != 0) {
    fwd_stop_connector();
    snprintf(why, why_size, "cannot enter the container's network namespace to forward its published ports");
    return -1;
  }
  return 0;
}

/* A helper that died before the container: a line on the container's stderr and helperError in network.json. */
static void report_helper_end(pid_t helper_pid, const char *log_path)
{
  char reason[256] = "", last[512];
  int status;
  /* Both helpers are this agent's children (pasta's daemon by the subreaper). */
  if (waitpid(helper_pid, &status, WNOHANG) == helper_pid) {
    if (WIFSIGNALED(status)) snprintf(reason, sizeof reason, "killed by signal %d", WTERMSIG(status));
    else snprintf(reason, sizeof reason, "exit status %d", WEXITSTATUS(status));
  }
  first_line(log_path, last, sizeof last);
  char message[1024];
  snprintf(message, sizeof message, "the network helper %s exited%s%s%s%s%s: the container has no network from now on",
           helper, reason[0] || last[0] ? " (" : "", reason, reason[0] && last[0] ? ": " : "", last, reason[0] || last[0] ? ")" : "");
  dprintf(2, "burrow: %s\n", message);
  record_helper_error(message);
  forget_helper();
}

/* Ends the helper (this agent's child) and forgets it. */
static void end_helper(pid_t helper_pid, int helper_fd)
{
  if (helper_fd >= 0) pidfd_kill(helper_fd, SIGKILL);
  else kill(helper_pid, SIGKILL);
  while (waitpid(helper_pid, NULL, 0) < 0 && errno == EINTR) {}
  forget_helper();
}

/* bubblewrap's info, held back until the network is up, then passed on whole to the launcher's
 * info channel (Node or burrow-monitor reads the sandbox's PID 1 there); 1 once it is all through
 * (its closing brace, or the end of the pipe). */
static int relay_info(void)
{
  static char seen[4096];
  static size_t seen_used;
  char chunk[1024];
  ssize_t n;
  while ((n = read(RELAY_FD, chunk, sizeof chunk)) < 0 && errno == EINTR) {}
  if (n <= 0) return 1;
  if (info_open) write_all(INFO_FD, chunk, (size_t) n);
  /* bwrap ends its JSON with a line that is a closing brace, then writes nothing more. */
  size_t keep = (size_t) n < sizeof seen - 1 - seen_used ? (size_t) n : sizeof seen - 1 - seen_used;
  memcpy(seen + seen_used, chunk, keep);
  seen_used += keep;
  seen[seen_used] = '\0';
  return strstr(seen, "\n}\n") != NULL || seen_used == sizeof seen - 1;
}

/* PID's user or network namespace, as /proc names it (`net:[4026531840]`), in OUT. */
static void namespace_name(const char *pid, const char *kind, char *out, size_t size)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/ns/%s", pid, kind);
  ssize_t n = readlink(path, out, size - 1);
  out[n > 0 ? n : 0] = '\0';
}

/* Whether PID's user and network namespaces are both others than this agent's: its `unshare` ran. */
static int namespaces_differ(pid_t pid)
{
  static char own_user[64], own_net[64];
  char text[24], user[64], net[64];
  if (own_user[0] == '\0') {
    namespace_name("self", "user", own_user, sizeof own_user);
    namespace_name("self", "net", own_net, sizeof own_net);
  }
  snprintf(text, sizeof text, "%d", (int) pid);
  namespace_name(text, "user", user, sizeof user);
  namespace_name(text, "net", net, sizeof net);
  return user[0] && net[0] && own_user[0] && own_net[0] && strcmp(user, own_user) != 0 && strcmp(net, own_net) != 0;
}

/*
 * Whether the helper may start now, before the launcher says `ready`: once its `unshare` has made
 * the user and network namespaces (one unshare(2) makes both), while newuidmap and newgidmap
 * write the id maps and the launcher's shell starts, some milliseconds of the start's critical
 * path (pasta itself takes tens). No event tells when a process has unshared: it is looked at
 * every quarter of a millisecond, for at most a second, until then or until the shell says
 * `ready` first (0: the helper starts after it, as it always may).
 */
static int namespaces_made_by(pid_t launcher)
{
  long long deadline = now_ms() + 1000;
  while (now_ms() < deadline) {
    if (namespaces_differ(launcher)) return launcher_alive();
    struct pollfd watch[2] = { { .fd = READY_FD, .events = POLLIN }, { .fd = launcher_fd, .events = POLLIN } };
    struct timespec quarter = { 0, 250000 };
    if (ppoll(watch, 2, &quarter, NULL) > 0) return 0;
  }
  return 0;
}

/* The launcher's `ready PID`: 1 when it said it and is LAUNCHER; 0 when it ended before it could
 * (its own failure, which it reports itself); -1 when it names another pid. */
static int ready_said(pid_t launcher)
{
  char line[64];
  read_line(READY_FD, line, sizeof line);
  close(READY_FD);
  pid_t said = 0;
  if (sscanf(line, "ready %d", &said) != 1 || said <= 0) return 0;
  return said == launcher ? 1 : -1;
}

/* After a helper started early could not start: nothing more to do when the launcher failed on
 * its own meanwhile (its id maps, say), else the start fails with WHY. */
static void early_failure(pid_t launcher, const char *why)
{
  int said = ready_said(launcher);
  if (said == 0) _exit(0);
  if (said < 0) fail_start("the launcher is not pid %d", (int) launcher);
  fail_start("%s", why);
}

/* The agent proper: everything after the fork, in the child. */
static void agent(pid_t launcher, int ready_read, int go_write, int relay_read)
{
  signal(SIGPIPE, SIG_IGN);
  terminal_signals(SIG_IGN);
  /* pasta's daemon, orphaned when its first process exits, becomes this agent's child: found and reaped here. */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  /* Nobody waits on this process for EOF on stdin or stdout; the info channel (fd 3) is held only
   * until bubblewrap's info is through (or the start fails). */
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  dup2(null, 1);
  if (null > 2) close(null);
  /* Moved out of the way first: any pipe end may already sit on 5, 6 or 7. */
  ready_read = fcntl(ready_read, F_DUPFD_CLOEXEC, 16);
  go_write = fcntl(go_write, F_DUPFD_CLOEXEC, 16);
  relay_read = fcntl(relay_read, F_DUPFD_CLOEXEC, 16);
  if (ready_read < 0 || go_write < 0 || relay_read < 0 || dup2(ready_read, READY_FD) < 0 || dup2(go_write, GO_FD) < 0 || dup2(relay_read, RELAY_FD) < 0) _exit(1);
  if (info_open) fcntl(INFO_FD, F_SETFD, FD_CLOEXEC);
  close_range(info_open ? INFO_FD + 1 : INFO_FD, READY_FD - 1, 0);
  close_range(RELAY_FD + 1, ~0U, 0);
  /* Watched from the start: the launcher's end is its end. */
  launcher_fd = pidfd_open_(launcher);
  if (launcher_fd < 0 || getppid() != launcher) _exit(0);

  char log_path[4096], why[1024] = "";
  if (chdir(dir) != 0) fail_start("cannot enter %s: %s", dir, strerror(errno));
  path_in_dir(log_path, sizeof log_path, "network-helper.log");
  int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) fail_start("cannot write %s: %s", log_path, strerror(errno));
  find_attachments();

  /* Security: every helper is given the pid by number; only the launcher's (this agent's parent,
   * held by a pidfd, so never reused while it runs) may be, or another process's namespace would
   * get this network. */
  pid_t target = launcher;
  int early = strcmp(helper, "none") != 0 && namespaces_made_by(launcher);
  if (!early) {
    int said = ready_said(launcher);
    if (said == 0) _exit(0); /* the launcher failed before it could say */
    if (said < 0) fail_start("the launcher is not pid %d", (int) launcher);
  }
  pid_t helper_pid = -1;
  int helper_fd = -1, loopback = -1;
  if (strcmp(helper, "none") == 0) {
    /* No outbound access: the loopback and the user networks alone; nothing to watch afterwards but the launcher. */
    loopback = loopback_up(target);
  } else {
    if (strcmp(helper, "slirp4netns") == 0 && start_forwarder(target, why, sizeof why) != 0) {
      fwd_stop_connector();
      if (early) early_failure(launcher, why);
      fail_start("%s", why);
    }
    int slirp_exit = -1;
    helper_pid = strcmp(helper, "pasta") == 0 ? start_pasta(target, log, &loopback, why, sizeof why) : start_slirp(target, log, &slirp_exit, &loopback, why, sizeof why);
    if (helper_pid < 0) {
      fwd_stop_connector();
      if (early) early_failure(launcher, why);
      fail_start("%s", why);
    }
    helper_fd = pidfd_open_(helper_pid);
    record_helper(helper_pid);
    unlink("pasta.pid"); /* recorded: the agent's working directory is DIR */
    int said = early ? ready_said(launcher) : 1;
    if (helper_fd < 0 || said != 1) {
      end_helper(helper_pid, helper_fd);
      fwd_stop_connector();
      if (said == 0) _exit(0); /* the launcher failed on its own (its id maps, say) */
      if (said < 0) fail_start("the launcher is not pid %d", (int) launcher);
      fail_start("the network helper ended as it started");
    }
  }
  if (loopback != 0 || run_attachments(target, log, why, sizeof why) != 0) {
    if (helper_pid > 0) end_helper(helper_pid, helper_fd);
    if (loopback != 0) fail_start("cannot bring up the loopback interface in the container's network namespace");
    fail_start("%s", why);
  }
  /* Security: the helpers and attachments were given the launcher's pid by number: if it ended
   * meanwhile, they may have joined whichever process has that number now. */
  if (!launcher_alive()) {
    if (helper_pid > 0) end_helper(helper_pid, helper_fd);
    _exit(0);
  }
  write_all(GO_FD, "go\n", 3);
  close(GO_FD);

  /* One loop, single-threaded: the launcher's end, bubblewrap's info, the helper's end, and the forwarder's sockets. */
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  static int launcher_tag = TAG_LAUNCHER, helper_tag = TAG_HELPER, relay_tag = TAG_RELAY;
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = &launcher_tag };
  if (epoll < 0 || epoll_ctl(epoll, EPOLL_CTL_ADD, launcher_fd, &event) != 0) {
    /* Nothing could watch the container's end: its network ends now rather than outlive it. */
    if (helper_pid > 0) end_helper(helper_pid, helper_fd);
    fwd_stop_connector();
    _exit(0);
  }
  event.data.ptr = &relay_tag;
  int relaying = epoll_ctl(epoll, EPOLL_CTL_ADD, RELAY_FD, &event) == 0;
  if (helper_fd >= 0) {
    event.data.ptr = &helper_tag;
    epoll_ctl(epoll, EPOLL_CTL_ADD, helper_fd, &event);
  }
  for (int i = 0; i < n_fwd_listeners; i++) {
    event.data.ptr = &fwd_listeners[i];
    epoll_ctl(epoll, EPOLL_CTL_ADD, fwd_listeners[i].fd, &event);
  }
  int helper_alive = helper_pid > 0, launcher_ended = 0;
  while (!launcher_ended) {
    struct epoll_event events[64];
    int ready = epoll_wait(epoll, events, 64, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    for (int i = 0; i < ready; i++) {
      int tag = *(int *) events[i].data.ptr;
      if (tag == TAG_LAUNCHER) launcher_ended = 1;
      else if (tag == TAG_RELAY && relaying && relay_info()) {
        relaying = 0;
        epoll_ctl(epoll, EPOLL_CTL_DEL, RELAY_FD, NULL);
        close(RELAY_FD);
        close_info();
      } else if (tag == TAG_HELPER && helper_alive) {
        helper_alive = 0;
        epoll_ctl(epoll, EPOLL_CTL_DEL, helper_fd, NULL);
        report_helper_end(helper_pid, log_path);
      } else if (tag == TAG_LISTENER) fwd_accept(epoll, events[i].data.ptr);
      else if (tag == TAG_CONNECTION) fwd_service(events[i].data.ptr);
    }
    fwd_free_dead();
  }
  /* Nobody waits on the agent for the launcher's info any more. */
  close_info();
  fwd_stop_connector();
  /* The container ended: so does its network. */
  if (helper_alive) end_helper(helper_pid, helper_fd);
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
    else if (strcmp(argv[i], "--boot-id") == 0) snprintf(given_boot_id, sizeof given_boot_id, "%s", argv[++i]);
    else if (strcmp(argv[i], "--helper-arg") == 0 && n_helper_args < MAX_LIST) helper_args[n_helper_args++] = argv[++i];
    else if (strcmp(argv[i], "--slirp-hostfwd") == 0 && n_hostfwds < MAX_LIST) hostfwds[n_hostfwds++] = argv[++i];
    /* A monitor started by an older burrow still names the start's files: they are in DIR, found there. */
    else if (strcmp(argv[i], "--attach") == 0) ++i;
    else usage();
  }
  if (i >= argc - 1 || dir == NULL || helper == NULL || (strcmp(helper, "pasta") != 0 && strcmp(helper, "slirp4netns") != 0 && strcmp(helper, "none") != 0)) usage();
  char **launcher = &argv[i + 1];

  /* Before any pipe can take its number. */
  info_open = fcntl(INFO_FD, F_GETFD) >= 0;
  int ready[2], go[2], relay[2];
  if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0 || pipe2(relay, O_CLOEXEC) != 0) { perror("burrow-net: pipe"); return 125; }
  pid_t self = getpid();
  pid_t child = fork();
  if (child < 0) { perror("burrow-net: fork"); return 125; }
  if (child == 0) {
    close(ready[1]);
    close(go[0]);
    close(relay[1]);
    agent(self, ready[0], go[1], relay[0]);
  }
  /* The launcher: its ends on fds 5, 6 and 7, and the relay's read end held on 4 (dup2 clears
   * O_CLOEXEC on the copies). Moved out of the way first: any pipe end may already sit there. */
  close(ready[0]);
  close(go[1]);
  int ready_write = fcntl(ready[1], F_DUPFD_CLOEXEC, 16), go_read = fcntl(go[0], F_DUPFD_CLOEXEC, 16);
  int relay_write = fcntl(relay[1], F_DUPFD_CLOEXEC, 16), relay_hold = fcntl(relay[0], F_DUPFD_CLOEXEC, 16);
  close(ready[1]);
  close(go[0]);
  close(relay[0]);
  close(relay[1]);
  if (ready_write < 0 || go_read < 0 || relay_write < 0 || relay_hold < 0 || dup2(ready_write, READY_FD) < 0 || dup2(go_read, GO_FD) < 0 ||
      dup2(relay_write, RELAY_FD) < 0 || dup2(relay_hold, RELAY_HOLD_FD) < 0) { perror("burrow-net: dup2"); return 125; }
  close(ready_write);
  close(go_read);
  close(relay_write);
  close(relay_hold);
  execvp(launcher[0], launcher);
  fprintf(stderr, "burrow-net: cannot run %s: %s\n", launcher[0], strerror(errno));
  return 127;
}
