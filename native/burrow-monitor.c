/*
 * burrow-monitor: one small supervisor per detached container (Podman's conmon).
 *
 *   burrow-monitor DIR [--restart no|always|on-failure[:N]] [--log-max-size BYTES]
 *                      [--cleanup CMD…] -- LAUNCHER…
 *
 * It detaches from the CLI (a new session; the CLI returns at once), runs the
 * launcher with the container's stdout and stderr on pipes, writes them to
 * DIR/ctr.log in Docker's json-file format (rotated at 10 MB), notes the sandbox's
 * PID 1 (bubblewrap's info on fd 3) in DIR/pid, and when the job ends writes its
 * exit status to DIR/exit. With a restart policy it starts the launcher again;
 * with --cleanup it runs CMD (the --rm clean-up) at the end. Files it writes are
 * replaced atomically (temp file, rename). A few hundred kilobytes of memory:
 * fifty containers cost fifty of these, not fifty Node processes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long log_limit = 10LL * 1024 * 1024;

static const char *dir;
static int log_fd = -1;
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

static void open_log(void)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/ctr.log", dir);
  log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  struct stat st;
  log_size = (log_fd >= 0 && fstat(log_fd, &st) == 0) ? st.st_size : 0;
}

static void rotate_log(void)
{
  char path[4096], old[4096];
  snprintf(path, sizeof path, "%s/ctr.log", dir);
  snprintf(old, sizeof old, "%s/ctr.log.1", dir);
  close(log_fd);
  rename(path, old);
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
  if (start < s->used && (final || s->used == sizeof s->buffer)) {
    log_line(s->name, s->buffer + start, s->used - start);
    start = s->used;
  }
  memmove(s->buffer, s->buffer + start, s->used - start);
  s->used -= start;
}

#define MAX_CLIENTS 8

static int use_tty = 0;
static const char *cgroup_dir = NULL;
static int use_stdin = 0;
static int listen_fd = -1;
static int clients[MAX_CLIENTS];

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
  for (int i = 0; i < MAX_CLIENTS; i++) clients[i] = -1;
}

static void broadcast(const char *data, size_t length)
{
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i] < 0) continue;
    if (write(clients[i], data, length) < 0 && errno != EAGAIN) { close(clients[i]); clients[i] = -1; }
  }
}

/* One client frame; returns 0 when the client is gone. */
static int client_frame(int fd, int input_fd, int master)
{
  unsigned char head[3];
  ssize_t n = recv(fd, head, 3, MSG_WAITALL);
  if (n != 3) return 0;
  size_t length = (size_t) head[1] << 8 | head[2];
  char payload[65536];
  if (length > 0 && recv(fd, payload, length, MSG_WAITALL) != (ssize_t) length) return 0;
  if (head[0] == 'd' && input_fd >= 0) {
    size_t at = 0;
    while (at < length) {
      ssize_t w = write(input_fd, payload + at, length - at);
      if (w <= 0) break;
      at += (size_t) w;
    }
  } else if (head[0] == 'r' && master >= 0 && length == 4) {
    struct winsize size = { .ws_row = (unsigned short) ((unsigned char) payload[0] << 8 | (unsigned char) payload[1]),
                            .ws_col = (unsigned short) ((unsigned char) payload[2] << 8 | (unsigned char) payload[3]) };
    ioctl(master, TIOCSWINSZ, &size);
  } else if (head[0] == 'e' && input_fd >= 0 && master < 0) {
    return -1; /* end of input: the caller closes the job's stdin */
  }
  return 1;
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
  pid_t child = fork();
  if (child < 0) return 125;
  if (child == 0) {
    if (use_tty) {
      int slave = open(slave_name, O_RDWR | O_NOCTTY);
      dup2(slave, 0);
      dup2(slave, 1);
      dup2(slave, 2);
    } else {
      int null = open("/dev/null", O_RDONLY);
      dup2(use_stdin ? in[0] : null, 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
    }
    dup2(info[1], 3);
    if (cgroup_dir != NULL) {
      /* Into the container's own cgroup before anything of it runs (the freezer of `pause`). */
      char procs[4096];
      snprintf(procs, sizeof procs, "%s/cgroup.procs", cgroup_dir);
      int fd = open(procs, O_WRONLY | O_CLOEXEC);
      if (fd >= 0) { ssize_t ignored = write(fd, "0", 1); (void) ignored; close(fd); }
    }
    execvp(launcher[0], launcher);
    _exit(127);
  }
  if (!use_tty) { close(out[1]); close(err[1]); }
  if (in[0] >= 0) close(in[0]);
  close(info[1]);
  int input_fd = use_tty ? master : in[1];
  char started[64];
  now_rfc3339(started, sizeof started);
  char json[256];
  snprintf(json, sizeof json, "{\"monitorPid\":%d,\"startedAt\":\"%s\"}\n", getpid(), started);
  write_file("monitor", json);

  struct stream streams[2] = { { use_tty ? master : out[0], "stdout", {0}, 0 }, { use_tty ? -1 : err[0], "stderr", {0}, 0 } };
  char info_text[4096];
  size_t info_used = 0;
  int open_count = use_tty ? 2 : 3;
  for (;;) {
    if (open_count <= 0) break;
    struct pollfd fds[4 + MAX_CLIENTS];
    fds[0] = (struct pollfd) { streams[0].fd, POLLIN, 0 };
    fds[1] = (struct pollfd) { streams[1].fd, POLLIN, 0 };
    fds[2] = (struct pollfd) { info[0], POLLIN, 0 };
    fds[3] = (struct pollfd) { listen_fd, POLLIN, 0 };
    for (int c = 0; c < MAX_CLIENTS; c++) fds[4 + c] = (struct pollfd) { clients[c], POLLIN, 0 };
    if (poll(fds, 4 + MAX_CLIENTS, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (listen_fd >= 0 && (fds[3].revents & POLLIN)) {
      int client = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
      for (int c = 0; client >= 0 && c < MAX_CLIENTS; c++)
        if (clients[c] < 0) { clients[c] = client; client = -1; }
      if (client >= 0) close(client);
    }
    for (int c = 0; c < MAX_CLIENTS; c++) {
      if (clients[c] < 0 || !(fds[4 + c].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int result = client_frame(clients[c], input_fd, master);
      if (result == -1 && in[1] >= 0) { close(in[1]); in[1] = -1; input_fd = -1; }
      if (result == 0) { close(clients[c]); clients[c] = -1; }
    }
    for (int i = 0; i < 3; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n;
      if (i < 2) {
        struct stream *s = &streams[i];
        n = read(s->fd, s->buffer + s->used, sizeof s->buffer - s->used);
        if (n > 0) { broadcast(s->buffer + s->used, (size_t) n); s->used += (size_t) n; drain(s, 0); continue; }
        drain(s, 1);
      } else {
        n = read(info[0], info_text + info_used, sizeof info_text - 1 - info_used);
        if (n > 0) {
          info_used += (size_t) n;
          info_text[info_used] = '\0';
          char *pid = strstr(info_text, "\"child-pid\"");
          if (pid != NULL && (pid = strchr(pid, ':')) != NULL) {
            char content[64];
            snprintf(content, sizeof content, "%ld\n", strtol(pid + 1, NULL, 10));
            write_file("pid", content);
          }
          char *failure = strstr(info_text, "\"burrow-error\"");
          if (failure != NULL) write_file("launch-error", info_text);
          continue;
        }
      }
      /* EIO on a pty master: the job's side is closed. */
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        if (i < 2) streams[i].fd = -1;
        close(fds[i].fd);
        if (i == 2) info[0] = -1;
        open_count--;
      }
    }
  }
  if (in[1] >= 0) close(in[1]);
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

int main(int argc, char **argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: burrow-monitor DIR [--restart POLICY] [--cleanup CMD… ] -- LAUNCHER…\n");
    return 125;
  }
  dir = argv[1];
  const char *restart = "no";
  char **cleanup = NULL;
  char **launcher = NULL;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--restart") == 0 && i + 1 < argc) restart = argv[++i];
    else if (strcmp(argv[i], "--log-max-size") == 0 && i + 1 < argc) log_limit = strtoll(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--tty") == 0) use_tty = 1;
    else if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc) cgroup_dir = argv[++i];
    else if (strcmp(argv[i], "--stdin") == 0) use_stdin = 1;
    else if (strcmp(argv[i], "--cleanup") == 0) {
      cleanup = &argv[i + 1];
      while (i < argc && strcmp(argv[i], "--") != 0) i++;
      if (i < argc) { argv[i] = NULL; launcher = &argv[i + 1]; }
      break;
    } else if (strcmp(argv[i], "--") == 0) { launcher = &argv[i + 1]; break; }
  }
  if (launcher == NULL || launcher[0] == NULL) return 125;

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
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  open_log();
  if (chdir(dir) == 0) open_attach_socket();

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
    snprintf(json, sizeof json, "{\"exitCode\":%d,\"finishedAt\":\"%s\",\"restarts\":%d}\n", code, finished, restarts);
    write_file("exit", json);
    char stop_path[4096];
    snprintf(stop_path, sizeof stop_path, "%s/stopped", dir);
    int stopped = access(stop_path, F_OK) == 0; /* `burrow stop` means no restart */
    for (int c = 0; c < MAX_CLIENTS; c++)
      if (clients[c] >= 0) { close(clients[c]); clients[c] = -1; }
    int again = !stopped && (strcmp(restart, "always") == 0 ||
                (strncmp(restart, "on-failure", 10) == 0 && code != 0 && (max_restarts < 0 || restarts < max_restarts)));
    if (!again) break;
    restarts++;
    sleep(restarts < 5 ? restarts : 5);
    if (access(stop_path, F_OK) == 0) break; /* stopped during the back-off */
    char record_path[4096];
    snprintf(record_path, sizeof record_path, "%s/container.json", dir);
    if (access(record_path, F_OK) != 0) return 0; /* removed during the back-off: nothing left to run */
  }
  if (cleanup != NULL && cleanup[0] != NULL) {
    pid_t child = fork();
    if (child == 0) { execvp(cleanup[0], cleanup); _exit(127); }
    int status;
    if (child > 0) waitpid(child, &status, 0);
  }
  return 0;
}
