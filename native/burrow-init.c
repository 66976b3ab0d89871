/*
 * burrow-init: the last step before a container's process runs.
 *
 * bubblewrap has set up the namespaces, mounts and capabilities; it cannot switch
 * to another uid inside a user namespace it did not create, so this small static
 * program does that (setgroups, setgid, setuid), enters the working directory and
 * execs the job. With -i it stays as PID 1 instead: it reaps zombies and forwards
 * signals to the job (Docker's --init, after tini and catatonit).
 *
 *   burrow-init [-J PID:STARTTIME] [-u UID] [-g GID] [-G G1,G2] [-w DIR] [-i] [-t]
 *               [-c CAPMASK] [-n] [-E FD] [-S FD] [-N FD] -- COMMAND [ARG...]
 *
 *   -J PID:STARTTIME  `burrow exec`: started on the host, join the namespaces of the
 *          container whose PID 1 is PID (and started at STARTTIME, so that a reused
 *          pid is never taken for it), then fork: the child becomes the exec'd
 *          process, the parent waits for it outside the container's pid namespace,
 *          forwards signals to it and exits with its status (see join_container)
 *   -E FD  the job's whole environment, NUL-separated NAME=VALUE entries read from
 *          FD to its end (exec: the host programs on the way in, sh and this one,
 *          never see the container's environment, so an LD_PRELOAD or PATH of the
 *          container cannot run host code)
 *   -S FD  a classic BPF seccomp program (struct sock_filter[], 8 bytes each) read
 *          from FD to its end, applied right before exec, after the uid, capability
 *          and no_new_privs steps
 *   -N FD  a private network's answer (native/burrow-net.c): wait for the line `go` on FD
 *          before running the job, so that its first instruction comes after the network
 *          is up while bubblewrap built the sandbox as the network helper started; `fail
 *          WHY` (the agent has already told burrow why, on the launcher's info channel)
 *          or the end of FD ends it with 125 and the job never runs
 *
 * Whatever started it, the job gets a session of its own (setsid: no controlling
 * terminal of the caller to push keystrokes into with TIOCSTI, CVE-2017-5226),
 * descriptors 0, 1 and 2 only (nothing of the monitor, the launcher or the caller
 * leaks in) and default signal dispositions with nothing blocked (a detached
 * monitor ignores SIGPIPE and SIGHUP; the job must not inherit that).
 *
 * It runs inside the container's root, so it is linked statically and reads no
 * file of the image. Under bubblewrap it is bound read-only at /dev/.burrow-init;
 * `burrow exec` runs the host's copy, by its host path, before it joins anything
 * (-J): no file of the container, and no process of it, chooses the program that
 * holds every capability of the container's user namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "process-start.h"

/* What a failure of the setup exits with: 125 (the runner failed), or 126 for an exec (-J). */
static int setup_status = 125;
/* An exec into a container that ended meanwhile: a refusal, 1 as Docker's "container … is not running". */
#define NOT_RUNNING_STATUS 1

static void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int status, const char *fmt, ...)
{
  va_list args;
  va_start(args, fmt);
  fprintf(stderr, "burrow: ");
  vfprintf(stderr, fmt, args);
  fputc('\n', stderr);
  va_end(args);
  exit(status);
}

static int parse_id(const char *text)
{
  char *end;
  long value = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < 0 || value > 0x7fffffff)
    die(setup_status, "invalid id \"%s\"", text);
  return (int) value;
}

static int mkdir_p(char *path)
{
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(path, 0755) != 0 && errno != EEXIST) { *p = '/'; return -1; }
    *p = '/';
  }
  return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Everything FD holds, to its end (at most `limit` bytes); FD is closed. */
