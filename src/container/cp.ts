import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, lstatSync, symlinkSync, writeFileSync, writeSync, constants as fsConstants } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { findContainer } from './record.js';
import { containerState, waitForSandbox } from './state.js';
import { INIT_PATH } from '../sandbox/bwrap.js';
import { idMapping, unshareArgs } from '../userns/idmap.js';

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

interface ContainerRoot {
  fd: number;
  name: string;
  release(): void;
}

/** Waits for a helper to print "ready", or to fail. */
function ready(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.stdout?.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve(); });
    child.on('exit', () => reject(new BurrowError('IO', `cannot reach the root of ${what}: ${stderr.trim() || 'its helper exited'}`)));
  });
}

function holderRoot(child: ChildProcess, name: string, which: 'root' | 'cwd'): ContainerRoot {
  const fd = openSync(`/proc/${child.pid}/${which}`, O_PATH | fsConstants.O_DIRECTORY);
  return { fd, name, release: () => { closeSync(fd); try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } } };
}

/**
 * A descriptor of the container's root: /proc/PID/root of a running container's
 * PID 1 when the user may open it; else a small helper that holds the root for the
 * copy — burrow-init in the running container's namespaces (its PID 1 runs as
 * another user), or, for a stopped container, a process in a fresh user and mount
 * namespace with the container's overlay mounted and entered.
 */
async function containerRoot(store: Store, query: string): Promise<ContainerRoot> {
  const record = findContainer(store, query);
  const state = containerState(store, record);
  if (state.status === 'running' && state.pid !== undefined) {
    await waitForSandbox(state.pid);
    try {
      const fd = openSync(`/proc/${state.pid}/root`, O_PATH | fsConstants.O_DIRECTORY);
      return { fd, name: record.name, release: () => closeSync(fd) };
    } catch {
      const child = spawn('nsenter', ['--target', String(state.pid), '--user', '--mount', '--root', '--wd=/', '--preserve-credentials', '--', INIT_PATH, '-P'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      await ready(child, record.name);
      return holderRoot(child, record.name, 'root');
    }
  }
  const { rootfs } = record.plan;
  const layers = join(store.root, 'layers');
  const lowers = rootfs.lowers.map((path) => path.slice(layers.length + 1)).reverse().join(':');
  const script = rootfs.driver === 'copy'
    ? 'cd "$4" && echo ready && exec sleep 3600'
    : 'cd "$5" && { mount -n -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3,userxattr" "$4" 2>/dev/null || fuse-overlayfs -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"; } && cd "$4" && echo ready && exec sleep 3600';
  const child = spawn('unshare', [...unshareArgs(idMapping()), '--', '/bin/sh', '-c', script, 'burrow-cp', lowers, rootfs.upper, rootfs.work, rootfs.merged, layers], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  await ready(child, record.name);
  return holderRoot(child, record.name, 'cwd');
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

export async function copy(store: Store, sourceText: string, targetText: string): Promise<void> {
  const source = parseCpPath(sourceText);
  const target = parseCpPath(targetText);
  if ((source.container === undefined) === (target.container === undefined)) {
    throw new BurrowError('INVALID_ARGUMENT', 'burrow cp copies between a container and the host: give exactly one CONTAINER:PATH');
  }
  if (source.container !== undefined) {
    const root = await containerRoot(store, source.container);
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
      root.release();
    }
    return;
  }
  const root = await containerRoot(store, target.container!);
  try {
    lstatSync(source.path);
  } catch {
    root.release();
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
    root.release();
  }
}
