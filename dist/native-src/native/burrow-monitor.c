/*
 * burrow-monitor: one small supervisor per detached container (Podman's conmon).
 *
 *   burrow-monitor DIR [--restart no|always|on-failure[:N]] [--log-max-size BYTES] [--log-max-files N] [--no-log] [--cgroup DIR]...
 *                      [--health INTERVAL_MS START_PERIOD_MS START_INTERVAL_MS TIMEOUT_MS N CHECK…]
 *                      [--stdin] [--tty] [--wait-attach MS] [--cleanup CMD…] -- LAUNCHER…
 *
 * It detaches from the CLI (a new session; the CLI returns at once), runs the
 * launcher with the container's stdout and stderr on pipes, writes them to
 * DIR/ctr.log in Docker's json-file format (rotated at 10 MB, two files kept unless
 * --log-max-files says otherwise), notes the sandbox's
 * PID 1 (bubblewrap's info on fd 3) in DIR/pid, and when the job ends writes its
 * exit status to DIR/exit. With a restart policy it starts the launcher again;
 * with --cleanup it runs CMD (the --rm clean-up) at the end, once no attached client
 * holds DIR/attach-hold (it waits for them: wait_for_attached_clients). With --cgroup DIR
 * (repeatable: the container's cgroup, one per v1 hierarchy) it notes whether the
 * kernel OOM-killed a process of the job (`"oomKilled":true` in DIR/exit) and
 * removes the cgroups at its end; the launcher is moved into them by
 * burrow-cgexec in front of it, not here. With --health it keeps the container's
 * health-check schedule (src/container/health-config.ts: nextCheckDelayMs) and,
 * while the sandbox runs, starts CHECK (N words: burrow's `healthcheck run ID`)
 * when a check is due, one at a time: no Node process stays resident between
 * checks. Files it writes are
 * replaced atomically (temp file, rename). A few hundred kilobytes of memory:
 * fifty containers cost fifty of these, not fifty Node processes.
 *
 * Who is who: DIR/monitor and DIR/pid name a process by pid, start time (field 22
 * of /proc/PID/stat) and boot id, spelt PID.STARTTIME.BOOTID as everywhere in
 * burrow (src/util/process-identity.ts), so that after a reboot or a pid reuse
 * burrow never takes an unrelated process for this container's (container/state.ts).
 * Attach clients never hold the job up: their sockets are non-blocking, each has
 * a bounded queue of output, and one that falls that far behind (suspended,
 * stuck) is dropped; their frames are read as they come, never waited for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "process-start.h"

static long long log_limit = 10LL * 1024 * 1024;

static const char *dir;
static int log_fd = -1;
static int keep_log = 1;
static off_t log_size = 0;

static void write_file(const char *name, const char *content)
{
  char path[4096], temp[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(temp, sizeof temp, "%s/.%s.tmp", dir, name);
  int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t ignored = write(fd, content, strlen(content));
  (void) ignored;
  fsync(fd);
  close(fd);
  rename(temp, path);
}

static void now_rfc3339(char *out, size_t size)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, size - n, ".%09ldZ", ts.tv_nsec);
}

static char boot_id[64] = "";

/* PID.STARTTIME.BOOTID (src/util/process-identity.ts); a start time of 0 (gone already) names no process. */
static void format_identity(char *out, size_t size, pid_t pid)
{
  snprintf(out, size, "%d.%llu.%s", (int) pid, start_time(pid), boot_id);
}

/* burrow hands it over (--boot-id, src/util/process-identity.ts: one reader); read here only without it. */
static void read_boot_id(void)
{
  if (boot_id[0] != '\0') return;
  int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, boot_id, sizeof boot_id - 1);
  close(fd);
  boot_id[n > 0 ? n : 0] = '\0';
  char *newline = strchr(boot_id, '\n');
  if (newline != NULL) *newline = '\0';
}

static void open_log(void)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/ctr.log", dir);
  log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  struct stat st;
  log_size = (log_fd >= 0 && fstat(log_fd, &st) == 0) ? st.st_size : 0;
}