static char *read_all(int fd, size_t limit, size_t *length, const char *what)
{
  size_t size = 0, capacity = 4096;
  char *data = malloc(capacity + 1);
  if (data == NULL) die(setup_status, "out of memory reading %s", what);
  for (;;) {
    if (size == capacity) {
      if (capacity > limit) die(setup_status, "%s is too large", what);
      capacity = capacity * 2 > limit + 1 ? limit + 1 : capacity * 2; /* one byte over: room to see the end */
      char *grown = realloc(data, capacity + 1);
      if (grown == NULL) die(setup_status, "out of memory reading %s", what);
      data = grown;
    }
    ssize_t n = read(fd, data + size, capacity - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die(setup_status, "cannot read %s: %s", what, strerror(errno));
    if (n == 0) break;
    size += (size_t) n;
  }
  if (size > limit) die(setup_status, "%s is too large", what);
  close(fd);
  data[size] = '\0';
  *length = size;
  return data;
}

static int parse_fd(const char *text)
{
  int fd = parse_id(text);
  if (fd < 3 || fcntl(fd, F_GETFD) < 0) die(setup_status, "descriptor %s is not open", text);
  return fd;
}

/* -R RESOURCE:SOFT:HARD (--ulimit; -1 is unlimited), set before the switch of user,
 * so the job and everything it starts inherit it. Lowering a limit always works;
 * raising a hard limit above the host's needs CAP_SYS_RESOURCE in the host's user
 * namespace, which a rootless container never has: that is refused in one line. */
static void apply_rlimit(const char *spec)
{
  char *end;
  long resource = strtol(spec, &end, 10);
  if (*end != ':' || resource < 0 || resource >= RLIM_NLIMITS) die(setup_status, "invalid -R \"%s\"", spec);
  long long soft = strtoll(end + 1, &end, 10);
  if (*end != ':') die(setup_status, "invalid -R \"%s\"", spec);
  long long hard = strtoll(end + 1, &end, 10);
  if (*end != '\0') die(setup_status, "invalid -R \"%s\"", spec);
  struct rlimit limit = { soft < 0 ? RLIM_INFINITY : (rlim_t) soft, hard < 0 ? RLIM_INFINITY : (rlim_t) hard };
  if (setrlimit((int) resource, &limit) != 0) {
    struct rlimit current;
    getrlimit((int) resource, &current);
    die(setup_status, "cannot set --ulimit (resource %ld) to %lld:%lld: %s (a rootless container cannot raise a hard limit above the host's, %lld here)",
        resource, soft, hard, strerror(errno), current.rlim_max == RLIM_INFINITY ? -1LL : (long long) current.rlim_max);
  }
}

/* -O SCORE (--oom-score-adj). Raising it is anyone's right; lowering it below the
 * current value needs CAP_SYS_RESOURCE in the host's user namespace. */
static void apply_oom_score_adj(const char *text)
{
  char *end;
  long score = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || score < -1000 || score > 1000) die(setup_status, "invalid -O \"%s\"", text);
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  char line[16];
  int length = snprintf(line, sizeof line, "%ld", score);
  if (fd < 0 || write(fd, line, (size_t) length) != length)
    die(setup_status, "cannot set --oom-score-adj %ld: %s (a rootless container can only raise its score)", score, strerror(errno));
  close(fd);
}

/* -E: the job's environment replaces whatever the programs before us had. */
static void apply_environment(char *block, size_t length)
{
  if (clearenv() != 0) die(setup_status, "%s", "cannot clear the environment");
  for (size_t at = 0; at < length; at += strlen(block + at) + 1) {
    char *entry = block + at;
    if (*entry == '\0') continue;
    char *equals = strchr(entry, '=');
    if (equals == NULL || equals == entry) die(setup_status, "invalid environment entry \"%s\" (NAME=VALUE expected)", entry);
    if (putenv(entry) != 0) die(setup_status, "cannot set %s", entry);
  }
}

static struct sock_fprog seccomp_program = { 0, NULL };

/* -S: a classic BPF program, as bubblewrap's --seccomp takes it. */
static void load_seccomp(int fd)
{
  size_t length;
  char *data = read_all(fd, BPF_MAXINSNS * sizeof(struct sock_filter), &length, "the seccomp filter");
  if (length == 0 || length % sizeof(struct sock_filter) != 0)
    die(setup_status, "%s", "the seccomp filter is not a whole number of BPF instructions");
  seccomp_program.len = (unsigned short) (length / sizeof(struct sock_filter));
  seccomp_program.filter = (struct sock_filter *) data;
}

