/*
 * burrow-netattach: connects a running container to a user-defined network.
 *
 *   burrow-netattach --target PID FILE
 *
 * FILE (written by burrow, src/network/attach.ts) holds key=value lines:
 *   socket=<store>/networks/<id>/switch.sock   the network's switch (burrow-switch.c)
 *   ifname=eth1  address=10.89.0.2  prefix=24  mac=02:42:0a:59:00:02
 *   container=ID  name=NAME  aliases=A B  hosts=<the container's hosts file>
 * It connects to the switch first (in the host's namespaces), then joins PID's
 * network namespace and the user namespace that owns it (so this gets
 * CAP_NET_ADMIN there and nowhere else), makes the tap device IFNAME there
 * (/dev/net/tun, IFF_TAP, no packet information) and sets its MAC, address,
 * netmask and MTU and brings it up with ioctls (no `ip` binary in the path), then
 * sends the switch the tap's fd, a pidfd of PID and one of PID's parent (its
 * keeper, see burrow-switch.c) (SCM_RIGHTS) with FILE's text
 * and waits for its "ok" (at most SWITCH_TIMEOUT_S). The tap lives on in the
 * switch; this process exits 0. Any failure: one line on stderr, exit 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/nsfs.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "attach-text.h"

#define TAP_MTU 65520
#define MAX_TEXT 8000
/* How long the switch may take to answer (it answers at once when it runs). */
#define SWITCH_TIMEOUT_S 10

static const char *target_text = "";

static void fail(const char *format, ...)
{
  va_list args;
  va_start(args, format);
  fprintf(stderr, "burrow-netattach: cannot connect container %s to its network: ", target_text);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

/* PID's parent from /proc/PID/stat (after the command name, which may hold spaces and parentheses), or -1. */
static long parent_of(long pid)
{
  char path[64], text[1024];
  snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
  FILE *file = fopen(path, "re");
  if (file == NULL) return -1;
  size_t length = fread(text, 1, sizeof(text) - 1, file);
  fclose(file);
  text[length] = 0;
  char *end = strrchr(text, ')');
  long parent;
  char state;
  if (end == NULL || sscanf(end + 1, " %c %ld", &state, &parent) != 2) return -1;
  return parent;
}

/* Connects to the switch's socket; a long path is reached from its directory (sun_path holds 108 bytes). */
static int connect_switch(const char *path)
{
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket: %s", strerror(errno));
  /* A switch that is stuck (or not a switch) must not hold the container's start: connect, send and the answer time out. */
  struct timeval timeout = { .tv_sec = SWITCH_TIMEOUT_S };
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) != 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) != 0)
    fail("setting the switch's timeout: %s", strerror(errno));
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  const char *slash = strrchr(path, '/');
  if (strlen(path) >= sizeof(address.sun_path) && slash != NULL) {
    char directory[4096];
    snprintf(directory, sizeof(directory), "%.*s", (int)(slash - path), path);
    if (chdir(directory) != 0) fail("cannot enter %s: %s", directory, strerror(errno));
    path = slash + 1;
  }
  if (strlen(path) >= sizeof(address.sun_path)) fail("the switch's socket path is too long: %s", path);
  strcpy(address.sun_path, path);
  if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0)
    fail("the network's switch is not running (%s: %s): start the container again (or run network connect again)", path, strerror(errno));
  if (chdir("/") != 0) fail("chdir /: %s", strerror(errno));
  return fd;
}

/*
 * Joins PID's network namespace and, first, the user namespace that owns it
 * (NS_GET_USERNS): capabilities there are what the tap's ioctls need, and PID's
 * own user namespace may be a nested one without them.
 */
static void join_network_of(long pid, int pidfd)
{
  char path[64];
  snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
  int net = open(path, O_RDONLY | O_CLOEXEC);
  if (net < 0) fail("%s: %s", path, strerror(errno));
  int owner = ioctl(net, NS_GET_USERNS);
  if (owner < 0) fail("the owner of %s: %s", path, strerror(errno));
  /*
   * Security: /proc/PID is looked up by number. The pidfd was opened first, so if
   * it still names a live process, the namespace opened above is that process's,
   * not one of a process that took the number after it ended.
   */
  if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) != 0) fail("the container's process %ld ended", pid);
  struct stat theirs, ours;
  /* Already there (setns into one's own user namespace is EINVAL). */
  int same = fstat(owner, &theirs) == 0 && stat("/proc/self/ns/user", &ours) == 0 && ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev;
  /* Security: in the container's user namespace, nothing there may ptrace this process or open its /proc files (as runc does). */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail("prctl: %s", strerror(errno));
  if (!same && setns(owner, CLONE_NEWUSER) != 0) fail("cannot join the user namespace of %ld: %s", pid, strerror(errno));
  if (setns(net, CLONE_NEWNET) != 0) fail("cannot join the network namespace of %ld: %s", pid, strerror(errno));
  close(owner);
  close(net);
}

static void set_address(int sock, const char *ifname, unsigned long request, const char *name, struct in_addr value)
{
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
  struct sockaddr_in *in = (struct sockaddr_in *)&ifr.ifr_addr;
  in->sin_family = AF_INET;
  in->sin_addr = value;
  if (ioctl(sock, request, &ifr) != 0) fail("setting the %s of %s: %s", name, ifname, strerror(errno));
}