/* Rotation (Docker's json-file max-size and max-file): ctr.log becomes ctr.log.1, .1
 * becomes .2 and so on, and the file that would be number max-file goes. The current
 * file is closed before it is renamed and its successor created, so a reader that
 * sees a newer file knows the older one is complete (src/container/logs.ts:
 * LogReader). Renames go oldest first: a name is empty for a moment, never two
 * names for one file, and every file only moves to a higher number. */
static long log_files = 2;

static void rotate_log(void)
{
  char path[4096], from[4096], to[4096];
  snprintf(path, sizeof path, "%s/ctr.log", dir);
  close(log_fd);
  for (long i = log_files - 1; i >= 2; i--) {
    snprintf(from, sizeof from, "%s/ctr.log.%ld", dir, i - 1);
    snprintf(to, sizeof to, "%s/ctr.log.%ld", dir, i);
    rename(from, to);
  }
  if (log_files >= 2) {
    snprintf(to, sizeof to, "%s/ctr.log.1", dir);
    rename(path, to);
  } else {
    unlink(path);
  }
  open_log();
}

/* One json-file line per line of output: {"log":"…\n","stream":"stdout","time":"…"} */
static void log_line(const char *stream, const char *data, size_t length)
{
  if (log_fd < 0) return;
  char time_text[64];
  now_rfc3339(time_text, sizeof time_text);
  size_t cap = length * 6 + 128;
  char *line = malloc(cap);
  if (line == NULL) return;
  size_t at = (size_t) snprintf(line, cap, "{\"log\":\"");
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char) data[i];
    if (c == '"' || c == '\\') { line[at++] = '\\'; line[at++] = (char) c; }
    else if (c == '\n') { line[at++] = '\\'; line[at++] = 'n'; }
    else if (c == '\r') { line[at++] = '\\'; line[at++] = 'r'; }
    else if (c == '\t') { line[at++] = '\\'; line[at++] = 't'; }
    else if (c < 0x20) at += (size_t) snprintf(line + at, cap - at, "\\u%04x", c);
    else line[at++] = (char) c;
  }
  at += (size_t) snprintf(line + at, cap - at, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, time_text);
  ssize_t written = write(log_fd, line, at);
  if (written > 0) log_size += written;
  free(line);
  if (log_size > log_limit) rotate_log();
}

struct stream {
  int fd;
  const char *name;
  char buffer[16384];
  size_t used;
};

static void drain(struct stream *s, int final)
{
  size_t start = 0;
  for (size_t i = 0; i < s->used; i++) {
    if (s->buffer[i] == '\n') {
      log_line(s->name, s->buffer + start, i - start + 1);
      start = i + 1;
    }
  }
  /* A partial line goes out only at the end, or when it alone fills the buffer (a line
   * longer than 16 KiB, split as Docker splits them); a full buffer that holds whole
   * lines too keeps the partial one to complete it (it was cut in two entries). */
  if (start < s->used && (final || (start == 0 && s->used == sizeof s->buffer))) {
    log_line(s->name, s->buffer + start, s->used - start);
    start = s->used;
  }
  memmove(s->buffer, s->buffer + start, s->used - start);
  s->used -= start;
}

#define MAX_CLIENTS 8
/* Output queued for one attach client; a client this far behind is dropped. */
#define CLIENT_QUEUE_MAX (1 << 20)
/* Input queued for the job's stdin; clients are not read while it is full. */
#define INPUT_QUEUE_MAX (256 << 10)
#define FRAME_MAX (3 + 65535)

static int use_tty = 0;
#define MAX_CGROUPS 16
static const char *cgroup_dirs[MAX_CGROUPS];
static int cgroup_count = 0;
static int use_stdin = 0;
static int listen_fd = -1;

struct client {
  int fd;
  char *queue;            /* output not yet written to it */
  size_t queued;
  unsigned char frame[FRAME_MAX]; /* frames as they arrive */
  size_t framed;
  int blocked;            /* a whole input frame waits for room in the input queue */
};
static struct client clients[MAX_CLIENTS];

/* The job's stdin (pipe write end, or the pty master), written without blocking. */
static int input_fd = -1;
static char input_queue[INPUT_QUEUE_MAX];
static size_t input_queued = 0;
static int input_ending = 0; /* 'e' received: close once the queue is written */