/* A job starts as from a fresh login: default dispositions, nothing blocked. */
static void reset_signals(void)
{
  struct sigaction action = { 0 };
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &action, NULL); /* EINVAL for the C library's own real-time signals: fine */
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Docker's exit statuses and messages (runc looks the command up as Go's exec.LookPath
 * does, and dockerd adds "permission denied" to EISDIR, daemon/errors.go): 127 when
 * the command is not found (no such file, not a directory on the way, or a bare name
 * with no executable file of that name on $PATH), 126 when it cannot run (a
 * directory, no execute permission, not a format the kernel runs). Go's error texts
 * are lower case: "permission denied", not strerror's "Permission denied".
 */
static void exec_job(char **argv)
{
  reset_signals();
  execvp(argv[0], argv);
  int saved = errno;
  int has_slash = strchr(argv[0], '/') != NULL;
  if (!has_slash && (saved == ENOENT || saved == EACCES || saved == ENOTDIR))
    die(127, "exec: \"%s\": executable file not found in $PATH", argv[0]);
  if (saved == ENOENT || saved == ENOTDIR)
    die(127, "exec: \"%s\": %s", argv[0], saved == ENOENT ? "no such file or directory" : "not a directory");
  struct stat target;
  if (saved == EACCES && stat(argv[0], &target) == 0 && S_ISDIR(target.st_mode))
    die(126, "exec: \"%s\": is a directory: permission denied", argv[0]);
  char reason[128];
  snprintf(reason, sizeof reason, "%s", strerror(saved));
  if (reason[0] >= 'A' && reason[0] <= 'Z') reason[0] = (char) (reason[0] - 'A' + 'a');
  die(126, "exec: \"%s\": %s", argv[0], reason);
}

/* -N: the network agent's answer, one line on FD; returns only on `go`. */
static void wait_for_network(int fd)
{
  char line[1024];
  size_t used = 0;
  while (used < sizeof line - 1) {
    ssize_t n = read(fd, line + used, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || line[used] == '\n') break;
    used++;
  }
  line[used] = '\0';
  close(fd);
  if (strcmp(line, "go") == 0) return;
  /* The agent said why where burrow reads it: one line from burrow, not two. */
  if (strncmp(line, "fail ", 5) == 0) exit(125);
  die(setup_status, "%s", "the network agent ended before the container's network was ready");
}

/* Every descriptor from 3 up but KEEP (-1: none). */
static void close_descriptors(int keep)
{
  if (keep < 0 ? close_range(3, ~0U, 0) == 0 : (keep == 3 || close_range(3, (unsigned) keep - 1, 0) == 0) && close_range((unsigned) keep + 1, ~0U, 0) == 0) return;
  for (int fd = 3; fd < 1024; fd++) if (fd != keep) close(fd);
}

static pid_t job = -1;
static int tty = 0;
/* -J: signals go to the job's process group (it leads one once it has called setsid), as a terminal's would. */
static int forward_to_group = 0;

static void forward(int sig)
{
  if (job <= 0) return;
  if (forward_to_group && kill(-job, sig) == 0) return;
  kill(job, sig);
}

/* The signals a supervisor passes on to the job, then the caller's mask back. */
static void forward_signals(const sigset_t *old)
{
  int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM };
  struct sigaction action = { 0 };
  action.sa_handler = forward;
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &action, NULL);
  sigprocmask(SIG_SETMASK, old, NULL);
}

