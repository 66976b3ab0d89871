import { Transform, type TransformCallback } from 'node:stream';
import { Header, Pax } from 'tar';
import { ceilingHint, formatSize, MAX_META_BYTES, NAME_MAX, PATH_MAX, quoteName } from './limits.js';

/**
 * A pass-through in front of node-tar that reads the layer's tar headers on the
 * side, the way node-tar reads them (its own Header and Pax classes decode each
 * header block, with the same rules for invalid blocks, meta entries and body
 * sizes, so the two never disagree on where an entry starts), and:
 *
 * - refuses what node-tar would quietly bend: a PAX extended header or GNU long
 *   name over MAX_META_BYTES (node-tar skips it, and the entry keeps its short
 *   name), a name with a NUL byte in it (node-tar cuts it there), a name over
 *   PATH_MAX or with a component over NAME_MAX, a layer whose content is
 *   compressed a second time (node-tar would unpack that too);
 * - adds up what the entries declare they hold, a sparse file's full size
 *   included, and refuses the layer once that passes `ceiling`, before a byte
 *   of that entry is written;
 * - keeps what node-tar drops: each entry's extended attributes
 *   (`SCHILY.xattr.NAME`), and the entries stored sparse (node-tar does not
 *   expand them; the worker removes what it wrote for them).
 *
 * A refusal is an error on this stream, naming the entry.
 */
