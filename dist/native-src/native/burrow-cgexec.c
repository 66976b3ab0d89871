/*
 * burrow-cgexec: puts itself into a container's cgroups, then execs the container's
 * launcher, so that nothing of the container runs before its limits apply.
 *
 *   burrow-cgexec [--systemd UNIT SUBPATH] [--procs FILE]... -- CMD ARGS...
 *   burrow-cgexec --hold
 *
 * For each FILE (a cgroup.procs, v2 or v1) it writes "0": the kernel moves the
 * writing process. With --systemd, when those writes are refused (the job sits in
 * a cgroup the user cannot write, as on GitHub-hosted runners), it asks the user's
 * systemd manager instead: AttachProcessesToUnit(UNIT, SUBPATH, [PID]), which has
 * PID 1 move it. That call goes straight from here through libsystemd's sd-bus,
 * loaded only then (dlopen: the binary needs no libsystemd to start, nor its
 * headers to build), to the manager's own socket `systemd/private` under the
 * runtime dir, else the user bus; a fork+exec of busctl costs several times the
 * call itself. Where libsystemd cannot be loaded it runs `busctl --user call …`.
 * Then it checks that its pid is listed in every FILE, and execs CMD. `--hold`
 * only waits, forever: the process of the systemd unit that holds the containers'
 * cgroups (src/cgroup/systemd-user.ts).
 *
 * Any failure prints `burrow-why <cgroup, reason>` and `{"burrow-error":"cgroup"}`
 * on fd 3 when it is open (the launcher's info channel, src/rootfs/shell.ts) and
 * the reason on stderr, and exits 125.
 * Security: a container whose move failed must not run at all. Run unlimited, a
 * fork bomb or a runaway allocation in a CI job would take the whole runner down;
 * the check after the move also catches a move reported done that left this
 * process elsewhere.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PROCS 16

static void fail(const char *what, const char *reason)
{
  if (fcntl(3, F_GETFD) != -1)
    dprintf(3, "burrow-why cannot enter the container's cgroup %s: %s\n{\"burrow-error\":\"cgroup\"}\n", what, reason);
  fprintf(stderr, "burrow-cgexec: cannot enter the container's cgroup %s: %s\n", what, reason);
  exit(125);
}

/* Writes "0" to a cgroup.procs: moves this process. Returns 0 or an errno. */
static int enter(const char *procs)
{
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int error = write(fd, "0", 1) == 1 ? 0 : errno;
  close(fd);
  return error;
}

/* Whether this process's pid is a line of the cgroup.procs file. */
static int listed(const char *procs)
{
  FILE *file = fopen(procs, "re");
  if (file == NULL) return 0;
  char line[32];
  long self = (long) getpid();
  int found = 0;
  while (!found && fgets(line, sizeof line, file) != NULL) found = strtol(line, NULL, 10) == self;
  fclose(file);
  return found;
}

/* The user manager's runtime dir: XDG_RUNTIME_DIR, which a CI job may not have set. */
static void runtime_dir(char *out, size_t size)
{
  const char *set = getenv("XDG_RUNTIME_DIR");
  if (set != NULL && set[0] != '\0') snprintf(out, size, "%s", set);
  else snprintf(out, size, "/run/user/%u", (unsigned) getuid());
}

/* Fails the move through the user manager with REASON. */
static void attach_failed(const char *unit, const char *subpath, const char *reason)
{
  char what[512];
  snprintf(what, sizeof what, "%s%s through the systemd user manager", unit, subpath);
  fail(what, reason);
}

/*
 * The few sd-bus calls used, declared here (libsystemd's ABI, stable since 221) so
 * that no libsystemd-dev is needed to build.
 */
typedef struct sd_bus sd_bus;
typedef struct sd_bus_message sd_bus_message;
typedef struct {
  const char *name;
  const char *message;
  int _need_free;
} sd_bus_error;