static const struct { const char *name; int type; } namespaces[] = {
  /* The user namespace first: joining it gives the capabilities the others need. */
  { "user", CLONE_NEWUSER }, { "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
  { "net", CLONE_NEWNET }, { "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS },
};
#define NAMESPACE_COUNT (sizeof namespaces / sizeof namespaces[0])

/*
 * -J: join the container of PID 1 `spec` (PID:STARTTIME), from the host.
 *
 * Why not nsenter: nsenter --root took the root directory of PID 1, which is the
 * job itself (bwrap --as-pid-1) and may chroot anywhere it likes in its container
 * (CAP_SYS_CHROOT is a default capability): `burrow exec` then ran whatever the job
 * had planted at <its root>/dev/.burrow-init, with every capability of the
 * namespace, no seccomp filter, no no_new_privs, the caller's stdio and the job's
 * environment block. Here the program is already running when it joins: setns(2)
 * into a mount namespace sets the root and working directory to the namespace's
 * root (never a process's), and the command is then looked up only after this
 * program has dropped to the container's capabilities and filter. A job given
 * CAP_SYS_ADMIN can still change what that root shows (mount over it, or move PID 1
 * into a mount namespace of its own): it then chooses what an exec'd command finds,
 * never what runs with the namespace's privileges.
 *
 * Each namespace is opened through /proc/PID/ns while PID is the container's PID 1:
 * its start time, read before and after, is the one recorded when it started, so
 * the descriptors are that process's and not a later one's with the same pid.
 * Namespaces it shares with us (the net namespace of --network host, the cgroup
 * namespace where the kernel has none) are left as they are.
 */
static void join_container(const char *spec)
{
  char *end;
  long pid = strtol(spec, &end, 10);
  unsigned long long recorded = *end == ':' ? strtoull(end + 1, &end, 10) : 0;
  if (pid <= 0 || pid > 0x7fffffff || recorded == 0 || *end != '\0') die(setup_status, "invalid -J \"%s\" (PID:STARTTIME expected)", spec);
  if (start_time((pid_t) pid) != recorded) die(NOT_RUNNING_STATUS, "the container's process %ld is gone: the container is not running", pid);
  int fds[NAMESPACE_COUNT];
  for (size_t i = 0; i < NAMESPACE_COUNT; i++) {
    char path[64];
    struct stat theirs, ours;
    snprintf(path, sizeof path, "/proc/%ld/ns/%s", pid, namespaces[i].name);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) {
      if (errno == ENOENT && namespaces[i].type != CLONE_NEWUSER) continue; /* a kind of namespace this kernel lacks */
      die(setup_status, "cannot open %s: %s", path, strerror(errno));
    }
    snprintf(path, sizeof path, "/proc/self/ns/%s", namespaces[i].name);
    if (fstat(fds[i], &theirs) == 0 && stat(path, &ours) == 0 && theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino) {
      close(fds[i]);
      fds[i] = -1;
    }
  }
  if (fds[0] < 0) die(setup_status, "process %ld is not in a container (it shares burrow's user namespace)", pid);
  if (start_time((pid_t) pid) != recorded) die(NOT_RUNNING_STATUS, "the container's process %ld is gone: the container is not running", pid);
  for (size_t i = 0; i < NAMESPACE_COUNT; i++) {
    if (fds[i] < 0) continue;
    if (setns(fds[i], namespaces[i].type) != 0) die(setup_status, "cannot join the container's %s namespace: %s", namespaces[i].name, strerror(errno));
    close(fds[i]);
  }
}

/* Forks with every signal blocked (the child unblocks them once its dispositions are
 * set; the parent once it forwards them), so none arrives in between. `old`: the mask before. */
static pid_t fork_blocked(sigset_t *old)
{
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, old);
  pid_t pid = fork();
  if (pid < 0) die(setup_status, "fork failed: %s", strerror(errno));
  return pid;
}

/*
 * -J, after join_container: the pid namespace applies to children only, so fork.
 * Returns in the child, which goes on to become the exec'd process. The parent
 * stays outside the container's pid namespace (no process of the container can
 * see or signal it), keeps only CAP_KILL (to forward signals to a job of another
 * uid) and ends with the child's status.
 */
static void run_joined(void)
{
  sigset_t old;
  job = fork_blocked(&old);
  if (job == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    return;
  }
  struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2] = { { 0 } };
  data[0].effective = data[0].permitted = 1U << CAP_KILL;
  if (syscall(SYS_capset, &header, data) != 0) {
    kill(job, SIGKILL);
    die(setup_status, "capset failed: %s", strerror(errno));
  }
  forward_to_group = 1;
  forward_signals(&old);
  for (;;) {
    int status;
    if (waitpid(job, &status, 0) < 0) {
      if (errno == EINTR) continue;
      exit(125);
    }
    if (WIFEXITED(status)) exit(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) exit(128 + WTERMSIG(status));
  }
}

static int run_as_init(char **argv)
{
  sigset_t old;
  job = fork_blocked(&old);
  if (job == 0) {
    /* The job gets its own process group (the terminal's foreground one with -t). */
    setpgid(0, 0);
    if (tty) {
      /* tcsetpgrp from a background group raises SIGTTOU, which stops the caller:
       * `run -t --init` hung there before the job ever ran. Ignored for the call;
       * exec_job puts every disposition back to its default. */
      signal(SIGTTOU, SIG_IGN);
      if (tcsetpgrp(0, getpid()) != 0) die(setup_status, "cannot give the terminal to the job: %s", strerror(errno));
    }
    exec_job(argv);
  }
  forward_signals(&old);
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      return 125;
    }
    if (pid != job) continue; /* an orphan reparented to us: reaped */
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  }
}

