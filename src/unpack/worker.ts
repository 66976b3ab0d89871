/**
 * Layer extraction, confined. Runs as root of burrow's user namespace (started
 * through `unshare`), chroots into the layer's directory before reading a byte of
 * the archive, then extracts standard input there. Whatever a hostile layer does
 * with `../`, absolute paths, symlinks or hardlinks, the kernel resolves it inside
 * that directory: path checks are a second line, not the only one.
 *
 *   node worker.js SCRATCH single|mapped CEILING
 *
 * Docker whiteouts become overlayfs whiteouts: `.wh.NAME` a 0/0 character device,
 * `.wh..wh..opq` the `user.overlay.opaque` xattr (overlay's userxattr mode). As
 * the OCI image spec says, a whiteout hides what the lower layers have, never an
 * entry of its own layer: a layer with both `.wh.foo` and `foo` keeps its `foo`
 * (made opaque, if a directory, so the lower `foo` stays hidden). Whiteouts and
 * opaque markers are placed only through real directories of the layer, never
 * through a symlink. The tar headers are checked on the way in
 * (`tar-headers.ts`): size caps, names, and the layer's ceiling (CEILING bytes).
 */
import { createRequire } from 'node:module';
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Unpack, type ReadEntry } from 'tar';
import { MAX_META_BYTES } from './limits.js';
import { TarHeaderScanner } from './tar-headers.js';

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
const ceiling = Number(process.argv[4]);
if (target === undefined || !(ceiling > 0)) fail('usage: worker DIR single|mapped CEILING');
// The chroot is the scratch directory; the layer lands in its /rootfs. (node-tar
// cannot extract to "/" itself, and whatever escapes /rootfs stays in scratch,
// which is thrown away.)
if (chroot(target) !== 0) fail(`chroot ${target} failed (errno ${errno()})`);
process.chdir('/rootfs');
process.umask(0);

interface Deferred {
  /** Relative to the layer's root, with the entry as the archive names it. */
  whiteouts: Array<{ path: string; entry: string }>;
  opaque: Array<{ path: string; entry: string }>;
  modes: Array<{ path: string; mode: number }>;
  skipped: string[];
}
const deferred: Deferred = { whiteouts: [], opaque: [], modes: [], skipped: [] };
const scanner = new TarHeaderScanner(ceiling);

/** `./a/b`, `/a/b`, `a/c/../b` → `a/b` (lexically, as Docker cleans paths); undefined when `..` would climb above the root. */
function relativeInside(path: string): string | undefined {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.pop() === undefined) return undefined;
  }
  return parts.length === 0 ? '.' : parts.join('/');
}

const inLayer = (relative: string): string => (relative === '.' ? '/rootfs' : `/rootfs/${relative}`);

/**
 * Makes `relative` (a directory path in the layer) a chain of real directories,
 * creating what is missing; returns the first component that is a symlink or
 * not a directory, where a marker would have to go through something else.
 */
function realDirectories(relative: string): string | undefined {
  if (relative === '.') return undefined;
  let path = '/rootfs';
  for (const part of relative.split('/')) {
    path = `${path}/${part}`;
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat === undefined) mkdirSync(path, { mode: 0o755 });
    else if (!stat.isDirectory()) return path.slice('/rootfs'.length);
  }
  return undefined;
}

function markOpaque(path: string): void {
  const value = Buffer.from('y');
  if (lsetxattr(path, 'user.overlay.opaque', value, value.length, 0) !== 0) fail(`cannot mark ${path.slice('/rootfs'.length) || '/'} opaque (errno ${errno()}): the file system needs user xattrs`);
}

const unpack = new Unpack({
  cwd: '/rootfs',
  preserveOwner: !singleId,
  umask: 0,
  processUmask: 0,
  noMtime: false,
  maxMetaEntrySize: MAX_META_BYTES,
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
      const linkTarget = relativeInside(String(entry.linkpath ?? ''));
      if (linkTarget === undefined) {
        deferred.skipped.push(`${original} (hard link to ${String(entry.linkpath)}, outside the layer)`);
        return false;
      }
      entry.linkpath = linkTarget;
    }
    const name = basename(path);
    if (name === OPAQUE) {
      deferred.opaque.push({ path: dirname(path), entry: original });
      return false;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      const hidden = name.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..') deferred.skipped.push(`${original} (a whiteout names one entry of its directory, not "${hidden}")`);
      else deferred.whiteouts.push({ path: `${dirname(path)}/${hidden}`.replace(/^\.\//, ''), entry: original });
      return false;
    }
    if (entry.type === 'CharacterDevice' || entry.type === 'BlockDevice' || entry.type === 'FIFO') {
      deferred.skipped.push(`/${path}`);
      return false;
    }
    // chown clears setuid/setgid bits: they are put back once the owner is set.
    if (typeof entry.mode === 'number' && (entry.mode & 0o7000) !== 0 && entry.type !== 'SymbolicLink') {
      deferred.modes.push({ path: inLayer(path), mode: entry.mode & 0o7777 });
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
// Entries of a type node-tar does not unpack (GNU sparse files, undefined type flags) pass by without a warning: noted here.
const UNPACKED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Link', 'SymbolicLink', 'CharacterDevice', 'BlockDevice', 'Directory', 'FIFO', 'GNUDumpDir']);
unpack.on('ignoredEntry', (entry: ReadEntry) => {
  if (entry.meta !== true && !UNPACKED_TYPES.has(entry.type)) deferred.skipped.push(`${entry.path} (${entry.type === 'SparseFile' ? 'a sparse file: not supported' : 'not a type of file tar defines'})`);
});
scanner.on('error', (error: Error) => fail(error.message));
unpack.on('close', () => {
  for (const { path, entry } of deferred.whiteouts) {
    const through = realDirectories(dirname(path));
    if (through !== undefined) {
      deferred.skipped.push(`${entry} (a whiteout through ${through}, which is not a directory of the layer)`);
      continue;
    }
    const full = inLayer(path);
    const own = lstatSync(full, { throwIfNoEntry: false });
    // The layer's own entry stays; a directory of its own also hides the lower one's content.
    if (own?.isDirectory() === true) markOpaque(full);
    else if (own === undefined && mknod(full, S_IFCHR | 0o000, 0) !== 0) fail(`cannot create whiteout ${path} (errno ${errno()})`);
  }
  for (const { path, entry } of deferred.opaque) {
    const through = realDirectories(path);
    if (through !== undefined) deferred.skipped.push(`${entry} (an opaque marker through ${through}, which is not a directory of the layer)`);
    else markOpaque(inLayer(path));
  }
  for (const sparse of scanner.sparse) {
    // node-tar writes a sparse entry's map and data as they are stored: not the file.
    const path = relativeInside(sparse);
    if (path === undefined || path === '.') continue;
    if (lstatSync(inLayer(path), { throwIfNoEntry: false })?.isFile() === true) unlinkSync(inLayer(path));
    deferred.skipped.push(`/${path} (a sparse file: not supported)`);
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
      if (name.startsWith('user.')) lsetxattr(inLayer(inside), name, value, value.length, 0);
    }
  }
  // Paths as the image names them: node-tar's messages carry the scratch directory's /rootfs.
  const asInImage = (text: string): string => text.replace(/(^|[\s'"(])\/rootfs(?=\/)/g, '$1');
  if (deferred.skipped.length > 0) process.stdout.write(`${JSON.stringify({ skipped: deferred.skipped.map(asInImage) })}\n`);
  process.exit(0);
});

process.stdin.pipe(scanner).pipe(unpack);
