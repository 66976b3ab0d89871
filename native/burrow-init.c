/*
 * burrow-init: the last step before a container's process runs.
 *
 * bubblewrap has set up the namespaces, mounts and capabilities; it cannot switch
 * to another uid inside a user namespace it did not create, so this small static
 * program does that (setgroups, setgid, setuid), enters the working directory and
 * execs the job. With -i it stays as PID 1 instead: it reaps zombies and forwards
 * signals to the job (Docker's --init, after tini and catatonit).
 *
 * It runs inside the container's root, so it is linked statically and reads no
 * file of the image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void die(int status, const char *fmt, const char *arg)
{
  fprintf(stderr, "burrow: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  exit(status);
}

static int parse_id(const char *text)
{
  char *end;
  long value = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < 0 || value > 0x7fffffff)
    die(125, "invalid id \"%s\"", text);
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

/* Docker's exit statuses: 127 when the command is not found, 126 when it cannot run. */
static void exec_job(char **argv)
{
  execvp(argv[0], argv);
  int saved = errno;
  if (saved == ENOENT) {
    if (strchr(argv[0], '/'))
      die(127, "exec: \"%s\": no such file or directory", argv[0]);
    die(127, "exec: \"%s\": executable file not found in $PATH", argv[0]);
  }
  fprintf(stderr, "burrow: exec: \"%s\": %s\n", argv[0], strerror(saved));
  exit(126);
}

static pid_t job = -1;
static int tty = 0;

static void forward(int sig)
{
  if (job > 0) kill(job, sig);
}

static int run_as_init(char **argv)
{
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  job = fork();
  if (job < 0) die(125, "fork failed: %s", strerror(errno));
  if (job == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* The job gets its own process group (the terminal's foreground one with -t). */
    setpgid(0, 0);
    if (tty) tcsetpgrp(0, getpid());
    exec_job(argv);
  }
  int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM };
  struct sigaction action = { 0 };
  action.sa_handler = forward;
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &action, NULL);
  sigprocmask(SIG_SETMASK, &old, NULL);
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
  int uid = -1, gid = -1, init = 0, opt;
  char *groups = NULL, *cwd = NULL;
  const char *caps = NULL;
  int no_new_privs = 0;
  int hold = 0;
  while ((opt = getopt(argc, argv, "+u:g:G:w:itc:nP")) != -1) {
    switch (opt) {
    case 'u': uid = parse_id(optarg); break;
    case 'g': gid = parse_id(optarg); break;
    case 'G': groups = optarg; break;
    case 'w': cwd = optarg; break;
    case 'i': init = 1; break;
    case 't': tty = 1; break;
    case 'c': caps = optarg; break;
    case 'n': no_new_privs = 1; break;
    case 'P': hold = 1; break; /* stay, doing nothing, until killed: a handle on the container's root for `burrow cp` */
    default: die(125, "%s", "usage: burrow-init [-u uid] [-g gid] [-G g1,g2] [-w dir] [-i] -- command [args]");
    }
  }
  if (hold) {
    if (write(1, "ready\n", 6) < 0) return 125;
    for (;;) pause();
  }
  if (optind >= argc) die(125, "%s", "no command given");
  if (tty) {
    /* -t: the pseudo-terminal on stdin becomes the session's controlling terminal. */
    setsid();
    if (ioctl(0, TIOCSCTTY, 0) != 0) die(125, "cannot take the terminal: %s", strerror(errno));
  }

  if (cwd != NULL) {
    /* Docker creates a missing WorkingDir (as root, before dropping to the user). */
    if (chdir(cwd) != 0 && (mkdir_p(cwd) != 0 || chdir(cwd) != 0))
      die(125, "cannot enter working directory %s", cwd);
  }
  /* bwrap exports the directory it started in as PWD; Docker sets no PWD. */
  unsetenv("PWD");
  if (gid >= 0 || uid >= 0 || groups != NULL) {
    gid_t list[64];
    size_t count = 0;
    for (char *item = groups ? strtok(groups, ",") : NULL; item && count < 64; item = strtok(NULL, ","))
      list[count++] = (gid_t) parse_id(item);
    if (setgroups(count, list) != 0 && errno != EPERM)
      die(125, "setgroups failed: %s", strerror(errno));
    if (gid >= 0 && setgid((gid_t) gid) != 0)
      die(125, "setgid failed: %s (is the group mapped? see /etc/subgid)", strerror(errno));
    if (uid >= 0 && setuid((uid_t) uid) != 0)
      die(125, "setuid failed: %s (is the user mapped? see /etc/subuid)", strerror(errno));
  }
  if (caps != NULL) {
    /* -c MASK (exec): the capability set bubblewrap gave the container's PID 1. */
    unsigned long long mask = strtoull(caps, NULL, 16);
    for (int cap = 0; cap < 64; cap++)
      if (!(mask & (1ULL << cap))) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2] = { { 0 } };
    if (uid <= 0) {
      data[0].effective = data[0].permitted = (unsigned int) mask;
      data[1].effective = data[1].permitted = (unsigned int) (mask >> 32);
    }
    if (syscall(SYS_capset, &header, data) != 0) die(125, "capset failed: %s", strerror(errno));
  }
  if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die(125, "no_new_privs failed: %s", strerror(errno));
  if (init) return run_as_init(argv + optind);
  exec_job(argv + optind);
  return 125;
}
