/*
 * burrow-switch: the Ethernet switch of one user-defined network (`burrow network`).
 *
 *   burrow-switch DIR NAME
 *
 * A user cannot make veth pairs between containers' network namespaces (each has
 * its own user namespace), so the containers of a network are joined in user
 * space: each member's tap device (made in its namespace by burrow-netattach) is
 * handed to this process, which forwards frames between the taps. It learns
 * nothing: each member's MAC and address come from its attach text, a frame whose
 * source MAC is not its member's is dropped (and an ARP frame whose sender is not
 * the member's MAC and address), unicast goes only to the member with that exact
 * MAC (unknown destinations are dropped, never flooded), broadcast and multicast
 * to every other member. Security: a member is root with CAP_NET_ADMIN in its own
 * namespace; this stops it taking a peer's frames by sending with the peer's MAC
 * or answering ARP for the peer's address, and flooding a table so that unicast
 * reaches it. Two members of a network never share a MAC or an address.
 * Only members of this network are ever connected: that is the isolation between
 * networks (one process, one socket, one set of taps per network).
 *
 * DIR is <store>/networks/<id>; the switch works from there (chdir), so the
 * socket path stays inside sun_path's 108 bytes however long the store path is:
 *   DIR/switch.lock  flock: one switch per network (a second one exits 0 at once)
 *   DIR/switch.sock  the unix stream socket members and burrow talk to
 * Requests (text ending in a NUL byte):
 *   attach: the member's text (key=value lines: container, name, aliases, address,
 *     mac, hosts) with SCM_RIGHTS [tap fd, pidfd of the member's sandbox, and
 *     optionally a pidfd of its keeper: the process that may start it again];
 *     reply "ok\n" or "error WHY\n"
 *   "disconnect ID": drops container ID's tap; reply "ok\n" or "none\n"
 *   "ping": reply "ok\n" (burrow's "is it running" test)
 * A member is dropped when its pidfd turns readable (the sandbox ended: its tap
 * would otherwise keep the namespace alive) or on `disconnect`. As members come
 * and go the switch rewrites the `# network NAME` section of every member's hosts
 * file in place (same inode: it is bind-mounted; every other line kept), listing
 * the other members by container name and aliases. The file is locked with
 * LOCK_NB: it is the container's /etc/hosts, which the job can flock for ever; a
 * locked file is left and tried again every RETRY_MS until written.
 * Only processes of the switch's own user are served (SO_PEERCRED).
 * It exits IDLE_MS after the last member left and no request came (it removes its
 * socket first, then serves what was already queued on it, and goes on if that
 * brought a member), but not while a keeper of a member that ended lives: the keeper is
 * the parent of the member's sandbox (its burrow-monitor, which starts it again
 * under a restart policy after a back-off longer than IDLE_MS may be, and whose
 * burrow-netattach then needs this switch still there).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "attach-text.h"

#define MAX_MEMBERS 256
#define MAX_CLIENTS 32
#define MAX_KEEPERS 256
#define MAX_TEXT 8192
#define FRAME_MAX 65600
#define IDLE_MS 5000
/* How long the idle switch serves the connections queued before it removed its socket. */
#define CLOSING_MS 1000
/* How often a hosts file the container had locked is tried again. */
#define RETRY_MS 500

/*
 * epoll tags: kind, the member's generation and its index. A batch of events may
 * hold one for a member dropped earlier in the same batch whose slot was taken
 * again: the generation tells it apart.
 */
enum { TAG_LISTEN = 1, TAG_TAP = 2, TAG_PIDFD = 3, TAG_CLIENT = 4, TAG_KEEPER = 5 };
#define TAG(kind, generation, index) (((uint64_t)(kind) << 56) | ((uint64_t)((generation) & 0xffffff) << 32) | (uint32_t)(index))

struct member {
  int used;
  uint32_t generation;
  int tap;
  int pidfd;
  int keeper;
  /* The hosts file is to be written again (it was locked): LEAVING + 1, or 0. */
  int hosts_pending;
  unsigned char mac[6];
  struct in_addr ip;
  char container[80];
  char name[256];
  char aliases[1024];
  char address[64];
  char hosts[4096];
};