static void drop_client(struct client *c)
{
  if (c->fd >= 0) close(c->fd);
  free(c->queue);
  c->fd = -1;
  c->queue = NULL;
  c->queued = c->framed = 0;
  c->blocked = 0;
}

/* Attach: a Unix socket in the container's directory (bound by a relative name,
 * since absolute store paths can exceed sun_path). Clients get the output as it
 * comes and send frames: 'd' + u16 length + bytes (input), 'r' + u16 4 + rows,cols
 * (window size), 'e' + u16 0 (end of input). */
static void open_attach_socket(void)
{
  listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd < 0) return;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  strcpy(addr.sun_path, "attach.sock");
  unlink("attach.sock");
  if (bind(listen_fd, (struct sockaddr *) &addr, sizeof addr) != 0 || listen(listen_fd, MAX_CLIENTS) != 0) {
    close(listen_fd);
    listen_fd = -1;
  }
}

/*
 * --wait-attach MS (`start -a` of a container created with -i or -t): the job starts
 * only once a client has connected, so it gets the job's output from its first byte
 * (Docker attaches before it starts the container). The client is accepted here and
 * read only once the job's stdin (or terminal) exists: its frames wait in the socket.
 * A client that never comes (killed before it connected) holds the job up for MS at
 * most; it then runs unattached, as after `start` without -a.
 */
static long long wait_attach_ms = 0;

static void wait_for_first_client(void)
{
  if (listen_fd < 0) return;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long long deadline = (long long) now.tv_sec * 1000 + now.tv_nsec / 1000000 + wait_attach_ms;
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long left = deadline - ((long long) now.tv_sec * 1000 + now.tv_nsec / 1000000);
    if (left <= 0) return;
    struct pollfd fd = { listen_fd, POLLIN, 0 };
    int ready = poll(&fd, 1, left < INT_MAX ? (int) left : INT_MAX);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    int client = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client >= 0) { clients[0].fd = client; return; }
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) return;
  }
}

/* Writes what the client's socket takes now; returns 0 when the client is gone. */
static int flush_client(struct client *c)
{
  while (c->queued > 0) {
    ssize_t n = send(c->fd, c->queue, c->queued, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
    if (n <= 0) return 0;
    memmove(c->queue, c->queue + n, c->queued - (size_t) n);
    c->queued -= (size_t) n;
  }
  return 1;
}

/* Output to every client: written at once where the socket takes it, queued where
 * it does not; a client whose queue would pass CLIENT_QUEUE_MAX is dropped, so a
 * suspended `burrow attach` never stops the job or its log. */
static void broadcast(const char *data, size_t length)
{
  for (int i = 0; i < MAX_CLIENTS; i++) {
    struct client *c = &clients[i];
    if (c->fd < 0) continue;
    size_t at = 0;
    if (c->queued == 0) {
      ssize_t n;
      do n = send(c->fd, data, length, MSG_NOSIGNAL | MSG_DONTWAIT); while (n < 0 && errno == EINTR);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { drop_client(c); continue; }
      if (n > 0) at = (size_t) n;
    }
    if (at == length) continue;
    if (c->queued + (length - at) > CLIENT_QUEUE_MAX) { drop_client(c); continue; }
    char *grown = realloc(c->queue, c->queued + (length - at));
    if (grown == NULL) { drop_client(c); continue; }
    c->queue = grown;
    memcpy(c->queue + c->queued, data + at, length - at);
    c->queued += length - at;
  }
}

/* Writes what the job's stdin takes now. */
static void flush_input(void)
{
  while (input_fd >= 0 && input_queued > 0) {
    ssize_t n = write(input_fd, input_queue, input_queued);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) { input_queued = 0; break; } /* the job closed its stdin: what is left goes nowhere */
    memmove(input_queue, input_queue + n, input_queued - (size_t) n);
    input_queued -= (size_t) n;
  }
}

/* Handles the client's whole frames; stops at an input frame that the job's stdin
 * queue has no room for yet (the client is then not read until there is). */
