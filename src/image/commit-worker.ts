/**
 * `burrow commit`'s worker: writes a container's changes as one OCI layer (an
 * uncompressed tar) on its standard output.
 *
 *   node commit-worker.js upper DIR [--skip-empty PATH]...   an overlay upper directory
 *   node commit-worker.js tree DIR [--skip-empty PATH]...    a whole root (the copy driver)
 *
 * It runs inside the container's user namespace (commit.ts starts it with burrow's
 * user-namespace helper and the container's mapping), for two reasons: there the
 * files of the container's other users (sub-ids on the host, often mode 0600) are
 * readable, and their owners read as the container's ids, which is what the layer
 * must record. Only DIR is read: the worker chroots into it before the walk, and
 * reads entry by entry with lstat, each file opened with O_NOFOLLOW and checked to
 * be the inode it listed, so a link the container plants, or swaps in while a
 * running container is committed, can never make it read a host file into the image.
 *
 * An overlay upper directory is translated into OCI's layer format (image-spec,
 * layer.md "Whiteouts"): a whiteout (a 0/0 character device, as overlayfs and
 * fuse-overlayfs make them) becomes an empty `.wh.NAME`, and a directory marked
 * opaque (the `user.overlay.opaque`, `trusted.overlay.opaque` or
 * `user.fuse-overlayfs.opaque` attribute) gets a `.wh..wh..opq` entry; those
 * attributes are not carried into the layer. `--skip-empty PATH`: an empty
 * regular file at PATH is left out (the mount points bubblewrap made for
 * /etc/hosts, /etc/hostname and /etc/resolv.conf, which Docker leaves out too).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, writeSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Header } from 'tar';
import { chroot, errno, lgetxattr, llistxattr } from '../util/libc.js';
import { BLOCK, padding, paxRecord } from './tar-blocks.js';

const OPAQUE_ATTRIBUTES = ['user.overlay.opaque', 'trusted.overlay.opaque', 'user.fuse-overlayfs.opaque'];
/** Attributes that belong to the overlay, not to the file: never carried into a layer. */
const OVERLAY_ATTRIBUTE = /^(user|trusted)\.(overlay|fuse-overlayfs)\./;
/** How much of a file is in memory at once. */
const CHUNK = 1024 * 1024;

/** A file's extended attributes (name → value), the overlay's own left out. */
function attributes(path: string): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  const size = llistxattr(path, null, 0);
  if (size <= 0) return found;
  const list = Buffer.alloc(size);
  const got = llistxattr(path, list, size);
  if (got <= 0) return found;
  for (const name of list.subarray(0, got).toString('utf8').split('\0')) {
    if (name === '') continue;
    const length = lgetxattr(path, name, null, 0);
    if (length < 0) continue;
    const value = Buffer.alloc(length);
    if (lgetxattr(path, name, value, length) !== length) continue;
    found.set(name, value);
  }
  return found;
}

function isOpaque(found: Map<string, Buffer>): boolean {
  return OPAQUE_ATTRIBUTES.some((name) => found.get(name)?.toString('utf8') === 'y');
}


interface EntryHeader {
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
  stats?: Stats;
  size?: number;
  linkpath?: string;
  xattrs?: Map<string, Buffer>;
}

/** A tar header (with a PAX header before it where ustar cannot hold the path, the link or the attributes). */
function encodeHeader(entry: EntryHeader): Buffer {
  const stats = entry.stats;
  const fields = {
    path: entry.path,
    mode: stats === undefined ? 0o644 : stats.mode & 0o7777,
    uid: stats?.uid ?? 0,
    gid: stats?.gid ?? 0,
    size: entry.size ?? 0,
    mtime: stats === undefined ? new Date(0) : new Date(Math.floor(stats.mtimeMs / 1000) * 1000),
    type: entry.type,
    linkpath: entry.linkpath ?? '',
    uname: '',
    gname: '',
    devmaj: stats !== undefined && (entry.type === 'CharacterDevice' || entry.type === 'BlockDevice') ? Math.floor(stats.rdev / 256) & 0xfff : 0,
    devmin: stats !== undefined && (entry.type === 'CharacterDevice' || entry.type === 'BlockDevice') ? (stats.rdev & 0xff) | ((stats.rdev >> 12) & 0xfff00) : 0,
  };
  const block = Buffer.alloc(BLOCK);
  const header = new Header(fields);
  const needsPax = header.encode(block, 0);
  const records: Buffer[] = [];
  if (needsPax || Buffer.byteLength(entry.path) !== entry.path.length) records.push(paxRecord('path', Buffer.from(entry.path)));
  if (entry.linkpath !== undefined && (entry.linkpath.length > 100 || Buffer.byteLength(entry.linkpath) !== entry.linkpath.length)) records.push(paxRecord('linkpath', Buffer.from(entry.linkpath)));
  for (const [name, value] of entry.xattrs ?? []) records.push(paxRecord(`SCHILY.xattr.${name}`, value));
  if (records.length === 0) return block;
  const body = Buffer.concat(records);
  const paxBlock = Buffer.alloc(BLOCK);
  new Header({ path: `PaxHeaders/${entry.path.split('/').pop()!.slice(0, 80)}`, mode: 0o644, size: body.length, mtime: fields.mtime, type: 'ExtendedHeader', uid: 0, gid: 0, uname: '', gname: '', linkpath: '' }).encode(paxBlock, 0);
  return Buffer.concat([paxBlock, body, padding(body.length), block]);
}

class TarWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  write(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= CHUNK) this.flush();
  }

  /** Synchronous writes to fd 1 (a pipe to burrow): the pipe's back-pressure paces the walk, and memory stays flat. */
  flush(): void {
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    let offset = 0;
    while (offset < data.length) {
      try {
        offset += writeSync(1, data.subarray(offset));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
    }
  }
}

function streamFile(out: TarWriter, path: string, stats: Stats): void {
  const size = stats.size;
  // Never a symlink, and never blocking on a FIFO or a device swapped in since the lstat: only
  // the very file that was listed is read (a running container may change its tree meanwhile).
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile() || opened.ino !== stats.ino || opened.dev !== stats.dev) throw Object.assign(new Error('changed while it was read'), { code: 'ECHANGED', path });
    let left = size;
    while (left > 0) {
      const piece = Buffer.alloc(Math.min(CHUNK, left));
      const got = readSync(fd, piece, 0, piece.length, null);
      // A file that shrank while it was read is padded: the header's size is what the layer promises.
      if (got === 0) {
        out.write(Buffer.alloc(left));
        break;
      }
      out.write(got === piece.length ? piece : piece.subarray(0, got));
      left -= got;
    }
  } finally {
    closeSync(fd);
  }
  out.write(padding(size));
}

function main(): void {
  const [mode, dir, ...rest] = process.argv.slice(2);
  if ((mode !== 'upper' && mode !== 'tree') || dir === undefined) {
    process.stderr.write('usage: commit-worker.js upper|tree DIR [--skip-empty PATH]...\n');
    process.exit(2);
  }
  const skipEmpty = new Set<string>();
  for (let index = 0; index < rest.length; index += 2) {
    if (rest[index] === '--skip-empty' && rest[index + 1] !== undefined) skipEmpty.add(rest[index + 1]!.replace(/^\/+/, ''));
  }
  // Security: the walk runs chrooted into DIR, so a symlink the container plants (or swaps in
  // during the walk of a running container) can only lead into DIR itself, never to a file of
  // the host (the caller's ~/.ssh, registry credentials) that would end up in the image.
  try {
    process.chdir(dir);
  } catch (error) {
    process.stderr.write(`${JSON.stringify({ message: `cannot read the container's changes: ${dir}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` })}\n`);
    process.exit(1);
  }
  if (chroot('.') !== 0) {
    process.stderr.write(`${JSON.stringify({ message: `cannot confine the commit's walk to ${dir} (chroot: errno ${errno()})` })}\n`);
    process.exit(1);
  }
  process.chdir('/');
  const root = '/';
  const out = new TarWriter();
  const links = new Map<string, string>();
  const walk = (relative: string): void => {
    const names = readdirSync(relative === '' ? root : join(root, relative)).sort();
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const host = join(root, path);
      const stats = lstatSync(host);
      if (stats.isCharacterDevice() && stats.rdev === 0) {
        if (mode === 'upper') {
          out.write(encodeHeader({ path: relative === '' ? `.wh.${name}` : `${relative}/.wh.${name}`, type: 'File' }));
          continue;
        }
      }
      if (stats.isSocket()) continue;
      const found = attributes(host);
      const xattrs = new Map([...found].filter(([key]) => !OVERLAY_ATTRIBUTE.test(key)));
      if (stats.isDirectory()) {
        out.write(encodeHeader({ path: `${path}/`, type: 'Directory', stats, xattrs }));
        if (mode === 'upper' && isOpaque(found)) out.write(encodeHeader({ path: `${path}/.wh..wh..opq`, type: 'File' }));
        walk(path);
      } else if (stats.isSymbolicLink()) {
        out.write(encodeHeader({ path, type: 'SymbolicLink', stats, linkpath: readlinkSync(host), xattrs }));
      } else if (stats.isFile()) {
        if (stats.size === 0 && skipEmpty.has(path)) continue;
        const key = `${stats.dev}:${stats.ino}`;
        const first = stats.nlink > 1 ? links.get(key) : undefined;
        if (first !== undefined) {
          out.write(encodeHeader({ path, type: 'Link', stats, linkpath: first }));
          continue;
        }
        if (stats.nlink > 1) links.set(key, path);
        out.write(encodeHeader({ path, type: 'File', stats, size: stats.size, xattrs }));
        streamFile(out, host, stats);
      } else if (stats.isCharacterDevice() || stats.isBlockDevice()) {
        out.write(encodeHeader({ path, type: stats.isCharacterDevice() ? 'CharacterDevice' : 'BlockDevice', stats, xattrs }));
      } else if (stats.isFIFO()) {
        out.write(encodeHeader({ path, type: 'FIFO', stats, xattrs }));
      }
    }
  };
  try {
    walk('');
    // The end of the archive: two zero blocks.
    out.write(Buffer.alloc(2 * BLOCK));
    out.flush();
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    const message = failure.code === 'ECHANGED' || failure.code === 'ELOOP' || failure.code === 'ENOENT'
      ? `${failure.path ?? 'a file'} changed while it was read: stop the container, then commit it`
      : `cannot read the container's changes: ${failure.path ?? ''} ${failure.code ?? failure.message}`.replace(/\s+/g, ' ').trim();
    process.stderr.write(`${JSON.stringify({ message })}\n`);
    process.exit(1);
  }
}

main();