struct client {
  int fd;
  size_t length;
  int fds[3];
  int nfds;
  char text[MAX_TEXT];
};

static struct member members[MAX_MEMBERS];
static struct client clients[MAX_CLIENTS];
/* Keepers of members that ended: pidfds (-1: free slot), their generations (as members') and containers. */
static int keepers[MAX_KEEPERS];
static uint32_t keeper_generation[MAX_KEEPERS];
static char keeper_container[MAX_KEEPERS][80];
static int epoll_fd;
static const char *network_name;
static unsigned char frame[FRAME_MAX];

static void note(const char *format, const char *detail)
{
  fprintf(stderr, "burrow-switch %s: ", network_name);
  fprintf(stderr, format, detail);
  fputc('\n', stderr);
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Members, and keepers of members that ended: while there are any, the switch stays. */
static int busy_count(void)
{
  int count = 0;
  for (int i = 0; i < MAX_MEMBERS; i++) count += members[i].used;
  for (int i = 0; i < MAX_KEEPERS; i++) count += keepers[i] >= 0;
  return count;
}

static void drop_keeper(int index)
{
  if (keepers[index] < 0) return;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, keepers[index], NULL);
  close(keepers[index]);
  keepers[index] = -1;
}

/* Keeps a member's keeper watched after the member ended (none: nothing to do). */
static void keep(int fd, const char *container)
{
  if (fd < 0) return;
  for (int i = 0; i < MAX_KEEPERS; i++) {
    if (keepers[i] >= 0) continue;
    uint32_t generation = keeper_generation[i] + 1;
    struct epoll_event event = { .events = EPOLLIN, .data.u64 = TAG(TAG_KEEPER, generation, i) };
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) break;
    keepers[i] = fd;
    keeper_generation[i] = generation;
    snprintf(keeper_container[i], sizeof(keeper_container[i]), "%s", container);
    return;
  }
  close(fd);
}

/* Text for a hosts line must not break the file's format (a peer's name comes from its owner, but stays one line). */
static int safe_text(const char *text)
{
  for (; *text; text++)
    if (*text == '\n' || *text == '\r' || *text == '#') return 0;
  return 1;
}

/*
 * Rewrites the `# network NAME` section of member SELF's hosts file: the header
 * line, then one line per other member. The section runs to the next line that
 * starts with '#' or the end of the file; without one it is appended.
 */
static void write_hosts(int self, int leaving)
{
  struct member *owner = &members[self];
  owner->hosts_pending = 0;
  if (owner->hosts[0] == 0) return;
  int fd = open(owner->hosts, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    note("cannot open a member's hosts file: %s", strerror(errno));
    return;
  }
  /*
   * Security: never wait for this lock. The file is the container's /etc/hosts:
   * `flock /etc/hosts sleep inf` in the job would otherwise stop this
   * single-threaded switch, and with it every member's traffic and every start on
   * the network. Locked: tried again later (main's RETRY_MS).
   */
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK || errno == EINTR) owner->hosts_pending = leaving + 1;
    close(fd);
    return;
  }
  static char old[65536], fresh[65536 + MAX_MEMBERS * 1400];
  struct stat info;
  /* A file grown past what is read whole (the job may write its /etc/hosts) is left alone, never cut. */
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_size >= (off_t)sizeof(old)) {
    note("a member's hosts file is too large to keep current: %s", owner->hosts);
    close(fd);
    return;
  }
  ssize_t got = pread(fd, old, sizeof(old) - 1, 0);
  if (got < 0) got = 0;
  old[got] = 0;

  char header[512];
  snprintf(header, sizeof(header), "# network %s\n", network_name);
  size_t header_length = strlen(header);
  /* Where the section starts and ends in the old text. */
  char *start = NULL;
  for (char *line = old; *line;) {
    if (strncmp(line, header, header_length) == 0) {
      start = line;
      break;
    }
    char *end = strchr(line, '\n');
    if (end == NULL) break;
    line = end + 1;
  }
  size_t used = 0;
  const size_t room = sizeof(fresh);
  int overflow = 0;
