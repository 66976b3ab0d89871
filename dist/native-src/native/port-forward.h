/*
 * port-forward.h: burrow-net's own forwarder for the published TCP ports of a slirp4netns
 * container (included by burrow-net.c only; it uses its launcher_alive, now_ms, poll_until).
 *
 * slirp4netns's add_hostfwd carries every byte through slirp's user-space TCP stack; like
 * Podman's rootlessport, the agent listens on HOSTIP:HOSTPORT itself (host namespaces, as
 * the user) and a "connector" child, which joined the container's user and network
 * namespaces, connects to 127.0.0.1:CONTAINERPORT inside for each accepted client and hands
 * the socket back (SCM_RIGHTS). The agent copies both ways with splice() through a pipe per
 * direction, on its epoll loop: single-threaded, non-blocking.
 *
 * Security: the connector reads nothing but a port number (2 bytes on a SOCK_SEQPACKET
 * socketpair) and holds no other descriptor; it is outside the container's pid namespace and
 * shares no descriptor with the job, so the job cannot reach it, signal it or ask it for a
 * connection elsewhere; it drops PR_SET_DUMPABLE before joining the user namespace, so the
 * container's root cannot ptrace it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>

/* What an epoll event is for: the first field of every struct given as its data.ptr. */
enum { TAG_LAUNCHER, TAG_HELPER, TAG_LISTENER, TAG_CONNECTION };

struct fwd_listener { int tag; int fd; int container_port; };
/* One direction: bytes read from `from` wait in the pipe until `to` takes them. */
struct fwd_way { int pipe_read, pipe_write; size_t held; int eof, done; };
/* way[0]: client -> inside; way[1]: inside -> client. */
struct fwd_connection { int tag; int fd[2]; struct fwd_way way[2]; int dead; struct fwd_connection *next_dead; };

static struct fwd_listener fwd_listeners[MAX_LIST];
static int n_fwd_listeners;
static int fwd_connector = -1;
static pid_t fwd_connector_pid;
/* Closed during a batch of events; freed after it (a later event of the batch may name it). */
static struct fwd_connection *fwd_dead;
/* Held in reserve for a client that comes when the agent is out of descriptors. */
static int fwd_spare = -1;

/* Listens on HOST_IP (empty: every address):HOST_PORT for CONTAINER_PORT; 0, or -1 with WHY. */
static int fwd_listen(const char *host_ip, int host_port, int container_port, char *why, size_t why_size)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t) host_port) };
  const char *shown = host_ip[0] ? host_ip : "0.0.0.0";
  if (inet_pton(AF_INET, shown, &address.sin_addr) != 1) { snprintf(why, why_size, "port %s:%d/tcp: not an IPv4 address", shown, host_port); return -1; }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int on = 1;
  if (fd < 0 || n_fwd_listeners >= MAX_LIST || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      bind(fd, (struct sockaddr *) &address, sizeof address) != 0 || listen(fd, 128) != 0) {
    snprintf(why, why_size, "port %s:%d/tcp cannot be published: %s", shown, host_port, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  fwd_listeners[n_fwd_listeners++] = (struct fwd_listener) { .tag = TAG_LISTENER, .fd = fd, .container_port = container_port };
  if (fwd_spare < 0) fwd_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return 0;
}

/* The connector's life: a port number in, a connected (or connecting) socket or an errno out. */
static void fwd_serve(int channel)
{
  for (;;) {
    uint16_t port;
    ssize_t n = recv(channel, &port, sizeof port, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n != (ssize_t) sizeof port) _exit(0); /* the agent ended, or anything but a port number */
    int result = 0;
    int sock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in inside = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    /* Non-blocking: a job that drops the SYN cannot hold up the agent; a refusal shows on the socket. */
    if (port == 0 || sock < 0 || (connect(sock, (struct sockaddr *) &inside, sizeof inside) != 0 && errno != EINPROGRESS)) result = errno ? errno : EINVAL;
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec data = { .iov_base = &result, .iov_len = sizeof result };
    struct msghdr message = { .msg_iov = &data, .msg_iovlen = 1 };
    if (result == 0) {
      message.msg_control = control;
      message.msg_controllen = sizeof control;
      struct cmsghdr *rights = CMSG_FIRSTHDR(&message);
      rights->cmsg_level = SOL_SOCKET;
      rights->cmsg_type = SCM_RIGHTS;
      rights->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(rights), &sock, sizeof sock);
    }
    if (sendmsg(channel, &message, MSG_NOSIGNAL) < 0) _exit(0);
    if (sock >= 0) close(sock);
  }
}

/* Forks the connector into TARGET's user and network namespaces; 0 once it is there, or -1. */
static int fwd_start_connector(pid_t target)
{
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return -1;
  pid_t child = fork();
  if (child < 0) { close(pair[0]); close(pair[1]); return -1; }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (enter_launcher_namespaces(target) != 0) _exit(1);
    /* Nothing but the channel: no listener, pipe or pidfd of the agent's. */
    int channel = dup2(pair[1], 3);
    close_range(4, ~0U, 0);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 3) close(null);
    int ready = 0;
    if (send(channel, &ready, sizeof ready, MSG_NOSIGNAL) != (ssize_t) sizeof ready) _exit(1);
    fwd_serve(channel);
  }
  close(pair[1]);
  fwd_connector = pair[0];
  fwd_connector_pid = child;
  int ready = -1;
  struct pollfd watch = { .fd = fwd_connector, .events = POLLIN };
  if (poll_until(&watch, 1, now_ms() + START_TIMEOUT_S * 1000) <= 0 || recv(fwd_connector, &ready, sizeof ready, 0) != (ssize_t) sizeof ready || ready != 0) return -1;
  return 0;
}