static void client_frames(struct client *c, int master, int *end_of_input)
{
  c->blocked = 0;
  while (c->framed >= 3) {
    size_t length = (size_t) c->frame[1] << 8 | c->frame[2];
    if (c->framed < 3 + length) return;
    unsigned char type = c->frame[0];
    const unsigned char *payload = c->frame + 3;
    if (type == 'd' && input_fd >= 0 && !input_ending) {
      if (input_queued + length > INPUT_QUEUE_MAX) { c->blocked = 1; return; }
      memcpy(input_queue + input_queued, payload, length);
      input_queued += length;
    } else if (type == 'r' && master >= 0 && length == 4) {
      struct winsize size = { .ws_row = (unsigned short) (payload[0] << 8 | payload[1]),
                              .ws_col = (unsigned short) (payload[2] << 8 | payload[3]) };
      ioctl(master, TIOCSWINSZ, &size);
    } else if (type == 'e' && master < 0) {
      *end_of_input = 1; /* the caller closes the job's stdin once its queue is written */
    }
    memmove(c->frame, c->frame + 3 + length, c->framed - 3 - length);
    c->framed -= 3 + length;
  }
}

/* Reads what the client has sent (never waiting for the rest of a frame); returns 0 when it is gone. */
static int client_input(struct client *c, int master, int *end_of_input)
{
  ssize_t n;
  do n = recv(c->fd, c->frame + c->framed, sizeof c->frame - c->framed, MSG_DONTWAIT); while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
  if (n <= 0) return 0;
  c->framed += (size_t) n;
  client_frames(c, master, end_of_input);
  return 1;
}

static int set_nonblocking(int fd)
{
  int flags = fcntl(fd, F_GETFL);
  return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* The launcher's side of the fork: its stdio, its cgroup, default signals, no fd of ours. */
static void start_launcher(char **launcher, const char *slave_name, int in, int out, int err, int info)
{
  if (use_tty) {
    int slave = open(slave_name, O_RDWR | O_NOCTTY);
    if (slave < 0) _exit(125);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
  } else {
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    dup2(use_stdin ? in : null, 0);
    dup2(out, 1);
    dup2(err, 2);
  }
  if (info == 3) fcntl(3, F_SETFD, 0);
  else dup2(info, 3);
  /* Everything else of the monitor (the log, the attach socket and its clients,
   * the other ends of these pipes) stays here. */
  close_range(4, ~0U, 0);
  /* The monitor ignores SIGPIPE and SIGHUP; the container must not inherit that. */
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvp(launcher[0], launcher);
  _exit(127);
}

/* The kernel's count of OOM kills in the container's cgroups: v2 memory.events,
 * v1 memory.oom_control (kernel >= 4.13), both as an `oom_kill N` line. */
static long long oom_kills(void)
{
  long long total = 0;
  for (int c = 0; c < cgroup_count; c++) {
    static const char *const files[] = { "memory.events", "memory.oom_control" };
    for (int f = 0; f < 2; f++) {
      char path[4096], text[1024];
      snprintf(path, sizeof path, "%s/%s", cgroup_dirs[c], files[f]);
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      ssize_t n = read(fd, text, sizeof text - 1);
      close(fd);
      text[n > 0 ? n : 0] = '\0';
      char *line = strstr(text, "oom_kill ");
      /* not "oom_kill_disable": the count's line is exactly "oom_kill N" */
      while (line != NULL && line != text && line[-1] != '\n') line = strstr(line + 1, "oom_kill ");
      if (line != NULL) total += strtoll(line + 9, NULL, 10);
    }
  }
  return total;
}

/* At the end: the container's cgroups go (rmdir; retried for about a second while the last tasks leave). */
static void remove_cgroups(void)
{
  for (int round = 0; round < 50; round++) {
    int busy = 0;
    for (int c = 0; c < cgroup_count; c++) {
      if (cgroup_dirs[c] == NULL) continue;
      if (rmdir(cgroup_dirs[c]) == 0 || errno != EBUSY) cgroup_dirs[c] = NULL;
      else busy = 1;
    }
    if (!busy) return;
    usleep(20000);
  }
}

static int oom_killed = 0;

/* --health: the schedule (milliseconds) and burrow's check command (NULL: no health check). */
static long long health_interval = 30000, health_start_period = 0, health_start_interval = 5000, health_timeout = 30000;
static char **health_check = NULL;
/* The check kills what it runs at its timeout; the monitor kills a check that is this much later still. */
#define HEALTH_GRACE_MS 30000
/* While a check runs, poll wakes this often to notice its end (SIGCHLD does not interrupt poll). */
#define HEALTH_REAP_MS 100

static long long monotonic_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time to the next check, `elapsed` ms into the run: nextCheckDelayMs in src/container/health-config.ts. */
static long long health_delay(long long elapsed, int succeeded)
{
  if (succeeded || elapsed >= health_start_period) return health_interval;
  long long step = health_start_interval < health_interval ? health_start_interval : health_interval;
  long long left = health_start_period - elapsed;
  long long delay = step < left ? step : left;
  return delay < 1 ? 1 : delay;
}

/* One run's checks: when the next is due, and the one running (if any). */
struct health_run {
  long long started, next, deadline;
  pid_t check;
  int succeeded; /* a check has passed in this run: the start period's faster pace is over */
};

/* The check in a process group of its own, killed if the monitor dies (it would otherwise outlive the container). */
static pid_t start_check(void)
{
  pid_t monitor = getpid();
  pid_t pid = fork();
  if (pid != 0) {
    if (pid > 0) setpgid(pid, pid);
    return pid;
  }
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != monitor) _exit(125);
  close_range(3, ~0U, 0);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvp(health_check[0], health_check);
  _exit(127);
}