#define APPEND(...) do { int n = snprintf(fresh + used, room - used, __VA_ARGS__); if (n < 0 || (size_t)n >= room - used) overflow = 1; else used += (size_t)n; } while (0)
  char *rest;
  if (start != NULL) {
    APPEND("%.*s", (int)(start - old), old);
    rest = start + header_length;
    while (*rest && *rest != '#') {
      char *end = strchr(rest, '\n');
      rest = end == NULL ? rest + strlen(rest) : end + 1;
    }
  } else {
    APPEND("%s", old);
    if (got > 0 && old[got - 1] != '\n') APPEND("\n");
    rest = old + got;
  }
  APPEND("%s", header);
  if (!leaving) {
    for (int i = 0; i < MAX_MEMBERS; i++) {
      struct member *peer = &members[i];
      if (!peer->used || i == self || strcmp(peer->container, owner->container) == 0) continue;
      APPEND("%s\t%s%s%s\n", peer->address, peer->name, peer->aliases[0] ? " " : "", peer->aliases);
    }
  }
  APPEND("%s", rest);
#undef APPEND
  if (overflow) {
    note("a member's hosts file would grow too large: %s", owner->hosts);
  } else if (pwrite(fd, fresh, used, 0) != (ssize_t)used || ftruncate(fd, (off_t)used) != 0)
    note("cannot rewrite a member's hosts file: %s", strerror(errno));
  close(fd);
}

static void write_all_hosts(void)
{
  for (int i = 0; i < MAX_MEMBERS; i++)
    if (members[i].used) write_hosts(i, 0);
}

/* LEAVING: disconnected (its hosts section emptied, no restart awaited), else its sandbox ended. */
static void drop_member(int index, int leaving)
{
  struct member *gone = &members[index];
  if (!gone->used) return;
  if (leaving) write_hosts(index, 1);
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, gone->tap, NULL);
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, gone->pidfd, NULL);
  close(gone->tap);
  close(gone->pidfd);
  if (leaving) {
    if (gone->keeper >= 0) close(gone->keeper);
  } else {
    keep(gone->keeper, gone->container);
  }
  gone->keeper = -1;
  gone->used = 0;
  gone->hosts_pending = 0;
  write_all_hosts();
}

/*
 * The hosts file of an attach request: none, or an absolute path to a regular
 * file that is not a symbolic link (it is the container's bind-mount source on
 * the host, out of the container's reach; strict all the same). NULL or a reason.
 */
static const char *check_hosts(const char *path)
{
  if (path[0] == 0) return NULL;
  if (path[0] != '/') return "the member's hosts file is not an absolute path";
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return "the member's hosts file cannot be opened (or is a symbolic link)";
  struct stat info;
  int regular = fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
  close(fd);
  return regular ? NULL : "the member's hosts file is not a regular file";
}

