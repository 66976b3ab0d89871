import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { BurrowError } from '../errors.js';
import type { LayerEntry } from './layer.js';

/**
 * ADD of a local tar archive (plain or gzip'd, as Docker recognises them by their
 * first bytes, whatever the file's name): its entries are unpacked into the
 * destination directory. Every path is kept below it (a `../` or an absolute name
 * in the archive cannot reach elsewhere in the image); owners are the archive's
 * unless --chown says otherwise. bzip2 and xz archives are refused with one line
 * (Node has no decompressor for them).
 */
const MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024;

function head(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(512);
    const got = readSync(fd, buffer, 0, 512, 0);
    return buffer.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export function isArchive(file: string): boolean {
  const bytes = head(file);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return true;
  if (bytes.length >= 3 && bytes.subarray(0, 3).toString('latin1') === 'BZh') return true;
  if (bytes.length >= 6 && bytes.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true;
  return bytes.length >= 262 && bytes.subarray(257, 262).toString('latin1') === 'ustar';
}

export function archiveEntries(file: string, base: string, owner: { uid: number; gid: number } | undefined, what: string): LayerEntry[] {
  let bytes = readFileSync(file);
  if (bytes[0] === 0x42 || bytes[0] === 0xfd) throw new BurrowError('INVALID_ARGUMENT', `${what}: bzip2 and xz archives are not supported by burrow build's ADD: use a .tar or .tar.gz`);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_ARCHIVE_BYTES });
    } catch (error) {
      throw new BurrowError('INVALID_ARGUMENT', `${what}: cannot decompress the archive: ${(error as Error).message}`);
    }
  }
  const entries: LayerEntry[] = [];
  const failures: string[] = [];
  const parser = new Parser({
    strict: true,
    onwarn: (_code: string, message: string | Error) => { failures.push(String(message)); },
    onReadEntry: (entry: ReadEntry) => {
      const inside = posix.normalize(`/${entry.path}`).slice(1).replace(/\/$/, '');
      const path = inside === '' ? base : posix.join(base, inside);
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        const ids = owner ?? { uid: entry.uid ?? 0, gid: entry.gid ?? 0 };
        const common = { path: path.replace(/^\/+/, ''), mode: entry.mode ?? 0o644, ...ids, mtime: entry.mtime ?? new Date() };
        if (entry.type === 'Directory') entries.push({ ...common, type: 'Directory' });
        else if (entry.type === 'SymbolicLink') entries.push({ ...common, type: 'SymbolicLink', linkpath: entry.linkpath ?? '' });
        else if (entry.type === 'Link') entries.push({ ...common, type: 'Link', linkpath: posix.join(base, posix.normalize(`/${entry.linkpath ?? ''}`).slice(1)).replace(/^\/+/, '') });
        else if (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile') entries.push({ ...common, type: 'File', source: { bytes: Buffer.concat(chunks) } });
        // Devices and FIFOs of an archive are left out: a rootless build cannot make them.
      });
    },
  });
  parser.end(bytes);
  if (failures.length > 0) throw new BurrowError('INVALID_ARGUMENT', `${what}: not a tar archive burrow can read: ${failures[0]}`);
  return entries;
}