static void kill_check(pid_t check)
{
  kill(-check, SIGKILL);
  kill(check, SIGKILL);
}

/* Reaps, kills or starts the run's check as its time comes (a check is started only
 * while the sandbox runs); returns how long poll may sleep (ms, -1: for ever). */
static int health_tick(struct health_run *h, int sandbox_up)
{
  if (health_check == NULL) return -1;
  long long now = monotonic_ms();
  if (h->check > 0) {
    int status;
    if (waitpid(h->check, &status, WNOHANG) == h->check) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) h->succeeded = 1;
      h->check = -1;
      h->next = now + health_delay(now - h->started, h->succeeded);
    } else {
      if (now >= h->deadline) {
        kill_check(h->check);
        h->deadline = now + HEALTH_GRACE_MS;
      }
      return HEALTH_REAP_MS;
    }
  }
  if (now < h->next) return (int) (h->next - now < INT_MAX ? h->next - now : INT_MAX);
  if (!sandbox_up) return HEALTH_REAP_MS;
  h->check = start_check();
  if (h->check < 0) {
    h->check = -1;
    h->next = now + health_interval;
    return (int) (health_interval < INT_MAX ? health_interval : INT_MAX);
  }
  h->deadline = now + health_timeout + HEALTH_GRACE_MS;
  return HEALTH_REAP_MS;
}

/* The job has ended: a check still running goes with it. */
static void end_check(struct health_run *h)
{
  if (h->check <= 0) return;
  kill_check(h->check);
  while (waitpid(h->check, NULL, 0) < 0 && errno == EINTR) {}
  h->check = -1;
}

