import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { IKoffiLib } from 'koffi';

/**
 * burrow's one binding to the C library, through koffi: what Node has no call for
 * (flock, openpty, chroot, mount, the xattr calls, the *at calls, openat2, pidfds,
 * posix_spawn).
 * Every module that needs libc takes its functions from here, each typed once.
 *
 * Loaded lazily, once: importing this module loads nothing; koffi and libc.so.6 load
 * at the first call of any function below (or at `preloadLibc`), and each function is
 * declared at its own first call: a path that calls none of these never pays koffi's
 * load (a warm run pays it once, for posix_spawn, where it saves more). A worker
 * that chroots has loaded both by then (its chroot is a call here): a function first
 * called inside the new root is only looked up in the libc already open.
 *
 * errno is read one way, `errno()` (koffi's own reader of the thread's errno), right
 * after the call that failed and before any other call into C, which could change it.
 */

/** The parts of koffi used here (its native module has them all). */
type Koffi = Pick<typeof import('koffi'), 'load' | 'errno' | 'struct' | 'pointer' | 'sizeof'>;

let loaded: { koffi: Koffi; lib: IKoffiLib } | undefined;

/**
 * koffi's native module, loaded without the package's index where the layout is the
 * one known: the index bundles its installer's tools, which load node:https (with
 * tls and http) and node:zlib, none of which a cold run needs otherwise: 15-20 ms of
 * CPU against 3-4 ms for the native module alone. Elsewhere (another architecture,
 * musl, another koffi layout or version), the package itself.
 */
function loadKoffi(): Koffi {
  const require = createRequire(import.meta.url);
  const arch = process.arch === 'x64' || process.arch === 'arm64' ? process.arch : undefined;
  if (process.platform === 'linux' && arch !== undefined) {
    try {
      const packageDir = dirname(require.resolve('koffi/package.json'));
      const { version } = require(join(packageDir, 'package.json')) as { version: string };
      const native = require(join(packageDir, 'build', 'koffi', `linux_${arch}`, 'koffi.node')) as Koffi & { version?: string };
      // The check koffi's index makes: a native module of another version may not match its API.
      if (native.version === version) return native;
    } catch {
      // Not this layout (or a musl system): the package's own loader finds what fits.
    }
  }
  return require('koffi') as typeof import('koffi');
}

function libc(): { koffi: Koffi; lib: IKoffiLib } {
  if (loaded === undefined) {
    const koffi = loadKoffi();
    loaded = { koffi, lib: koffi.load('libc.so.6') };
  }
  return loaded;
}

/**
 * Loads koffi and libc now, for a caller that has a moment to spare (a request in
 * flight) and calls into libc soon. Throws what the load threw.
 */
export function preloadLibc(): void {
  libc();
}

/** `bind`'s function, declared at its first use and kept. */
function lazily<F>(bind: (lib: IKoffiLib, koffi: Koffi) => F): () => F {
  let bound: F | undefined;
  return () => {
    if (bound === undefined) {
      const { lib, koffi } = libc();
      bound = bind(lib, koffi);
    }
    return bound;
  };
}

/** The calling thread's errno, as the last failed call into libc left it. */
export function errno(): number {
  return libc().koffi.errno();
}

// --- locks and memory --------------------------------------------------------

const flockFn = lazily((lib) => lib.func('int flock(int fd, int operation)') as (fd: number, operation: number) => number);
export function flock(fd: number, operation: number): number {
  return flockFn()(fd, operation);
}

const mallocTrimFn = lazily((lib) => lib.func('int malloc_trim(size_t pad)') as (pad: number) => number);
export function mallocTrim(pad: number): number {
  return mallocTrimFn()(pad);
}

// --- processes ---------------------------------------------------------------

/*
 * posix_spawn(3) and what it takes. glibc's opaque types go in Buffers larger than
 * they are (posix_spawnattr_t is 336 bytes on x86_64, posix_spawn_file_actions_t 80,
 * sigset_t 128), initialised and destroyed by glibc's own calls.
 */