static void fwd_stop_connector(void)
{
  if (fwd_connector_pid <= 0) return;
  kill(fwd_connector_pid, SIGKILL);
  while (waitpid(fwd_connector_pid, NULL, 0) < 0 && errno == EINTR) {}
  fwd_connector_pid = 0;
}

/* A socket connected (or connecting) to 127.0.0.1:PORT in the container, or -1. */
static int fwd_connect_inside(int port)
{
  uint16_t asked = (uint16_t) port;
  if (send(fwd_connector, &asked, sizeof asked, MSG_NOSIGNAL) != (ssize_t) sizeof asked) return -1;
  int result = -1;
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec data = { .iov_base = &result, .iov_len = sizeof result };
  struct msghdr message = { .msg_iov = &data, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
  ssize_t n;
  while ((n = recvmsg(fwd_connector, &message, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {}
  struct cmsghdr *rights = n == (ssize_t) sizeof result ? CMSG_FIRSTHDR(&message) : NULL;
  if (rights == NULL || rights->cmsg_level != SOL_SOCKET || rights->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(rights), sizeof fd);
  if (result != 0) { close(fd); return -1; }
  return fd;
}

static void fwd_close(struct fwd_connection *connection)
{
  if (connection->dead) return;
  connection->dead = 1;
  for (int i = 0; i < 2; i++) {
    close(connection->fd[i]);
    close(connection->way[i].pipe_read);
    close(connection->way[i].pipe_write);
  }
  connection->next_dead = fwd_dead;
  fwd_dead = connection;
}

static void fwd_free_dead(void)
{
  while (fwd_dead != NULL) {
    struct fwd_connection *next = fwd_dead->next_dead;
    free(fwd_dead);
    fwd_dead = next;
  }
}

/* Moves what can move on one way now; -1 on an error (the connection is over). */
static int fwd_pump(struct fwd_way *way, int from, int to)
{
  while (!way->done) {
    ssize_t n;
    if (way->held > 0) {
      n = splice(way->pipe_read, NULL, to, NULL, way->held, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) { way->held -= (size_t) n; continue; }
    } else if (!way->eof) {
      n = splice(from, NULL, way->pipe_write, NULL, 1 << 20, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) { way->held = (size_t) n; continue; }
      if (n == 0) { way->eof = 1; continue; }
    } else {
      /* Half-close: the other side reads its end of file, and may still answer. */
      shutdown(to, SHUT_WR);
      way->done = 1;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) break;
    return -1;
  }
  return 0;
}

static void fwd_service(struct fwd_connection *connection)
{
  if (connection->dead) return;
  if (fwd_pump(&connection->way[0], connection->fd[0], connection->fd[1]) != 0 ||
      fwd_pump(&connection->way[1], connection->fd[1], connection->fd[0]) != 0 ||
      (connection->way[0].done && connection->way[1].done))
    fwd_close(connection);
}

/* Takes every waiting client of LISTENER: each gets its socket inside, or is closed. */
static void fwd_accept(int epoll, struct fwd_listener *listener)
{
  for (;;) {
    int client = accept4(listener->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0 && errno == EINTR) continue;
    if (client < 0 && (errno == EMFILE || errno == ENFILE) && fwd_spare >= 0) {
      /* Out of descriptors: the client is refused (accepted on the spare one and closed) rather than
       * left waiting, which would wake this level-triggered listener for ever. */
      close(fwd_spare);
      client = accept4(listener->fd, NULL, NULL, SOCK_CLOEXEC);
      if (client >= 0) close(client);
      fwd_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
      continue;
    }
    if (client < 0) return; /* EAGAIN */
    int inside = fwd_connect_inside(listener->container_port);
    struct fwd_connection *connection = inside < 0 ? NULL : calloc(1, sizeof *connection);
    int pipes[2][2] = { { -1, -1 }, { -1, -1 } };
    if (connection == NULL || pipe2(pipes[0], O_NONBLOCK | O_CLOEXEC) != 0 || pipe2(pipes[1], O_NONBLOCK | O_CLOEXEC) != 0) {
      for (int i = 0; i < 4; i++) if (pipes[i / 2][i % 2] >= 0) close(pipes[i / 2][i % 2]);
      if (inside >= 0) close(inside);
      close(client);
      free(connection);
      continue;
    }
    connection->tag = TAG_CONNECTION;
    connection->fd[0] = client;
    connection->fd[1] = inside;
    for (int i = 0; i < 2; i++) {
      /* A larger pipe moves more per splice (best effort: the user's pipe-user-pages limits it). */
      fcntl(pipes[i][1], F_SETPIPE_SZ, 1 << 20);
      connection->way[i] = (struct fwd_way) { .pipe_read = pipes[i][0], .pipe_write = pipes[i][1] };
      /* Edge-triggered: fwd_service always moves until EAGAIN. */
      struct epoll_event event = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = connection };
      epoll_ctl(epoll, EPOLL_CTL_ADD, connection->fd[i], &event);
    }
    fwd_service(connection);
  }
}
