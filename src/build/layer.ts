import { createHash } from 'node:crypto';
import { closeSync, constants, createWriteStream, fstatSync, openSync, readSync } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Header } from 'tar';
import { BurrowError } from '../errors.js';
import type { WrittenLayer } from '../image/commit.js';
import { BLOCK, padding, paxRecord } from '../image/tar-blocks.js';

/**
 * A layer written by the build itself (COPY, ADD, WORKDIR), not by a container:
 * its entries come from the build context (read on the host, each file opened
 * without following a link and checked to be the one listed) or from memory (an
 * ADD archive's), with the owners and modes the image gets. Written as an
 * uncompressed tar hashed into its diff_id, then gzip, hashed into its digest.
 */
export interface LayerEntry {
  /** Path in the image, without the leading `/`. */
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  linkpath?: string | undefined;
  /** A file's content: a file of the context (read when written), or bytes. */
  source?: { host: string; size: number; ino: number; dev: number } | { bytes: Buffer } | undefined;
}

const CHUNK = 1024 * 1024;

function header(entry: LayerEntry, size: number): Buffer {
  const path = entry.type === 'Directory' ? `${entry.path}/` : entry.path;
  const fields = {
    path,
    mode: entry.mode & 0o7777,
    uid: entry.uid,
    gid: entry.gid,
    size,
    mtime: new Date(Math.floor(entry.mtime.getTime() / 1000) * 1000),
    type: entry.type,
    linkpath: entry.linkpath ?? '',
    uname: '',
    gname: '',
  };
  const block = Buffer.alloc(BLOCK);
  const needsPax = new Header(fields).encode(block, 0);
  const records: Buffer[] = [];
  if (needsPax || Buffer.byteLength(path) !== path.length) records.push(paxRecord('path', path));
  if (entry.linkpath !== undefined && (entry.linkpath.length > 100 || Buffer.byteLength(entry.linkpath) !== entry.linkpath.length)) records.push(paxRecord('linkpath', entry.linkpath));
  if (records.length === 0) return block;
  const body = Buffer.concat(records);
  const paxBlock = Buffer.alloc(BLOCK);
  new Header({ path: `PaxHeaders/${path.split('/').filter(Boolean).pop()!.slice(0, 80)}`, mode: 0o644, size: body.length, mtime: fields.mtime, type: 'ExtendedHeader', uid: 0, gid: 0, uname: '', gname: '', linkpath: '' }).encode(paxBlock, 0);
  return Buffer.concat([paxBlock, body, padding(body.length), block]);
}

function* fileChunks(host: string, size: number, ino: number, dev: number): Generator<Buffer> {
  // Security: never through a link, never blocking on a FIFO swapped in since the walk: only the
  // very file that was listed (a context file replaced by a link to ~/.ssh/id_ed25519 is refused).
  const fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile() || opened.ino !== ino || opened.dev !== dev) throw new BurrowError('IO', `${host} changed while the build read it`);
    let left = size;
    while (left > 0) {
      const piece = Buffer.alloc(Math.min(CHUNK, left));
      const got = readSync(fd, piece, 0, piece.length, null);
      if (got === 0) {
        // Shrunk meanwhile: padded to the size the header promised.
        yield Buffer.alloc(left);
        break;
      }
      yield got === piece.length ? piece : piece.subarray(0, got);
      left -= got;
    }
  } finally {
    closeSync(fd);
  }
}

function* tarChunks(entries: Iterable<LayerEntry>): Generator<Buffer> {
  for (const entry of entries) {
    const source = entry.type === 'File' ? entry.source : undefined;
    const size = source === undefined ? 0 : 'bytes' in source ? source.bytes.length : source.size;
    yield header(entry, size);
    if (source === undefined) continue;
    if ('bytes' in source) yield source.bytes;
    else yield* fileChunks(source.host, source.size, source.ino, source.dev);
    yield padding(size);
  }
  yield Buffer.alloc(2 * BLOCK);
}

class Hashing extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }
}

/** Writes `entries` as a gzip'd layer to `file`. */
export async function writeTarLayer(entries: Iterable<LayerEntry>, file: string, signal?: AbortSignal): Promise<WrittenLayer> {
  const uncompressed = new Hashing();
  const compressed = new Hashing();
  try {
    await pipeline(Readable.from(tarChunks(entries)), uncompressed, createGzip({ level: 6 }), compressed, createWriteStream(file), { signal: signal ?? new AbortController().signal });
  } catch (error) {
    if (error instanceof BurrowError) throw error;
    if (signal?.aborted === true) throw new BurrowError('INTERRUPTED', 'the build was interrupted');
    throw new BurrowError('IO', `cannot write a layer of the build: ${(error as Error).message}`);
  }
  return { file, diffId: `sha256:${uncompressed.hash.digest('hex')}`, digest: `sha256:${compressed.hash.digest('hex')}`, size: compressed.size };
}