export const SPAWN_OPAQUE_BYTES = 1024;
const spawnCalls = lazily((lib) => ({
  spawn: lib.func('int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attributes, const char **argv, const char **envp)') as (pid: number[], path: string, actions: Buffer, attributes: Buffer, argv: Array<string | null>, envp: Array<string | null>) => number,
  actionsInit: lib.func('int posix_spawn_file_actions_init(void *actions)') as (actions: Buffer) => number,
  actionsDestroy: lib.func('int posix_spawn_file_actions_destroy(void *actions)') as (actions: Buffer) => number,
  addDup2: lib.func('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)') as (actions: Buffer, fd: number, newFd: number) => number,
  addOpen: lib.func('int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int flags, uint32_t mode)') as (actions: Buffer, fd: number, path: string, flags: number, mode: number) => number,
  attrInit: lib.func('int posix_spawnattr_init(void *attributes)') as (attributes: Buffer) => number,
  attrDestroy: lib.func('int posix_spawnattr_destroy(void *attributes)') as (attributes: Buffer) => number,
  attrSetFlags: lib.func('int posix_spawnattr_setflags(void *attributes, short flags)') as (attributes: Buffer, flags: number) => number,
  attrSetSigDefault: lib.func('int posix_spawnattr_setsigdefault(void *attributes, const void *set)') as (attributes: Buffer, set: Buffer) => number,
  attrSetSigMask: lib.func('int posix_spawnattr_setsigmask(void *attributes, const void *set)') as (attributes: Buffer, set: Buffer) => number,
  pipe2: lib.func('int pipe2(void *fds, int flags)') as (fds: Buffer, flags: number) => number,
  waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)') as (pid: number, status: number[], options: number) => number,
}));
/** posix_spawn's calls, bound at the first use. */
export function spawnLibc(): ReturnType<typeof spawnCalls> {
  return spawnCalls();
}

// Through syscall(2): glibc has wrappers only since 2.36 (Ubuntu 22.04 has 2.35).
// The numbers are the same on x86_64 and aarch64 (the common table since Linux 5.1).
const SYS_PIDFD_SEND_SIGNAL = 424;
const SYS_PIDFD_OPEN = 434;
const variadicSyscall = lazily((lib) => lib.func('long syscall(long number, ...)') as (...args: unknown[]) => number | bigint);