export class TarHeaderScanner extends Transform {
  readonly xattrs = new Map<string, Map<string, Buffer>>();
  /** Entries stored in a sparse format, by path (as node-tar names them). */
  readonly sparse: string[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private ended = false;
  private sawNullBlock = false;
  /** Bytes of entry body (padding included) still to pass. */
  private skip = 0;
  /** A meta entry's body being collected, and its type. */
  private meta: { type: string; size: number; chunks: Buffer[]; collected: number } | undefined;
  private extended: Pax | undefined;
  private globalExtended: Pax | undefined;
  /** What this scanner reads from the pending extended header itself. */
  private pending: Pending = {};
  private declared = 0;

  constructor(private readonly ceiling: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // Past the end of the archive nothing goes on: node-tar would gather all of it
    // in one growing buffer (quadratic copying, memory up to the ceiling).
    if (this.ended) {
      callback();
      return;
    }
    let passed: number;
    try {
      passed = this.scan(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, passed === chunk.length ? chunk : chunk.subarray(0, passed));
  }

  /** Reads the headers in `chunk`; returns how much of it belongs to the archive (all of it, until its end). */
  private scan(chunk: Buffer): number {
    const held = this.buffer.length;
    this.buffer = held === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (!this.started) {
      if (this.buffer.length < 4) return chunk.length;
      this.started = true;
      // node-tar would quietly gunzip (or unzstd) a layer whose tar is compressed again.
      if ((this.buffer[0] === 0x1f && this.buffer[1] === 0x8b) || this.buffer.readUInt32LE(0) === 0xfd2fb528) {
        throw new Error('the layer\'s content is compressed a second time inside its compression: it is not a tar archive');
      }
    }
    let at = 0;
    while (!this.ended) {
      if (this.meta !== undefined) {
        const take = Math.min(this.meta.size - this.meta.collected, this.buffer.length - at);
        if (take > 0) {
          this.meta.chunks.push(this.buffer.subarray(at, at + take));
          this.meta.collected += take;
          at += take;
        }
        if (this.meta.collected < this.meta.size) break;
        const meta = this.meta;
        this.meta = undefined;
        this.skip = (512 - (meta.size % 512)) % 512;
        this.applyMeta(meta.type, Buffer.concat(meta.chunks));
        continue;
      }
      if (this.skip > 0) {
        const take = Math.min(this.skip, this.buffer.length - at);
        if (take === 0) break;
        this.skip -= take;
        at += take;
        continue;
      }
      if (this.buffer.length - at < 512) break;
      this.header(this.buffer.subarray(at, at + 512));
      at += 512;
    }
    if (this.ended) {
      this.buffer = Buffer.alloc(0);
      return Math.max(0, at - held);
    }
    this.buffer = this.buffer.subarray(at);
    return chunk.length;
  }

  /** One header block, as node-tar's Parser reads it (parse.js: CONSUMEHEADER). */
  private header(block: Buffer): void {
    let header: Header;
    try {
      header = new Header(block, 0, this.extended, this.globalExtended);
    } catch {
      return;
    }
    if (header.nullBlock) {
      if (this.sawNullBlock) this.ended = true;
      else this.sawNullBlock = true;
      return;
    }
    this.sawNullBlock = false;
    // Blocks node-tar warns about and passes over, 512 bytes at a time.
    if (!header.cksumValid || !header.path) return;
    const type = header.type;
    const link = type === 'Link' || type === 'SymbolicLink';
    if (link && !header.linkpath) return;
    if (!link && type !== 'ExtendedHeader' && type !== 'GlobalExtendedHeader' && header.linkpath) return;
    const size = header.size ?? 0;
    if (META_TYPES.has(type)) {
      if (size > MAX_META_BYTES) {
        throw new Error(`the ${type === 'NextFileHasLongPath' || type === 'NextFileHasLongLinkpath' || type === 'OldGnuLongPath' ? 'long name' : 'PAX extended header'} ${quoteName(header.path)} holds ${formatSize(size)}, more than the ${formatSize(MAX_META_BYTES)} allowed`);
      }
      if (size > 0) this.meta = { type, size, chunks: [], collected: 0 };
      return;
    }
    this.entry(header, block, size);
    this.extended = undefined;
    this.pending = {};
    this.skip = 512 * Math.ceil(size / 512);
  }

  /** A meta entry's body, as node-tar applies it (parse.js: EMITMETA), and what this scanner keeps of it. */
  private applyMeta(type: string, body: Buffer): void {
    const text = body.toString('utf8');
    if (type === 'ExtendedHeader' || type === 'OldExtendedHeader') {
      this.extended = Pax.parse(text, this.extended, false);
      this.readPax(body);
    } else if (type === 'GlobalExtendedHeader') {
      this.globalExtended = Pax.parse(text, this.globalExtended, true);
    } else {
      const value = text.replace(/\0.*/s, '');
      if (/\0+[^\0]/.test(text)) this.pending.nul = text.replace(/\0+$/, '');
      this.extended ??= Object.create(null) as Pax;
      if (type === 'NextFileHasLongLinkpath') this.extended.linkpath = value;
      else this.extended.path = value;
    }
  }

  /** The records of a PAX header that node-tar does not keep: raw names (for NUL), xattrs, sparse sizes. */
  private readPax(body: Buffer): void {
    let at = 0;
    while (at < body.length) {
      const space = body.indexOf(0x20, at);
      if (space < 0) return;
      const length = Number(body.subarray(at, space).toString('latin1'));
      if (!Number.isInteger(length) || length <= 0 || at + length > body.length) return;
      const record = body.subarray(space + 1, at + length - 1);
      at += length;
      const equals = record.indexOf(0x3d);
      if (equals < 0) continue;
      const key = record.subarray(0, equals).toString('utf8');
      const value = record.subarray(equals + 1);
      if ((key === 'path' || key === 'linkpath') && value.includes(0)) this.pending.nul = value.toString('utf8');
      else if (key.startsWith('SCHILY.xattr.')) {
        this.pending.xattrs ??= new Map();
        this.pending.xattrs.set(key.slice('SCHILY.xattr.'.length), Buffer.from(value));
      } else if (key === 'GNU.sparse.realsize' || key === 'GNU.sparse.size') {
        this.pending.sparseSize = Number(value.toString('latin1'));
      } else if (key === 'GNU.sparse.major' || key === 'GNU.sparse.map' || key === 'GNU.sparse.numblocks') {
        this.pending.sparse = true;
      }
    }
  }

  private entry(header: Header, block: Buffer, size: number): void {
    const path = header.path!;
    const shown = (): string => quoteName(this.pending.nul ?? path);
    if (this.pending.nul !== undefined) throw new Error(`entry ${shown()} has a NUL byte in its name or link target`);
    for (const [what, name] of [['name', path], ['link target', header.linkpath ?? '']] as const) {
      const bytes = Buffer.byteLength(name);
      if (bytes >= PATH_MAX) throw new Error(`entry ${shown()} has a ${what} of ${bytes} bytes, more than PATH_MAX (${PATH_MAX})`);
    }
    // A component over NAME_MAX bytes needs a name of more than NAME_MAX bytes.
    const long = Buffer.byteLength(path) > NAME_MAX ? path.split('/').find((part) => Buffer.byteLength(part) > NAME_MAX) : undefined;
    if (long !== undefined) throw new Error(`entry ${shown()} has a name component of ${Buffer.byteLength(long)} bytes, more than NAME_MAX (${NAME_MAX})`);

    // What the entry will hold once written: a sparse file's whole size, not the bytes stored.
    let holds = header.type === 'File' || header.type === 'OldFile' || header.type === 'ContiguousFile' ? size : 0;
    let sparse = false;
    if (header.type === 'SparseFile') {
      sparse = true;
      holds = Math.max(size, tarNumber(block.subarray(483, 495)));
    } else if (this.pending.sparse === true || this.pending.sparseSize !== undefined) {
      sparse = true;
      holds = Math.max(size, Number.isFinite(this.pending.sparseSize) ? this.pending.sparseSize! : 0);
    }
    this.declared += holds;
    if (this.declared > this.ceiling) {
      throw new Error(`entry ${shown()} declares ${formatSize(holds)}${sparse ? ' (stored sparse)' : ''}, which takes the layer over its ceiling: ${ceilingHint(this.ceiling)}`);
    }
    if (sparse && header.type !== 'SparseFile') this.sparse.push(path);
    if (this.pending.xattrs !== undefined) this.xattrs.set(path.replace(/^\.?\//, '').replace(/\/$/, ''), this.pending.xattrs);
  }
}

interface Pending {
  /** A name or link target with a NUL byte in it (node-tar would cut it there). */
  nul?: string;
  xattrs?: Map<string, Buffer>;
  sparse?: boolean;
  sparseSize?: number;
}

const META_TYPES = new Set(['ExtendedHeader', 'OldExtendedHeader', 'GlobalExtendedHeader', 'NextFileHasLongPath', 'NextFileHasLongLinkpath', 'OldGnuLongPath']);

/** A numeric header field: octal text, or base-256 when its first byte has the high bit set. */
function tarNumber(field: Buffer): number {
  if ((field[0]! & 0x80) !== 0) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  const value = parseInt(text, 8);
  return Number.isNaN(value) ? 0 : value;
}
