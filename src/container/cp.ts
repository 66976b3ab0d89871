import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, lstatSync, symlinkSync, writeFileSync, writeSync, constants as fsConstants } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { findContainer } from './record.js';
import { containerState } from './state.js';

/**
 * `burrow cp`, confined: every path inside the container is resolved by the kernel
 * with openat2(RESOLVE_IN_ROOT) against the container's root (/proc/PID/root), so
 * a symlink in the container that points at `/` or at a host path can never lead
 * the copy out of the container. Below the first component, entries are opened
 * one at a time with RESOLVE_NO_SYMLINKS; symlinks are copied as symlinks.
 */
const SYS_OPENAT2 = 437; // x86_64 and arm64 alike
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_BENEATH = 0x08;
const RESOLVE_IN_ROOT = 0x10;
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

interface Sys {
  openat2: (dirfd: number, path: string, how: { flags: bigint; mode: bigint; resolve: bigint }) => number;
  errno: () => number;
  readlinkat: (fd: number, path: string, buffer: Buffer, size: number) => number;
  mkdirat: (fd: number, path: string, mode: number) => number;
  symlinkat: (target: string, fd: number, path: string) => number;
}

let sys: Sys | undefined;
function load(): Sys {
  if (sys === undefined) {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const libc = koffi.load('libc.so.6');
    const how = koffi.struct('burrow_open_how', { flags: 'uint64', mode: 'uint64', resolve: 'uint64' });
    const syscall = libc.func('syscall', 'long', ['long', 'int', 'const char *', koffi.pointer(how), 'size_t']) as (n: number, fd: number, path: string, how: unknown, size: number) => number;
    const location = libc.func('int *__errno_location(void)') as () => unknown;
    sys = {
      openat2: (dirfd, path, value) => syscall(SYS_OPENAT2, dirfd, path, value, 24),
      errno: () => koffi.decode(location(), 'int') as number,
      readlinkat: libc.func('long readlinkat(int fd, const char *path, _Out_ uint8_t *buf, size_t size)') as Sys['readlinkat'],
      mkdirat: libc.func('int mkdirat(int fd, const char *path, uint32_t mode)') as Sys['mkdirat'],
      symlinkat: libc.func('int symlinkat(const char *target, int fd, const char *path)') as Sys['symlinkat'],
    };
  }
  return sys;
}

function open2(dirfd: number, path: string, flags: number, resolve: number, what: string): number {
  const api = load();
  // openat2 refuses a mode without O_CREAT (EINVAL).
  const mode = (flags & fsConstants.O_CREAT) !== 0 ? 0o644n : 0n;
  const fd = api.openat2(dirfd, path, { flags: BigInt(flags | O_CLOEXEC), mode, resolve: BigInt(resolve) });
  if (fd < 0) {
    const errno = api.errno();
    if (errno === 2) throw new BurrowError('NOT_FOUND', `${what}: no such file or directory in the container`);
    if (errno === 38) throw new BurrowError('IO', 'this kernel has no openat2 (Linux 5.6 or later is needed for burrow cp)');
    throw new BurrowError('IO', `${what}: cannot open in the container (errno ${errno})`);
  }
  return fd;
}

const fdPath = (fd: number): string => `/proc/self/fd/${fd}`;