struct sd_bus_api {
  int (*new_bus)(sd_bus **bus);
  int (*set_address)(sd_bus *bus, const char *address);
  int (*set_bus_client)(sd_bus *bus, int client);
  int (*start)(sd_bus *bus);
  int (*call_method)(sd_bus *bus, const char *destination, const char *path, const char *interface,
                     const char *member, sd_bus_error *error, sd_bus_message **reply, const char *types, ...);
  void (*error_free)(sd_bus_error *error);
  sd_bus *(*flush_close_unref)(sd_bus *bus);
};

/* Loads libsystemd's sd-bus; 0 where it cannot be had (then busctl does the call). */
static int load_sd_bus(struct sd_bus_api *api)
{
  void *lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) return 0;
  *(void **) &api->new_bus = dlsym(lib, "sd_bus_new");
  *(void **) &api->set_address = dlsym(lib, "sd_bus_set_address");
  *(void **) &api->set_bus_client = dlsym(lib, "sd_bus_set_bus_client");
  *(void **) &api->start = dlsym(lib, "sd_bus_start");
  *(void **) &api->call_method = dlsym(lib, "sd_bus_call_method");
  *(void **) &api->error_free = dlsym(lib, "sd_bus_error_free");
  *(void **) &api->flush_close_unref = dlsym(lib, "sd_bus_flush_close_unref");
  return api->new_bus != NULL && api->set_address != NULL && api->set_bus_client != NULL && api->start != NULL
         && api->call_method != NULL && api->error_free != NULL && api->flush_close_unref != NULL;
}

/* "unix:path=PATH" with PATH escaped as D-Bus addresses want (%XX but for a few safe bytes). */
static void unix_address(char *out, size_t size, const char *path)
{
  size_t used = (size_t) snprintf(out, size, "unix:path=");
  for (const unsigned char *c = (const unsigned char *) path; *c != '\0' && used + 4 < size; c++) {
    if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || strchr("-_/.\\*", *c) != NULL)
      out[used++] = (char) *c;
    else used += (size_t) snprintf(out + used, size - used, "%%%02x", *c);
  }
  out[used] = '\0';
}

/* Connects to ADDRESS (as a bus client: Hello first, when CLIENT); a negative errno on failure. */
static int connect_bus(const struct sd_bus_api *api, const char *address, int client, sd_bus **out)
{
  sd_bus *bus = NULL;
  int r = api->new_bus(&bus);
  if (r < 0) return r;
  if ((r = api->set_address(bus, address)) >= 0 && (r = api->set_bus_client(bus, client)) >= 0 && (r = api->start(bus)) >= 0) {
    *out = bus;
    return 0;
  }
  api->flush_close_unref(bus);
  return r;
}

/*
 * The move through sd-bus. The manager's private socket first: a direct line to
 * the manager (what systemctl --user uses), no bus daemon in between and no Hello;
 * then the session bus (DBUS_SESSION_BUS_ADDRESS, else the runtime dir's `bus`).
 */
static void attach_sd_bus(const struct sd_bus_api *api, const char *unit, const char *subpath)
{
  char runtime[256], path[300], address[1024];
  runtime_dir(runtime, sizeof runtime);
  sd_bus *bus = NULL;
  snprintf(path, sizeof path, "%s/systemd/private", runtime);
  unix_address(address, sizeof address, path);
  int r = connect_bus(api, address, 0, &bus);
  if (r < 0) {
    const char *session = getenv("DBUS_SESSION_BUS_ADDRESS");
    if (session != NULL && session[0] != '\0') snprintf(address, sizeof address, "%s", session);
    else {
      snprintf(path, sizeof path, "%s/bus", runtime);
      unix_address(address, sizeof address, path);
    }
    r = connect_bus(api, address, 1, &bus);
  }
  char reason[1200];
  if (r < 0) {
    snprintf(reason, sizeof reason, "cannot connect to %s: %s", address, strerror(-r));
    attach_failed(unit, subpath, reason);
  }
  sd_bus_error error = { NULL, NULL, 0 };
  r = api->call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                       "AttachProcessesToUnit", &error, NULL, "ssau", unit, subpath, 1u, (uint32_t) getpid());
  if (r < 0) snprintf(reason, sizeof reason, "%s", error.message != NULL ? error.message : strerror(-r));
  api->error_free(&error);
  api->flush_close_unref(bus);
  if (r < 0) attach_failed(unit, subpath, reason);
}