/* Takes a member from an attach request; returns 0 or a reason. */
static const char *add_member(struct client *request)
{
  if (request->nfds < 2) return "an attach request carries a tap and a pidfd";
  int slot = -1;
  for (int i = 0; i < MAX_MEMBERS; i++)
    if (!members[i].used) {
      slot = i;
      break;
    }
  if (slot < 0) return "the network has too many members";
  struct member *added = &members[slot];
  uint32_t generation = added->generation + 1;
  memset(added, 0, sizeof(*added));
  added->generation = generation;
  added->keeper = -1;
  field(request->text, "container", added->container, sizeof(added->container));
  field(request->text, "name", added->name, sizeof(added->name));
  field(request->text, "aliases", added->aliases, sizeof(added->aliases));
  field(request->text, "address", added->address, sizeof(added->address));
  field(request->text, "hosts", added->hosts, sizeof(added->hosts));
  char mac_text[32];
  field(request->text, "mac", mac_text, sizeof(mac_text));
  if (added->container[0] == 0 || added->address[0] == 0) return "the attach request names no container or address";
  if (!safe_text(added->name) || !safe_text(added->aliases)) return "the member's name or aliases is not one line";
  if (inet_pton(AF_INET, added->address, &added->ip) != 1) return "the member's address is not an IPv4 address";
  if (parse_mac(mac_text, added->mac) != 0 || (added->mac[0] & 1)) return "the member's MAC is not a unicast MAC address";
  const char *hosts_problem = check_hosts(added->hosts);
  if (hosts_problem != NULL) return hosts_problem;
  /* Security: a second member with a peer's MAC or address would receive the peer's frames. */
  for (int i = 0; i < MAX_MEMBERS; i++) {
    struct member *peer = &members[i];
    if (!peer->used || strcmp(peer->container, added->container) == 0) continue;
    if (memcmp(peer->mac, added->mac, 6) == 0) return "another member of the network has its MAC address";
    if (peer->ip.s_addr == added->ip.s_addr) return "another member of the network has its address";
  }
  /* The same container again (a restart before its old sandbox was seen to end): the new tap replaces the old. */
  for (int i = 0; i < MAX_MEMBERS; i++)
    if (members[i].used && strcmp(members[i].container, added->container) == 0) drop_member(i, 0);
  /* Back (a restart): the keeper waiting for it is the new member's own again. */
  for (int i = 0; i < MAX_KEEPERS; i++)
    if (keepers[i] >= 0 && strcmp(keeper_container[i], added->container) == 0) drop_keeper(i);
  added->tap = request->fds[0];
  added->pidfd = request->fds[1];
  added->keeper = request->nfds > 2 ? request->fds[2] : -1;
  request->nfds = 0;
  fcntl(added->tap, F_SETFL, fcntl(added->tap, F_GETFL) | O_NONBLOCK);
  struct epoll_event tap_event = { .events = EPOLLIN, .data.u64 = TAG(TAG_TAP, generation, slot) };
  struct epoll_event pid_event = { .events = EPOLLIN, .data.u64 = TAG(TAG_PIDFD, generation, slot) };
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, added->tap, &tap_event) != 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, added->pidfd, &pid_event) != 0) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, added->tap, NULL);
    close(added->tap);
    close(added->pidfd);
    if (added->keeper >= 0) close(added->keeper);
    return "cannot watch the member's tap";
  }
  added->used = 1;
  write_all_hosts();
  return NULL;
}

static void close_client(int index)
{
  struct client *gone = &clients[index];
  for (int i = 0; i < gone->nfds; i++) close(gone->fds[i]);
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, gone->fd, NULL);
  close(gone->fd);
  gone->fd = -1;
}

static void reply(struct client *to, const char *text)
{
  ssize_t ignored = write(to->fd, text, strlen(text));
  (void)ignored;
}

/* A complete request (its text ended in NUL). */
static void handle_request(struct client *request)
{
  if (strncmp(request->text, "disconnect ", 11) == 0) {
    int found = 0;
    for (int i = 0; i < MAX_MEMBERS; i++)
      if (members[i].used && strcmp(members[i].container, request->text + 11) == 0) {
        drop_member(i, 1);
        found = 1;
      }
    reply(request, found ? "ok\n" : "none\n");
  } else if (strcmp(request->text, "ping") == 0) {
    reply(request, "ok\n");
  } else {
    const char *why = add_member(request);
    if (why == NULL) {
      reply(request, "ok\n");
    } else {
      char text[300];
      snprintf(text, sizeof(text), "error %s\n", why);
      reply(request, text);
    }
  }
}

static void read_client(int index)
{
  struct client *request = &clients[index];
  union {
    struct cmsghdr header;
    char space[CMSG_SPACE(sizeof(int) * 6)];
  } control;
  struct iovec iov = { .iov_base = request->text + request->length, .iov_len = MAX_TEXT - 1 - request->length };
  struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof(control.space) };
  ssize_t got = recvmsg(request->fd, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    int count = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    int *fds = (int *)CMSG_DATA(header);
    for (int i = 0; i < count; i++) {
      if (request->nfds < 3) request->fds[request->nfds++] = fds[i];
      else close(fds[i]);
    }
  }
  if (got <= 0) {
    close_client(index);
    return;
  }
  request->length += (size_t)got;
  request->text[request->length] = 0;
  if (strlen(request->text) < request->length) {
    handle_request(request);
    close_client(index);
  } else if (request->length >= MAX_TEXT - 1) {
    reply(request, "error the request is too long\n");
    close_client(index);
  }
}