int main(int argc, char **argv)
{
  /* Not dumpable: no process of the container may ptrace this one, or open its
   * /proc/PID/mem, while it still holds the capabilities it is about to drop
   * (runc's CVE-2016-9962, for a job given CAP_SYS_PTRACE). The kernel still lets
   * a holder of CAP_SYS_PTRACE in the user namespace that owns our memory map
   * attach; that namespace is the one we were exec'd in. For `exec` (-J) that is
   * the host's: we are exec'd before joining, so nothing in the container can
   * attach, from our start to the job's exec (which makes the job dumpable
   * again; the fork for -J keeps both). Under bubblewrap it is the container's:
   * we are PID 1 of a pid namespace where nothing else runs yet, and with -i,
   * when the job runs beside us, we hold only its capabilities and its filter. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  int uid = -1, gid = -1, init = 0, opt;
  char *groups = NULL, *cwd = NULL;
  const char *caps = NULL;
  const char *join = NULL;
  int no_new_privs = 0;
  int network = -1;
  char *environment = NULL;
  size_t environment_length = 0;
  const char *rlimits[16];
  size_t rlimit_count = 0;
  const char *oom_score_adj = NULL;
  while ((opt = getopt(argc, argv, "+u:g:G:w:itc:nJ:E:S:N:R:O:")) != -1) {
    switch (opt) {
    case 'u': uid = parse_id(optarg); break;
    case 'g': gid = parse_id(optarg); break;
    case 'G': groups = optarg; break;
    case 'w': cwd = optarg; break;
    case 'i': init = 1; break;
    case 't': tty = 1; break;
    case 'c': caps = optarg; break;
    case 'n': no_new_privs = 1; break;
    /* An exec that cannot start exits 126, as Docker's (dockerd's default for an exec
     * whose start failed); a container's own start failing stays 125, docker run's. */
    case 'J': join = optarg; setup_status = 126; break;
    case 'E': environment = read_all(parse_fd(optarg), 16 << 20, &environment_length, "the environment"); break;
    case 'S': load_seccomp(parse_fd(optarg)); break;
    case 'N': network = parse_fd(optarg); break;
    case 'R':
      if (rlimit_count == sizeof rlimits / sizeof rlimits[0]) die(setup_status, "%s", "too many -R");
      rlimits[rlimit_count++] = optarg;
      break;
    case 'O': oom_score_adj = optarg; break;
    default: die(setup_status, "%s", "usage: burrow-init [-J pid:starttime] [-u uid] [-g gid] [-G g1,g2] [-w dir] [-i] [-t] [-c capmask] [-n] [-E fd] [-S fd] [-N fd] [-R res:soft:hard]... [-O score] -- command [args]");
    }
  }
  /* Descriptors beyond 0, 1 and 2 are someone else's: the monitor's, the launcher's,
   * bwrap's, or whatever the caller of burrow had open. None reaches the job (the network's
   * answer, -N, is read and closed before it runs). */
  close_descriptors(network);
  if (optind >= argc) die(setup_status, "%s", "no command given");
  if (join != NULL) {
    join_container(join);
    run_joined();
  }
  /* A session of its own, so the caller's terminal is not the job's controlling
   * terminal: TIOCSTI on it fails with EPERM (keystrokes pushed into the shell that
   * started burrow, CVE-2017-5226). Under bubblewrap's --new-session we already
   * lead one (EPERM, fine); for exec (-J) this is where it happens. */
  setsid();
  if (tty) {
    /* -t: the pseudo-terminal on stdin becomes the session's controlling terminal. */
    if (ioctl(0, TIOCSCTTY, 0) != 0) die(setup_status, "cannot take the terminal: %s", strerror(errno));
  }

  if (cwd != NULL) {
    /* Docker creates a missing WorkingDir (as root, before dropping to the user). */
    if (chdir(cwd) != 0 && (mkdir_p(cwd) != 0 || chdir(cwd) != 0))
      die(setup_status, "cannot enter working directory %s", cwd);
  }
  /* bwrap exports the directory it started in as PWD; Docker sets no PWD. */
  unsetenv("PWD");
  if (environment != NULL) apply_environment(environment, environment_length);
  /* Limits while we are still root of the namespace, before the user switch: the job inherits them. */
  for (size_t i = 0; i < rlimit_count; i++) apply_rlimit(rlimits[i]);
  if (oom_score_adj != NULL) apply_oom_score_adj(oom_score_adj);
  if (caps != NULL) {
    /* The bounding set first, while CAP_SETPCAP is still ours (bubblewrap, and the
     * user namespace joined by -J, hand over every capability of the namespace): a
     * capability outside the container's set can then never come back, not through
     * a setuid or file-capability binary, not through an exec'd process. */
    unsigned long long mask = strtoull(caps, NULL, 16);
    for (int cap = 0; cap < 64; cap++) {
      if (mask & (1ULL << cap)) continue;
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) /* EINVAL: past the kernel's last capability */
        die(setup_status, "cannot drop a capability from the bounding set: %s", strerror(errno));
    }
  }
  if (gid >= 0 || uid >= 0 || groups != NULL) {
    /* bwrap's --die-with-parent is a parent-death signal on us, PID 1 of the sandbox:
     * whoever kills the CLI or the monitor that ran bwrap ends the whole container. The
     * kernel clears it when our ids change: re-armed, it still works for another group
     * (-u 0:1000). For another user the kernel then refuses it anyway (the dying bwrap
     * has no CAP_KILL over a process of another uid): rm and the next start kill such
     * an orphan by its recorded identity (src/container/start.ts: killOrphanedSandbox). */
    int death_signal = 0;
    pid_t parent = getppid();
    prctl(PR_GET_PDEATHSIG, &death_signal, 0, 0, 0);
    gid_t list[64];
    size_t count = 0;
    for (char *item = groups ? strtok(groups, ",") : NULL; item && count < 64; item = strtok(NULL, ","))
      list[count++] = (gid_t) parse_id(item);
    if (setgroups(count, list) != 0 && errno != EPERM)
      die(setup_status, "setgroups failed: %s", strerror(errno));
    if (gid >= 0 && setgid((gid_t) gid) != 0)
      die(setup_status, "setgid failed: %s (is the group mapped? see /etc/subgid)", strerror(errno));
    if (uid >= 0 && setuid((uid_t) uid) != 0)
      die(setup_status, "setuid failed: %s (is the user mapped? see /etc/subuid)", strerror(errno));
    if (death_signal != 0) {
      prctl(PR_SET_PDEATHSIG, death_signal, 0, 0, 0);
      /* The parent died while the signal was off: act as the kernel would have. */
      if (getppid() != parent) raise(death_signal);
    }
  }
  if (caps != NULL) {
    /* -c MASK: the container's capability set, for every process that enters it.
     * The permitted and effective sets follow the user (root of the container: MASK;
     * anyone else: none), set once the user is switched. */
    unsigned long long mask = strtoull(caps, NULL, 16);
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2] = { { 0 } };
    if (uid <= 0) {
      data[0].effective = data[0].permitted = (unsigned int) mask;
      data[1].effective = data[1].permitted = (unsigned int) (mask >> 32);
    }
    if (syscall(SYS_capset, &header, data) != 0) die(setup_status, "capset failed: %s", strerror(errno));
  }
  if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die(setup_status, "no_new_privs failed: %s", strerror(errno));
  /* The sandbox is whole: now the job waits for its network, if it has one of its own. */
  if (network >= 0) wait_for_network(network);
  /* The filter last, once our own setup is done (a strict profile cannot break the
   * switch of user, directory or capabilities), but before --init's PID 1 forks the
   * job: an init outside the filter would be a process the job could make call what
   * the filter refuses (ptrace), as Docker's tini is confined too. */
  if (seccomp_program.filter != NULL && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &seccomp_program, 0, 0) != 0)
    die(setup_status, "the kernel refused the seccomp filter: %s", strerror(errno));
  if (init) return run_as_init(argv + optind);
  exec_job(argv + optind);
  return 125;
}