static int run_once(char **launcher)
{
  int out[2] = { -1, -1 }, err[2] = { -1, -1 }, info[2], in[2] = { -1, -1 };
  int master = -1;
  char slave_name[128] = "";
  if (pipe2(info, O_CLOEXEC)) return 125;
  if (use_tty) {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) || unlockpt(master) || ptsname_r(master, slave_name, sizeof slave_name)) return 125;
  } else {
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) return 125;
    if (use_stdin && pipe2(in, O_CLOEXEC)) return 125;
  }
  long long kills_before = oom_kills();
  pid_t child = fork();
  if (child < 0) return 125;
  if (child == 0) start_launcher(launcher, slave_name, in[0], out[1], err[1], info[1]);
  if (!use_tty) { close(out[1]); close(err[1]); }
  if (in[0] >= 0) close(in[0]);
  close(info[1]);
  input_fd = use_tty ? master : in[1];
  input_queued = 0;
  input_ending = 0;
  if (input_fd >= 0) set_nonblocking(input_fd);
  char started[64];
  now_rfc3339(started, sizeof started);
  char json[512], self[128];
  format_identity(self, sizeof self, getpid());
  snprintf(json, sizeof json, "{\"monitor\":\"%s\",\"startedAt\":\"%s\"}\n", self, started);
  write_file("monitor", json);

  struct stream streams[2] = { { use_tty ? master : out[0], "stdout", {0}, 0 }, { use_tty ? -1 : err[0], "stderr", {0}, 0 } };
  char info_text[4096];
  size_t info_used = 0;
  int open_count = use_tty ? 2 : 3;
  int sandbox_up = 0;
  struct health_run health = { .check = -1 };
  health.started = monotonic_ms();
  health.next = health.started + health_delay(0, 0);
  enum { STDOUT, STDERR, INFO, LISTEN, INPUT, CLIENTS };
  for (;;) {
    if (open_count <= 0) break;
    int wait_ms = health_tick(&health, sandbox_up);
    struct pollfd fds[CLIENTS + MAX_CLIENTS];
    fds[STDOUT] = (struct pollfd) { streams[0].fd, POLLIN, 0 };
    fds[STDERR] = (struct pollfd) { streams[1].fd, POLLIN, 0 };
    fds[INFO] = (struct pollfd) { info[0], POLLIN, 0 };
    fds[LISTEN] = (struct pollfd) { listen_fd, POLLIN, 0 };
    fds[INPUT] = (struct pollfd) { input_queued > 0 ? input_fd : -1, POLLOUT, 0 };
    /* A client is read only while its input has somewhere to go. */
    for (int c = 0; c < MAX_CLIENTS; c++) {
      short events = (short) ((clients[c].blocked ? 0 : POLLIN) | (clients[c].queued > 0 ? POLLOUT : 0));
      fds[CLIENTS + c] = (struct pollfd) { events == 0 ? -1 : clients[c].fd, events, 0 };
    }
    if (poll(fds, CLIENTS + MAX_CLIENTS, wait_ms) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (listen_fd >= 0 && (fds[LISTEN].revents & POLLIN)) {
      int client = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      for (int c = 0; client >= 0 && c < MAX_CLIENTS; c++)
        if (clients[c].fd < 0) { clients[c].fd = client; client = -1; }
      if (client >= 0) close(client);
    }
    for (int c = 0; c < MAX_CLIENTS; c++) {
      struct client *cl = &clients[c];
      short revents = fds[CLIENTS + c].revents;
      if (cl->fd < 0 || cl->fd != fds[CLIENTS + c].fd || revents == 0) continue;
      if ((revents & (POLLOUT | POLLHUP | POLLERR)) && cl->queued > 0 && !flush_client(cl)) { drop_client(cl); continue; }
      if (!cl->blocked && (revents & (POLLIN | POLLHUP | POLLERR))) {
        int end = 0;
        if (!client_input(cl, master, &end)) { drop_client(cl); continue; }
        if (end && in[1] >= 0) input_ending = 1;
      }
    }
    if (input_queued > 0) flush_input();
    for (int c = 0; c < MAX_CLIENTS; c++) {
      int end = 0;
      if (clients[c].fd >= 0 && clients[c].blocked) client_frames(&clients[c], master, &end);
      if (end && in[1] >= 0) input_ending = 1;
    }
    if (input_ending && input_queued == 0 && in[1] >= 0) { close(in[1]); in[1] = -1; input_fd = -1; input_ending = 0; }
    for (int i = STDOUT; i <= INFO; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n;
      if (i < INFO) {
        struct stream *s = &streams[i];
        n = read(s->fd, s->buffer + s->used, sizeof s->buffer - s->used);
        if (n > 0) { broadcast(s->buffer + s->used, (size_t) n); s->used += (size_t) n; drain(s, 0); continue; }
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        drain(s, 1);
      } else {
        n = read(info[0], info_text + info_used, sizeof info_text - 1 - info_used);
        if (n > 0) {
          info_used += (size_t) n;
          info_text[info_used] = '\0';
          char *pid = strstr(info_text, "\"child-pid\"");
          if (pid != NULL && (pid = strchr(pid, ':')) != NULL) {
            /* The sandbox's PID 1, named so that no later process with its pid passes for it. */
            long sandbox = strtol(pid + 1, NULL, 10);
            char content[192];
            format_identity(content, sizeof content - 1, (pid_t) sandbox);
            strcat(content, "\n");
            write_file("pid", content);
            sandbox_up = 1;
          }
          char *failure = strstr(info_text, "\"burrow-error\"");
          if (failure != NULL) write_file("launch-error", info_text);
          continue;
        }
      }
      /* EIO on a pty master: the job's side is closed. */
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        if (i < INFO) streams[i].fd = -1;
        /* The pty master is the job's input too: nothing more goes to it (its number may be reused). */
        if (fds[i].fd == master) { master = -1; input_fd = -1; input_queued = 0; }
        close(fds[i].fd);
        if (i == INFO) info[0] = -1;
        open_count--;
      }
    }
  }
  end_check(&health);
  if (in[1] >= 0) close(in[1]);
  input_fd = -1;
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  oom_killed = cgroup_count > 0 && oom_kills() > kills_before;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