/* Takes one connection from the listener's queue: 0 when none was queued. */
static int accept_client(int listener)
{
  int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  /* Security: the socket's mode keeps others out; a peer of another uid (a mode changed, a shared directory) is refused all the same. */
  struct ucred peer;
  socklen_t peer_size = sizeof(peer);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_size) != 0 || peer.uid != getuid()) {
    close(fd);
    return 1;
  }
  int slot = -1;
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (clients[i].fd < 0) {
      slot = i;
      break;
    }
  if (slot < 0) {
    close(fd);
    return 1;
  }
  clients[slot].fd = fd;
  clients[slot].length = 0;
  clients[slot].nfds = 0;
  struct epoll_event event = { .events = EPOLLIN, .data.u64 = TAG(TAG_CLIENT, 0, slot) };
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) close_client(slot);
  return 1;
}

/* Takes every connection queued on the listener: whether there was one. */
static int accept_queued(int listener)
{
  int any = 0;
  while (accept_client(listener)) any = 1;
  return any;
}

/* The member whose MAC is MAC, or -1. */
static int member_with_mac(const unsigned char *mac)
{
  for (int i = 0; i < MAX_MEMBERS; i++)
    if (members[i].used && memcmp(members[i].mac, mac, 6) == 0) return i;
  return -1;
}

/*
 * Whether FROM may send this frame: its source MAC is its own, and an ARP frame
 * (Ethernet/IPv4) names its own MAC and address as the sender.
 */
static int frame_allowed(int from, const unsigned char *data, size_t length)
{
  const struct member *sender = &members[from];
  if (memcmp(data + 6, sender->mac, 6) != 0) return 0;
  if (data[12] == 0x08 && data[13] == 0x06) {
    /* ARP after the 14-byte header: htype 2, ptype 2, hlen 1, plen 1, op 2, sender MAC 6, sender IP 4. */
    if (length < 14 + 28) return 0;
    const unsigned char *arp = data + 14;
    if (arp[4] != 6 || arp[5] != 4) return 0;
    if (memcmp(arp + 8, sender->mac, 6) != 0 || memcmp(arp + 14, &sender->ip.s_addr, 4) != 0) return 0;
  }
  return 1;
}

/* A full tap queue drops the frame, as a switch port does; TCP resends. */
static void send_to(int member, const unsigned char *data, size_t length)
{
  ssize_t ignored = write(members[member].tap, data, length);
  (void)ignored;
}

static void forward(int from)
{
  for (int burst = 0; burst < 64; burst++) {
    ssize_t got = read(members[from].tap, frame, sizeof(frame));
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      drop_member(from, 0);
      return;
    }
    if (got < 14 || !frame_allowed(from, frame, (size_t)got)) continue;
    if (!(frame[0] & 1)) {
      /* Unicast: to the member with that MAC only; to no one when none has it. */
      int to = member_with_mac(frame);
      if (to >= 0 && to != from) send_to(to, frame, (size_t)got);
      continue;
    }
    for (int i = 0; i < MAX_MEMBERS; i++)
      if (members[i].used && i != from) send_to(i, frame, (size_t)got);
  }
}

/* Listens on switch.sock (one left by a switch that was killed is replaced: the lock says none runs); the socket, or -1. */
static int open_listener(void)
{
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  strcpy(address.sun_path, "switch.sock");
  unlink("switch.sock");
  /* Security: only the user reaches the socket (it hands taps into containers' namespaces). */
  mode_t old_mask = umask(0077);
  int failed = listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(listener, 64) != 0;
  umask(old_mask);
  struct epoll_event listen_event = { .events = EPOLLIN, .data.u64 = TAG(TAG_LISTEN, 0, 0) };
  if (failed || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &listen_event) != 0) {
    note("cannot listen on switch.sock: %s", strerror(errno));
    if (listener >= 0) close(listener);
    return -1;
  }
  return listener;
}