/** pidfd_open(2): a descriptor that names process `pid` for as long as it is open; -1 on failure. */
export function pidfdOpen(pid: number, flags: number): number {
  return Number(variadicSyscall()(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', flags));
}

/** pidfd_send_signal(2) with no siginfo and no flags: 0, or -1 on failure. */
export function pidfdSendSignal(fd: number, signal: number): number {
  return Number(variadicSyscall()(SYS_PIDFD_SEND_SIGNAL, 'int', fd, 'int', signal, 'void *', null, 'unsigned int', 0));
}

// --- terminals ---------------------------------------------------------------

const TIOCSWINSZ = 0x5414;

export interface WindowSize {
  ws_row: number;
  ws_col: number;
  ws_xpixel: number;
  ws_ypixel: number;
}

const openptyFn = lazily((lib) => lib.func('int openpty(_Out_ int *amaster, _Out_ int *aslave, char *name, void *termp, void *winp)') as (master: number[], slave: number[], name: null, termp: null, winp: null) => number);
/** openpty(3) with no name, termios or size: the pair's two descriptors, or undefined on failure. */
export function openpty(): { master: number; slave: number } | undefined {
  const master = [0];
  const slave = [0];
  if (openptyFn()(master, slave, null, null, null) !== 0) return undefined;
  return { master: master[0]!, slave: slave[0]! };
}

const fcntlFn = lazily((lib) => lib.func('int fcntl(int fd, int cmd, ...)') as (fd: number, command: number, type: 'int', arg: number) => number);
/** fcntl(2) with an int argument (F_SETFD, F_SETFL, ...). */
export function fcntl(fd: number, command: number, arg: number): number {
  return fcntlFn()(fd, command, 'int', arg);
}

const ioctlWinsizeFn = lazily((lib, koffi) => {
  const winsize = koffi.struct('burrow_winsize', { ws_row: 'uint16', ws_col: 'uint16', ws_xpixel: 'uint16', ws_ypixel: 'uint16' });
  return lib.func('ioctl', 'int', ['int', 'unsigned long', koffi.pointer(winsize)]) as (fd: number, request: number, size: WindowSize) => number;
});
/** ioctl(TIOCSWINSZ): the terminal's size, which its foreground process group is told of. */
export function setWindowSize(fd: number, size: WindowSize): number {
  return ioctlWinsizeFn()(fd, TIOCSWINSZ, size);
}

// --- mounts and roots ----------------------------------------------------------

const mountFn = lazily((lib) => lib.func('int mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)') as (source: string | null, target: string, type: string | null, flags: number, data: string | null) => number);
export function mount(source: string | null, target: string, type: string | null, flags: number, data: string | null): number {
  return mountFn()(source, target, type, flags, data);
}

const SYS_MOUNT_SETATTR = 442; // x86_64 and arm64 alike
const mountSetattrFn = lazily((lib) => lib.func('syscall', 'long', ['long', 'int', 'const char *', 'uint', 'const uint8_t *', 'size_t']) as (number: number, dirfd: number, path: string, flags: number, attr: Buffer, size: number) => number);
/** mount_setattr(2) (Linux 5.12) with `attr` a struct mount_attr as bytes; -1 with ENOSYS before. */
export function mountSetattr(dirfd: number, path: string, flags: number, attr: Buffer): number {
  return mountSetattrFn()(SYS_MOUNT_SETATTR, dirfd, path, flags, attr, attr.length);
}

const chrootFn = lazily((lib) => lib.func('int chroot(const char *path)') as (path: string) => number);
export function chroot(path: string): number {
  return chrootFn()(path);
}

// --- extended attributes -------------------------------------------------------

const llistxattrFn = lazily((lib) => lib.func('long llistxattr(const char *path, _Out_ uint8_t *list, size_t size)') as (path: string, list: Buffer | null, size: number) => number);
/** The names of `path`'s attributes (never through a symlink), each ended by a NUL; with no buffer, the size they need. */
export function llistxattr(path: string, list: Buffer | null, size: number): number {
  return llistxattrFn()(path, list, size);
}

const lgetxattrFn = lazily((lib) => lib.func('long lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)') as (path: string, name: string, value: Buffer | null, size: number) => number);
/** The value's length, written to `value` (never through a symlink); with no buffer, the size it needs. */
export function lgetxattr(path: string, name: string, value: Buffer | null, size: number): number {
  return lgetxattrFn()(path, name, value, size);
}

const lsetxattrFn = lazily((lib) => lib.func('int lsetxattr(const char *path, const char *name, const uint8_t *value, size_t size, int flags)') as (path: string, name: string, value: Buffer, size: number, flags: number) => number);
export function lsetxattr(path: string, name: string, value: Buffer, size: number, flags: number): number {
  return lsetxattrFn()(path, name, value, size, flags);
}

// --- paths relative to a directory descriptor ----------------------------------

/** struct open_how (linux/openat2.h): open(2)'s flags and mode, and how the path may resolve. */
export interface OpenHow {
  flags: bigint;
  mode: bigint;
  resolve: bigint;
}

const SYS_OPENAT2 = 437; // x86_64 and arm64 alike
const openat2Fn = lazily((lib, koffi) => {
  const how = koffi.struct('burrow_open_how', { flags: 'uint64', mode: 'uint64', resolve: 'uint64' });
  const call = lib.func('syscall', 'long', ['long', 'int', 'const char *', koffi.pointer(how), 'size_t']) as (n: number, fd: number, path: string, how: OpenHow, size: number) => number;
  const size = koffi.sizeof(how);
  return (dirfd: number, path: string, value: OpenHow): number => call(SYS_OPENAT2, dirfd, path, value, size);
});
/** openat2(2) (Linux 5.6): a descriptor, or -1 (ENOSYS before 5.6). */
export function openat2(dirfd: number, path: string, how: OpenHow): number {
  return openat2Fn()(dirfd, path, how);
}

const readlinkatFn = lazily((lib) => lib.func('long readlinkat(int fd, const char *path, _Out_ uint8_t *buf, size_t size)') as (fd: number, path: string, buffer: Buffer, size: number) => number);
export function readlinkat(fd: number, path: string, buffer: Buffer, size: number): number {
  return readlinkatFn()(fd, path, buffer, size);
}

const mkdiratFn = lazily((lib) => lib.func('int mkdirat(int fd, const char *path, uint32_t mode)') as (fd: number, path: string, mode: number) => number);
export function mkdirat(fd: number, path: string, mode: number): number {
  return mkdiratFn()(fd, path, mode);
}

const symlinkatFn = lazily((lib) => lib.func('int symlinkat(const char *target, int fd, const char *path)') as (target: string, fd: number, path: string) => number);
export function symlinkat(target: string, fd: number, path: string): number {
  return symlinkatFn()(target, fd, path);
}

const fchownatFn = lazily((lib) => lib.func('int fchownat(int fd, const char *path, uint32_t owner, uint32_t group, int flags)') as (fd: number, path: string, owner: number, group: number, flags: number) => number);
export function fchownat(fd: number, path: string, owner: number, group: number, flags: number): number {
  return fchownatFn()(fd, path, owner, group, flags);
}