function rootOf(store: Store, query: string): { fd: number; name: string } {
  const record = findContainer(store, query);
  const state = containerState(store, record);
  if (state.status !== 'running' || state.pid === undefined) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running: burrow cp needs a running container for now`);
  return { fd: openSync(`/proc/${state.pid}/root`, O_PATH | fsConstants.O_DIRECTORY), name: record.name };
}

/** Copies what `fd` (an O_PATH descriptor in the container) names to the host path `target`. */
function copyOut(fd: number, target: string): void {
  const api = load();
  const stat = fstatSync(fd);
  if (stat.isSymbolicLink()) {
    const buffer = Buffer.alloc(4096);
    const length = api.readlinkat(fd, '', buffer, buffer.length);
    symlinkSync(buffer.subarray(0, Math.max(0, length)).toString(), target);
  } else if (stat.isDirectory()) {
    mkdirSync(target, { recursive: true, mode: stat.mode & 0o7777 });
    for (const name of readdirSync(fdPath(fd))) {
      const child = open2(fd, name, O_PATH | fsConstants.O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, name);
      try {
        copyOut(child, join(target, name));
      } finally {
        closeSync(child);
      }
    }
  } else if (stat.isFile()) {
    // Reopening the O_PATH descriptor through /proc reads the very inode it names.
    writeFileSync(target, readFileSync(fdPath(fd)), { mode: stat.mode & 0o777 });
  }
}

/** Copies the host path `source` into the container directory `dirFd` as `name`. */
function copyIn(source: string, dirFd: number, name: string): void {
  const api = load();
  const stat = lstatSync(source);
  if (stat.isSymbolicLink()) {
    if (api.symlinkat(readlinkSync(source), dirFd, name) !== 0) throw new BurrowError('IO', `cannot create symlink ${name} in the container (errno ${api.errno()})`);
  } else if (stat.isDirectory()) {
    if (api.mkdirat(dirFd, name, stat.mode & 0o7777) !== 0 && api.errno() !== 17) throw new BurrowError('IO', `cannot create directory ${name} in the container (errno ${api.errno()})`);
    const child = open2(dirFd, name, O_PATH | fsConstants.O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, name);
    try {
      for (const entry of readdirSync(source)) copyIn(join(source, entry), child, entry);
    } finally {
      closeSync(child);
    }
  } else if (stat.isFile()) {
    const fd = open2(dirFd, name, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, name);
    try {
      const content = readFileSync(source);
      let at = 0;
      while (at < content.length) at += writeSync(fd, content, at);
    } finally {
      closeSync(fd);
    }
  }
}

export function parseCpPath(text: string): { container?: string; path: string } {
  const colon = text.indexOf(':');
  if (colon > 0 && !text.startsWith('/') && !text.startsWith('.')) return { container: text.slice(0, colon), path: text.slice(colon + 1) || '/' };
  return { path: text };
}

export function copy(store: Store, sourceText: string, targetText: string): void {
  const source = parseCpPath(sourceText);
  const target = parseCpPath(targetText);
  if ((source.container === undefined) === (target.container === undefined)) {
    throw new BurrowError('INVALID_ARGUMENT', 'burrow cp copies between a container and the host: give exactly one CONTAINER:PATH');
  }
  if (source.container !== undefined) {
    const root = rootOf(store, source.container);
    try {
      const fd = open2(root.fd, source.path, O_PATH | fsConstants.O_NOFOLLOW, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, `${root.name}:${source.path}`);
      try {
        let destination = target.path;
        try {
          if (lstatSync(destination).isDirectory()) destination = join(destination, basename(source.path) || 'root');
        } catch {
          // A new name.
        }
        copyOut(fd, destination);
      } finally {
        closeSync(fd);
      }
    } finally {
      closeSync(root.fd);
    }
    return;
  }
  const root = rootOf(store, target.container!);
  try {
    lstatSync(source.path);
  } catch {
    closeSync(root.fd);
    throw new BurrowError('NOT_FOUND', `${source.path}: no such file or directory`);
  }
  try {
    // Into an existing directory keeps the name; else the last component is the new name.
    let dirFd: number;
    let name: string;
    try {
      dirFd = open2(root.fd, target.path, O_PATH | fsConstants.O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, `${root.name}:${target.path}`);
      name = basename(source.path);
    } catch (error) {
      if (!(error instanceof BurrowError && error.code === 'NOT_FOUND')) throw error;
      dirFd = open2(root.fd, dirname(target.path), O_PATH | fsConstants.O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, `${root.name}:${dirname(target.path)}`);
      name = basename(target.path);
    }
    try {
      copyIn(source.path, dirFd, name);
    } finally {
      closeSync(dirFd);
    }
  } finally {
    closeSync(root.fd);
  }
}