static int clients_open(void)
{
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (clients[i].fd >= 0) return 1;
  return 0;
}

static int hosts_pending(void)
{
  for (int i = 0; i < MAX_MEMBERS; i++)
    if (members[i].used && members[i].hosts_pending) return 1;
  return 0;
}

int main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: burrow-switch DIR NAME\n");
    return 2;
  }
  network_name = argv[2];
  signal(SIGPIPE, SIG_IGN);
  if (chdir(argv[1]) != 0) {
    note("cannot enter the network's directory: %s", strerror(errno));
    return 1;
  }
  int lock = open("switch.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) {
    note("cannot open switch.lock: %s", strerror(errno));
    return 1;
  }
  /* Another switch of this network runs: it serves the members. */
  if (flock(lock, LOCK_EX | LOCK_NB) != 0) return 0;

  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < MAX_CLIENTS; i++) clients[i].fd = -1;
  for (int i = 0; i < MAX_KEEPERS; i++) keepers[i] = -1;
  int listener = open_listener();
  if (listener < 0) return 1;

  long long last_activity = now_ms();
  /* Idle: the socket is gone and what was queued on it is served until this time (0: not closing). */
  long long closing_until = 0;
  long long next_retry = 0;
  for (;;) {
    long long now = now_ms();
    if (closing_until != 0 && ((!accept_queued(listener) && !clients_open()) || now >= closing_until)) {
      /* A queued request brought a member (or its keeper): listen again, the lock is still ours. */
      if (busy_count() == 0) break;
      close(listener);
      listener = open_listener();
      if (listener < 0) return 1;
      closing_until = 0;
      last_activity = now;
    }
    int timeout = -1;
    if (closing_until != 0) {
      timeout = (int)(closing_until - now);
    } else if (busy_count() == 0) {
      long long left = last_activity + IDLE_MS - now;
      if (left <= 0) {
        /*
         * The socket goes first, so no new connection can come; those the kernel
         * had queued are still accepted and answered (a start racing this exit
         * would otherwise lose its request).
         */
        unlink("switch.sock");
        closing_until = now + CLOSING_MS;
        accept_queued(listener);
        continue;
      }
      timeout = (int)left;
    }
    if (hosts_pending()) {
      if (now >= next_retry) {
        for (int i = 0; i < MAX_MEMBERS; i++)
          if (members[i].used && members[i].hosts_pending) write_hosts(i, members[i].hosts_pending - 1);
        next_retry = now + RETRY_MS;
      }
      if (hosts_pending() && (timeout < 0 || timeout > next_retry - now)) timeout = (int)(next_retry - now);
    }
    struct epoll_event events[64];
    int ready = epoll_wait(epoll_fd, events, 64, timeout);
    if (ready < 0 && errno != EINTR) {
      note("epoll_wait: %s", strerror(errno));
      break;
    }
    for (int i = 0; i < ready; i++) {
      uint32_t kind = (uint32_t)(events[i].data.u64 >> 56);
      uint32_t generation = (uint32_t)(events[i].data.u64 >> 32) & 0xffffff;
      int index = (int)(uint32_t)events[i].data.u64;
      int current = 1;
      if (kind == TAG_TAP || kind == TAG_PIDFD) current = members[index].used && (members[index].generation & 0xffffff) == generation;
      if (kind == TAG_KEEPER) current = keepers[index] >= 0 && (keeper_generation[index] & 0xffffff) == generation;
      switch (kind) {
      case TAG_LISTEN:
        accept_client(listener);
        last_activity = now_ms();
        break;
      case TAG_CLIENT:
        if (clients[index].fd >= 0) read_client(index);
        last_activity = now_ms();
        break;
      case TAG_TAP:
        if (current) forward(index);
        break;
      case TAG_PIDFD:
        if (current) drop_member(index, 0);
        last_activity = now_ms();
        break;
      case TAG_KEEPER:
        if (current) drop_keeper(index);
        last_activity = now_ms();
        break;
      }
    }
  }
  /* The socket is gone already (closing); the lock goes with the process. */
  close(listener);
  return 0;
}