int main(int argc, char **argv)
{
  if (argc != 4 || strcmp(argv[1], "--target") != 0) {
    fprintf(stderr, "usage: burrow-netattach --target PID FILE\n");
    return 1;
  }
  char *end;
  long pid = strtol(argv[2], &end, 10);
  if (*end != 0 || pid <= 0) {
    fprintf(stderr, "burrow-netattach: not a pid: %s\n", argv[2]);
    return 1;
  }
  static char text[MAX_TEXT];
  FILE *file = fopen(argv[3], "re");
  if (file == NULL) {
    fprintf(stderr, "burrow-netattach: cannot read %s: %s\n", argv[3], strerror(errno));
    return 1;
  }
  size_t length = fread(text, 1, sizeof(text) - 1, file);
  fclose(file);
  text[length] = 0;

  char socket_path[4096], ifname[IFNAMSIZ + 8], address_text[64], prefix_text[8], mac_text[32], container[80];
  field(text, "socket", socket_path, sizeof(socket_path));
  field(text, "ifname", ifname, sizeof(ifname));
  field(text, "address", address_text, sizeof(address_text));
  field(text, "prefix", prefix_text, sizeof(prefix_text));
  field(text, "mac", mac_text, sizeof(mac_text));
  field(text, "container", container, sizeof(container));
  target_text = container[0] ? container : argv[2];
  struct in_addr address;
  unsigned char mac[6];
  int prefix = atoi(prefix_text);
  if (socket_path[0] == 0) fail("%s names no switch socket", argv[3]);
  if (ifname[0] == 0 || strlen(ifname) >= IFNAMSIZ) fail("%s names no valid interface", argv[3]);
  if (inet_pton(AF_INET, address_text, &address) != 1) fail("not an IPv4 address: %s", address_text);
  if (prefix < 1 || prefix > 30) fail("not a prefix length: %s", prefix_text);
  if (parse_mac(mac_text, mac) != 0) fail("not a MAC address: %s", mac_text);

  /* The pidfd first: the switch drops the tap when this process ends, even if PID ends while we work. */
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0) fail("the container's process %ld: %s", pid, strerror(errno));
  int switch_fd = connect_switch(socket_path);

  join_network_of(pid, pidfd);

  int tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (tap < 0) fail("/dev/net/tun: %s (as root: chmod 0666 /dev/net/tun)", strerror(errno));
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
  if (ioctl(tap, TUNSETIFF, &ifr) != 0) fail("making the tap %s: %s", ifname, strerror(errno));
  /* A name with %d (`network connect`: the lowest free ethN) is the kernel's choice from here on. */
  snprintf(ifname, sizeof(ifname), "%s", ifr.ifr_name);

  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) fail("socket: %s", strerror(errno));
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
  if (ioctl(sock, SIOCSIFHWADDR, &ifr) != 0) fail("setting the MAC of %s: %s", ifname, strerror(errno));
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
  ifr.ifr_mtu = TAP_MTU;
  if (ioctl(sock, SIOCSIFMTU, &ifr) != 0) fail("setting the MTU of %s: %s", ifname, strerror(errno));
  set_address(sock, ifname, SIOCSIFADDR, "address", address);
  struct in_addr mask = { .s_addr = htonl(prefix == 0 ? 0 : 0xffffffffu << (32 - prefix)) };
  set_address(sock, ifname, SIOCSIFNETMASK, "netmask", mask);
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) fail("reading the flags of %s: %s", ifname, strerror(errno));
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) fail("bringing %s up: %s", ifname, strerror(errno));
  close(sock);

  /* The keeper: PID's parent (its burrow-monitor, which may start it again), watched by the switch after PID ends. */
  int keeper = -1;
  long parent = parent_of(pid);
  if (parent > 1) keeper = (int)syscall(SYS_pidfd_open, (pid_t)parent, 0);
  /* PID alive with the same parent after the pidfd was opened: the pidfd is that parent's, not a process that took its number. */
  if (keeper >= 0 && (parent_of(pid) != parent || syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) != 0)) {
    close(keeper);
    keeper = -1;
  }
  int fds[3] = { tap, pidfd, keeper };
  int nfds = keeper >= 0 ? 3 : 2;
  union {
    struct cmsghdr header;
    char space[CMSG_SPACE(sizeof(int) * 3)];
  } control;
  memset(&control, 0, sizeof(control));
  struct iovec iov = { .iov_base = text, .iov_len = length + 1 }; /* with its NUL: the end of the request */
  struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof(control.space) };
  struct cmsghdr *header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
  memcpy(CMSG_DATA(header), fds, sizeof(int) * nfds);
  message.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
  if (sendmsg(switch_fd, &message, MSG_NOSIGNAL) != (ssize_t)(length + 1)) fail("sending the tap to the switch: %s", strerror(errno));
  char answer[512];
  ssize_t got = read(switch_fd, answer, sizeof(answer) - 1);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) fail("the network's switch did not answer in %d s (its log: switch.log beside %s)", SWITCH_TIMEOUT_S, socket_path);
  if (got <= 0) fail("the switch closed the connection without an answer");
  answer[got] = 0;
  answer[strcspn(answer, "\n")] = 0;
  if (strcmp(answer, "ok") != 0) fail("the switch refused: %s", strncmp(answer, "error ", 6) == 0 ? answer + 6 : answer);
  return 0;
}
