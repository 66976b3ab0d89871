import { Transform, type TransformCallback } from 'node:stream';

/**
 * node-tar drops the PAX records it does not know, and extended attributes
 * (`SCHILY.xattr.NAME`) are among them. This pass-through scanner reads the tar
 * stream's headers on the side and reports each entry's xattrs by path.
 */
export class PaxXattrScanner extends Transform {
  readonly xattrs = new Map<string, Map<string, Buffer>>();
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes of entry data still to skip (or to collect, for a PAX header). */
  private remaining = 0;
  private padding = 0;
  private collecting: Buffer[] | undefined;
  private pending: Map<string, Buffer> | undefined;
  private pendingPath: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.scan(chunk);
    callback(null, chunk);
  }

  private scan(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, this.buffer.length);
        if (take === 0) return;
        this.collecting?.push(this.buffer.subarray(0, take));
        this.buffer = this.buffer.subarray(take);
        this.remaining -= take;
        if (this.remaining > 0) return;
        if (this.collecting !== undefined) {
          this.parsePax(Buffer.concat(this.collecting));
          this.collecting = undefined;
        }
        continue;
      }
      if (this.padding > 0) {
        const take = Math.min(this.padding, this.buffer.length);
        this.buffer = this.buffer.subarray(take);
        this.padding -= take;
        if (this.padding > 0) return;
        continue;
      }
      if (this.buffer.length < 512) return;
      const header = this.buffer.subarray(0, 512);
      this.buffer = this.buffer.subarray(512);
      if (header.every((byte) => byte === 0)) continue;
      const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8);
      const type = String.fromCharCode(header[156]!);
      this.remaining = size;
      this.padding = (512 - (size % 512)) % 512;
      if (type === 'x') {
        this.collecting = [];
        continue;
      }
      if (type === 'g' || type === 'L' || type === 'K') continue;
      // A real entry: the xattrs of the PAX header before it belong to it.
      if (this.pending !== undefined) {
        const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/, '');
        const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/, '');
        const path = this.pendingPath ?? (prefix === '' ? name : `${prefix}/${name}`);
        this.xattrs.set(path.replace(/^\.?\//, '').replace(/\/$/, ''), this.pending);
      }
      this.pending = undefined;
      this.pendingPath = undefined;
    }
  }

  private parsePax(body: Buffer): void {
    let at = 0;
    while (at < body.length) {
      const space = body.indexOf(0x20, at);
      if (space < 0) return;
      const length = Number(body.subarray(at, space).toString('latin1'));
      if (!Number.isInteger(length) || length <= 0) return;
      const record = body.subarray(space + 1, at + length - 1);
      at += length;
      const equals = record.indexOf(0x3d);
      if (equals < 0) continue;
      const key = record.subarray(0, equals).toString('utf8');
      const value = record.subarray(equals + 1);
      if (key === 'path') this.pendingPath = value.toString('utf8');
      if (key.startsWith('SCHILY.xattr.')) {
        this.pending ??= new Map();
        this.pending.set(key.slice('SCHILY.xattr.'.length), Buffer.from(value));
      }
    }
  }
}