/* The same call through `busctl --user`, where libsystemd cannot be loaded. */
static void attach_busctl(const char *unit, const char *subpath)
{
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) fail(unit, strerror(errno));
  char pid[24], runtime[256];
  snprintf(pid, sizeof pid, "%ld", (long) getpid());
  pid_t child = fork();
  if (child < 0) fail(unit, strerror(errno));
  if (child == 0) {
    /* busctl --user finds the bus under XDG_RUNTIME_DIR, which a CI job may not have set. */
    runtime_dir(runtime, sizeof runtime);
    setenv("XDG_RUNTIME_DIR", runtime, 1);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(null, 0);
    dup2(null, 1);
    dup2(err[1], 2);
    close_range(3, ~0U, 0); /* not the info channel, nor anything else of the container's */
    execlp("busctl", "busctl", "--user", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
           "org.freedesktop.systemd1.Manager", "AttachProcessesToUnit", "ssau", unit, subpath, "1", pid, (char *) NULL);
    dprintf(2, "cannot run busctl: %s\n", strerror(errno));
    _exit(127);
  }
  close(err[1]);
  char message[512];
  size_t used = 0;
  ssize_t n;
  while (used < sizeof message - 1 && ((n = read(err[0], message + used, sizeof message - 1 - used)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0) used += (size_t) n;
  message[used] = '\0';
  close(err[0]);
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  char *newline = strchr(message, '\n');
  if (newline != NULL) *newline = '\0';
  attach_failed(unit, subpath, message[0] != '\0' ? message : "busctl failed");
}

/* Has the user's systemd manager move this process into UNIT's cgroup at SUBPATH. */
static void attach(const char *unit, const char *subpath)
{
  struct sd_bus_api api;
  if (load_sd_bus(&api)) {
    attach_sd_bus(&api, unit, subpath);
    return;
  }
  attach_busctl(unit, subpath);
}

int main(int argc, char **argv)
{
  const char *unit = NULL, *subpath = NULL;
  const char *procs[MAX_PROCS];
  int count = 0;
  int i = 1;
  if (argc == 2 && strcmp(argv[1], "--hold") == 0) {
    /* The holding unit's process: nothing to do but be there (SIGTERM ends it). */
    for (;;) pause();
  }
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "--systemd") == 0 && i + 2 < argc) { unit = argv[++i]; subpath = argv[++i]; }
    else if (strcmp(argv[i], "--procs") == 0 && i + 1 < argc && count < MAX_PROCS) procs[count++] = argv[++i];
    else { fprintf(stderr, "usage: burrow-cgexec [--systemd UNIT SUBPATH] [--procs FILE]... -- CMD ARGS...\n"); return 125; }
  }
  if (i + 1 >= argc) { fprintf(stderr, "burrow-cgexec: no command after --\n"); return 125; }
  if (count == 0 && unit == NULL) fail("(none given)", "no --procs and no --systemd");

  int refused = 0;
  for (int p = 0; p < count && !refused; p++) {
    int error = enter(procs[p]);
    if (error == 0) continue;
    /* A cgroup the user cannot write into directly: the user manager can, where there is one. */
    if (unit != NULL && (error == EACCES || error == EPERM || error == ENOENT)) refused = 1;
    else fail(procs[p], strerror(error));
  }
  if (unit != NULL && (refused || count == 0)) attach(unit, subpath);
  for (int p = 0; p < count; p++)
    if (!listed(procs[p])) fail(procs[p], "this process is not in it after the move");

  execvp(argv[i + 1], &argv[i + 1]);
  fprintf(stderr, "burrow-cgexec: cannot run %s: %s\n", argv[i + 1], strerror(errno));
  return 127;
}
