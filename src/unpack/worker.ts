/**
 * Layer extraction, confined. Runs as root of burrow's user namespace (started
 * through `unshare`), chroots into the layer's directory before reading a byte of
 * the archive, then extracts standard input there. Whatever a hostile layer does
 * with `../`, absolute paths, symlinks or hardlinks, the kernel resolves it inside
 * that directory: path checks are a second line, not the only one.
 *
 * Docker whiteouts become overlayfs whiteouts: `.wh.NAME` a 0/0 character device,
 * `.wh..wh..opq` the `user.overlay.opaque` xattr (overlay's userxattr mode).
 */
import { createRequire } from 'node:module';
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, posix } from 'node:path';
import { Unpack, type ReadEntry } from 'tar';
import { PaxXattrScanner } from './pax-xattrs.js';

const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');
const libc = koffi.load('libc.so.6');
const chroot = libc.func('int chroot(const char *path)') as (path: string) => number;
const mknod = libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as (path: string, mode: number, dev: number) => number;
const lsetxattr = libc.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)') as (path: string, name: string, value: Buffer, size: number, flags: number) => number;
const errnoLocation = libc.func('int *__errno_location(void)') as () => unknown;
const errno = (): number => koffi.decode(errnoLocation(), 'int') as number;

const S_IFCHR = 0o020000;
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const target = process.argv[2];
const singleId = process.argv[3] === 'single';
if (target === undefined) fail('usage: worker DIR [single]');
// The chroot is the scratch directory; the layer lands in its /rootfs. (node-tar
// cannot extract to "/" itself, and whatever escapes /rootfs stays in scratch,
// which is thrown away.)
if (chroot(target) !== 0) fail(`chroot ${target} failed (errno ${errno()})`);
process.chdir('/rootfs');
process.umask(0);

interface Deferred {
  whiteouts: string[];
  opaque: string[];
  modes: Array<{ path: string; mode: number }>;

  skipped: string[];
}
const deferred: Deferred = { whiteouts: [], opaque: [], modes: [], skipped: [] };
const scanner = new PaxXattrScanner();

/** `./a/b`, `/a/b` → `a/b`; undefined when `..` would climb above the root. */
function relativeInside(path: string): string | undefined {
  const normalized = posix.normalize(`/${path}`);
  if (path.split('/').includes('..') && normalized !== posix.normalize(`/${path.replaceAll('..', '')}`)) {
    // Resolved lexically: only a path that ends up above the root is refused.
    const parts: string[] = [];
    for (const part of path.split('/')) {
      if (part === '..') {
        if (parts.length === 0) return undefined;
        parts.pop();
      } else if (part !== '' && part !== '.') parts.push(part);
    }
    return parts.join('/');
  }
  const relative = normalized.slice(1);
  return relative === '' ? '.' : relative;
}

function clean(path: string): string {
  return `/rootfs${posix.normalize(`/${path}`)}`;
}

const unpack = new Unpack({
  cwd: '/rootfs',
  preserveOwner: !singleId,
  umask: 0,
  processUmask: 0,
  noMtime: false,
  // Layers may replace what lower layers left: a file by a directory and so on.
  unlink: true,
  // The chroot confines the paths; node-tar's own path handling would also rewrite
  // absolute symlink targets (/bin/busybox → bin/busybox), which breaks images.
  preservePaths: true,
  filter: (original: string, entry: ReadEntry | import('node:fs').Stats) => {
    if (!('type' in entry)) return true;
    // Archive paths are relative to the layer's root, whatever their spelling.
    const path = relativeInside(original);
    if (path === undefined) {
      deferred.skipped.push(`${original} (path leaves the layer)`);
      return false;
    }
    entry.path = path;
    if (entry.type === 'Link') {
      const target = relativeInside(String(entry.linkpath ?? ''));
      if (target === undefined) {
        deferred.skipped.push(`${original} (hard link to ${String(entry.linkpath)}, outside the layer)`);
        return false;
      }
      entry.linkpath = target;
    }
    const name = basename(path);
    if (name === OPAQUE) {
      deferred.opaque.push(clean(dirname(path)));
      return false;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      deferred.whiteouts.push(clean(`${dirname(path)}/${name.slice(WHITEOUT_PREFIX.length)}`));
      return false;
    }
    if (entry.type === 'CharacterDevice' || entry.type === 'BlockDevice' || entry.type === 'FIFO') {
      deferred.skipped.push(posix.normalize(`/${path}`));
      return false;
    }
    // chown clears setuid/setgid bits: they are put back once the owner is set.
    if (typeof entry.mode === 'number' && (entry.mode & 0o7000) !== 0 && entry.type !== 'SymbolicLink') {
      deferred.modes.push({ path: clean(path), mode: entry.mode & 0o7777 });
    }
    return true;
  },
  onwarn: (code: string, message: string | Error, data: { path?: string; code?: string }) => {
    const errno = (message as { code?: string }).code ?? data.code;
    if (errno === 'ENOSPC' || errno === 'EDQUOT' || errno === 'EIO') fail(`no space left while unpacking (${errno})`);
    if (code === 'TAR_ENTRY_ERROR' && (errno === 'EINVAL' || errno === 'EPERM')) {
      fail(`cannot give ${data.path ?? 'an entry'} its owner: the image uses ids outside your subordinate range (/etc/subuid, /etc/subgid)`);
    }
    deferred.skipped.push(`${data.path ?? '?'} (${typeof message === 'string' ? message : message.message})`);
  },
});

unpack.on('error', (error: Error) => fail(`unpack failed: ${error.message}`));
unpack.on('close', () => {
  for (const path of deferred.whiteouts) {
    rmSync(path, { recursive: true, force: true });
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (mknod(path, S_IFCHR | 0o000, 0) !== 0) fail(`cannot create whiteout ${path} (errno ${errno()})`);
  }
  for (const path of deferred.opaque) {
    const value = Buffer.from('y');
    if (lsetxattr(path, 'user.overlay.opaque', value, value.length, 0) !== 0) fail(`cannot mark ${path} opaque (errno ${errno()}): the file system needs user xattrs`);
  }
  for (const { path, mode } of deferred.modes) {
    try {
      if (!lstatSync(path).isSymbolicLink()) chmodSync(path, mode);
    } catch {
      // Removed by a later entry of the same layer.
    }
  }
  for (const [path, attributes] of scanner.xattrs) {
    const inside = relativeInside(path);
    if (inside === undefined) continue;
    for (const [name, value] of attributes) {
      // Only user.* xattrs can be set in a user namespace; security.* and trusted.* are dropped.
      if (name.startsWith('user.')) lsetxattr(clean(inside), name, value, value.length, 0);
    }
  }
  // Paths as the image names them: node-tar's messages carry the scratch directory's /rootfs.
  const asInImage = (text: string): string => text.replace(/(^|[\s'"(])\/rootfs(?=\/)/g, '$1');
  if (deferred.skipped.length > 0) process.stdout.write(`${JSON.stringify({ skipped: deferred.skipped.map(asInImage) })}\n`);
  process.exit(0);
});

process.stdin.pipe(scanner).pipe(unpack);