/* The last output to clients that keep up, for at most a moment; then they go. */
static void close_clients(void)
{
  for (int round = 0; round < 20; round++) {
    struct pollfd fds[MAX_CLIENTS];
    int waiting = 0;
    for (int c = 0; c < MAX_CLIENTS; c++) {
      fds[c] = (struct pollfd) { clients[c].queued > 0 ? clients[c].fd : -1, POLLOUT, 0 };
      if (fds[c].fd >= 0) waiting = 1;
    }
    if (!waiting || poll(fds, MAX_CLIENTS, 100) <= 0) break;
    for (int c = 0; c < MAX_CLIENTS; c++)
      if ((fds[c].revents & (POLLOUT | POLLERR | POLLHUP)) && !flush_client(&clients[c])) drop_client(&clients[c]);
  }
  for (int c = 0; c < MAX_CLIENTS; c++) drop_client(&clients[c]);
}

/*
 * `start -a` and `attach` of a --rm container hold DIR/attach-hold (a shared flock)
 * until they have the job's last output and its exit status: the clean-up waits
 * for them, else it could remove the container under a client still reading it
 * (exit 125, "no such container", output lost). A client that dies lets go with it.
 */
static void wait_for_attached_clients(void)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/attach-hold", dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  while (flock(fd, LOCK_EX) < 0 && errno == EINTR) {}
  close(fd);
}

