/*
 * bench/netperf.c: TCP throughput and connection latency, for bench/net.sh.
 * Built static (gcc -O2 -static) so the same binary runs on the host and,
 * bind-mounted, inside any container image (busybox has neither iperf nor a
 * client that measures).
 *
 *   netperf server PORT             accept forever; per connection the first byte
 *                                   says what: 'T' sink (read to EOF), 'L' echo
 *   netperf tput HOST PORT SECONDS  one connection, send for SECONDS; prints Gbit/s
 *   netperf connlat HOST PORT N     N times: connect, 1-byte round trip, close;
 *                                   prints the median in microseconds
 *
 * HOST is an IPv4 address or a name from /etc/hosts.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUFFER (128 * 1024)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An IPv4 address, or a name looked up in /etc/hosts (a static binary has no NSS modules in a container). */
static struct in_addr address_of(const char *host) {
  struct in_addr address;
  if (inet_pton(AF_INET, host, &address) == 1) return address;
  FILE *hosts = fopen("/etc/hosts", "r");
  char line[512];
  while (hosts != NULL && fgets(line, sizeof line, hosts) != NULL) {
    char *save = NULL, *first = strtok_r(line, " \t\n", &save);
    if (first == NULL || first[0] == '#' || inet_pton(AF_INET, first, &address) != 1) continue;
    for (char *name = strtok_r(NULL, " \t\n", &save); name != NULL; name = strtok_r(NULL, " \t\n", &save)) {
      if (strcmp(name, host) == 0) {
        fclose(hosts);
        return address;
      }
    }
  }
  fprintf(stderr, "netperf: %s: not an IPv4 address nor in /etc/hosts\n", host);
  exit(1);
}

static int connect_to(const char *host, const char *port) {
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port)), .sin_addr = address_of(host)};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    fprintf(stderr, "netperf: connect %s:%s: %s\n", host, port, strerror(errno));
    exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void serve(int fd) {
  char kind;
  if (read(fd, &kind, 1) != 1) return;
  if (kind == 'T') {
    static char buffer[BUFFER];
    while (read(fd, buffer, sizeof buffer) > 0) {
    }
  } else {
    char byte;
    while (read(fd, &byte, 1) == 1) {
      if (write(fd, &byte, 1) != 1) return;
    }
  }
}

static int server(const char *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port)), .sin_addr = {htonl(INADDR_ANY)}};
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 128) != 0) {
    fprintf(stderr, "netperf: listen on %s: %s\n", port, strerror(errno));
    return 1;
  }
  signal(SIGCHLD, SIG_IGN);
  fprintf(stderr, "netperf: listening on %s\n", port);
  for (;;) {
    int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (client < 0) continue;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fork() == 0) {
      serve(client);
      _exit(0);
    }
    close(client);
  }
}

static int throughput(const char *host, const char *port, double seconds) {
  static char buffer[BUFFER];
  memset(buffer, 'x', sizeof buffer);
  int fd = connect_to(host, port);
  if (write(fd, "T", 1) != 1) return 1;
  double started = now(), sent = 0;
  while (now() - started < seconds) {
    ssize_t n = write(fd, buffer, sizeof buffer);
    if (n <= 0) {
      fprintf(stderr, "netperf: send: %s\n", strerror(errno));
      return 1;
    }
    sent += (double)n;
  }
  shutdown(fd, SHUT_WR);
  char drain[64];
  while (read(fd, drain, sizeof drain) > 0) {
  }
  double elapsed = now() - started;
  printf("%.3f\n", sent * 8 / elapsed / 1e9);
  return 0;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int connection_latency(const char *host, const char *port, int count) {
  double *samples = calloc((size_t)count, sizeof *samples);
  for (int i = 0; i < count; i++) {
    double started = now();
    int fd = connect_to(host, port);
    char byte = 'L';
    if (write(fd, &byte, 1) != 1 || write(fd, &byte, 1) != 1 || read(fd, &byte, 1) != 1) {
      fprintf(stderr, "netperf: round trip: %s\n", strerror(errno));
      return 1;
    }
    close(fd);
    samples[i] = (now() - started) * 1e6;
  }
  qsort(samples, (size_t)count, sizeof *samples, compare);
  printf("%.0f\n", samples[count / 2]);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc == 3 && strcmp(argv[1], "server") == 0) return server(argv[2]);
  if (argc == 5 && strcmp(argv[1], "tput") == 0) return throughput(argv[2], argv[3], atof(argv[4]));
  if (argc == 5 && strcmp(argv[1], "connlat") == 0) return connection_latency(argv[2], argv[3], atoi(argv[4]));
  fprintf(stderr, "usage: netperf server PORT | tput HOST PORT SECONDS | connlat HOST PORT N\n");
  return 2;
}