int main(int argc, char **argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: burrow-monitor DIR [--restart POLICY] [--cgroup DIR]... [--health INTERVAL START_PERIOD START_INTERVAL TIMEOUT N CHECK…] [--cleanup CMD… ] -- LAUNCHER…\n");
    return 125;
  }
  dir = argv[1];
  const char *restart = "no";
  char **cleanup = NULL;
  char **launcher = NULL;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--restart") == 0 && i + 1 < argc) restart = argv[++i];
    else if (strcmp(argv[i], "--log-max-size") == 0 && i + 1 < argc) log_limit = strtoll(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--log-max-files") == 0 && i + 1 < argc) log_files = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--tty") == 0) use_tty = 1;
    else if (strcmp(argv[i], "--no-log") == 0) keep_log = 0; /* --log-driver none: output is read and dropped */
    else if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc) { if (cgroup_count < MAX_CGROUPS) cgroup_dirs[cgroup_count++] = argv[i + 1]; i++; }
    else if (strcmp(argv[i], "--stdin") == 0) use_stdin = 1;
    else if (strcmp(argv[i], "--wait-attach") == 0 && i + 1 < argc) wait_attach_ms = strtoll(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--boot-id") == 0 && i + 1 < argc) snprintf(boot_id, sizeof boot_id, "%s", argv[++i]);
    else if (strcmp(argv[i], "--health") == 0 && i + 6 < argc) {
      health_interval = strtoll(argv[++i], NULL, 10);
      health_start_period = strtoll(argv[++i], NULL, 10);
      health_start_interval = strtoll(argv[++i], NULL, 10);
      health_timeout = strtoll(argv[++i], NULL, 10);
      long words = strtol(argv[++i], NULL, 10);
      if (words < 1 || words >= argc - i || health_interval < 1 || health_start_interval < 1 || health_timeout < 1 || health_start_period < 0) return 125;
      health_check = calloc((size_t) words + 1, sizeof *health_check);
      if (health_check == NULL) return 125;
      for (long w = 0; w < words; w++) health_check[w] = argv[i + 1 + w];
      i += (int) words;
    }
    else if (strcmp(argv[i], "--cleanup") == 0) {
      cleanup = &argv[i + 1];
      while (i < argc && strcmp(argv[i], "--") != 0) i++;
      if (i < argc) { argv[i] = NULL; launcher = &argv[i + 1]; }
      break;
    } else if (strcmp(argv[i], "--") == 0) { launcher = &argv[i + 1]; break; }
  }
  if (launcher == NULL || launcher[0] == NULL) return 125;
  /* Bound before the CLI gets its answer: a `start -a` that connects once we have
   * returned finds the socket there (no retry, no window). */
  if (chdir(dir) == 0) open_attach_socket();

  /* Detach: the CLI that started us returns; we live on in our own session. */
  pid_t first = fork();
  if (first < 0) return 125;
  if (first > 0) {
    int status;
    waitpid(first, &status, 0);
    return 0;
  }
  setsid();
  pid_t second = fork();
  if (second != 0) _exit(second < 0 ? 125 : 0);
  /* Dead attach clients must not kill us; the launcher's child resets both. */
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  /* Nothing the CLI or its caller had open stays open here (or reaches the job),
   * but the attach socket, moved to fd 3. */
  if (listen_fd >= 0 && listen_fd != 3) {
    if (dup3(listen_fd, 3, O_CLOEXEC) == 3) { close(listen_fd); listen_fd = 3; }
    else { close(listen_fd); listen_fd = -1; }
  }
  close_range(listen_fd == 3 ? 4 : 3, ~0U, 0);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  if (null > 2) close(null);
  read_boot_id();
  for (int c = 0; c < MAX_CLIENTS; c++) clients[c].fd = -1;
  if (keep_log) open_log();
  if (wait_attach_ms > 0) wait_for_first_client();

  long max_restarts = -1;
  if (strncmp(restart, "on-failure:", 11) == 0) max_restarts = strtol(restart + 11, NULL, 10);
  int restarts = 0;
  int code;
  for (;;) {
    code = run_once(launcher);
    char pid_path[4096];
    snprintf(pid_path, sizeof pid_path, "%s/pid", dir);
    unlink(pid_path);
    char finished[64];
    now_rfc3339(finished, sizeof finished);
    char json[256];
    snprintf(json, sizeof json, "{\"exitCode\":%d,\"finishedAt\":\"%s\",\"restarts\":%d%s}\n", code, finished, restarts,
             oom_killed ? ",\"oomKilled\":true" : "");
    write_file("exit", json);
    char stop_path[4096];
    snprintf(stop_path, sizeof stop_path, "%s/stopped", dir);
    int stopped = access(stop_path, F_OK) == 0; /* `burrow stop` means no restart */
    close_clients();
    int again = !stopped && (strcmp(restart, "always") == 0 ||
                (strncmp(restart, "on-failure", 10) == 0 && code != 0 && (max_restarts < 0 || restarts < max_restarts)));
    if (!again) break;
    restarts++;
    sleep(restarts < 5 ? restarts : 5);
    if (access(stop_path, F_OK) == 0) break; /* stopped during the back-off */
    char record_path[4096];
    snprintf(record_path, sizeof record_path, "%s/container.json", dir);
    if (access(record_path, F_OK) != 0) { remove_cgroups(); return 0; } /* removed during the back-off: nothing left to run */
  }
  remove_cgroups();
  if (cleanup != NULL && cleanup[0] != NULL) {
    wait_for_attached_clients();
    /* --rm: the clean-up (burrow rm --force) waits a little for the container's lock; another
     * command may hold it longer (a stop -t, an update, a busy machine), so it is tried again
     * with a back-off until it succeeds or the container is gone, for about a minute. */
    char record_path[4096];
    snprintf(record_path, sizeof record_path, "%s/container.json", dir);
    for (int attempt = 0; attempt < 20; attempt++) {
      pid_t child = fork();
      if (child == 0) { execvp(cleanup[0], cleanup); _exit(127); }
      int status = -1;
      if (child < 0 || waitpid(child, &status, 0) < 0) break;
      if ((WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 127)) || access(record_path, F_OK) != 0) break;
      sleep(attempt < 5 ? 1 : 5);
    }
  }
  return 0;
}
