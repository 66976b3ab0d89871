import { createHash } from 'node:crypto';

/**
 * Writes tar archives byte by byte, so tests can make the hostile entries that
 * well-behaved tar writers refuse to produce (`../`, absolute paths, links out,
 * NUL bytes in names, oversized PAX headers, types tar does not define).
 */
export interface TarEntry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  /** A raw type flag, for types tar does not define. */
  typeflag?: string;
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  devmajor?: number;
  devminor?: number;
  /** Records of a PAX extended header ('x') written before the entry. */
  pax?: Record<string, string | Buffer>;
  /** A GNU long name ('L' header) written before the entry. */
  longName?: string | Buffer;
}

const TYPE_FLAG: Record<NonNullable<TarEntry['type']>, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

function field(buffer: Buffer, offset: number, length: number, value: string | Buffer): void {
  (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).copy(buffer, offset, 0, length);
}

function octal(buffer: Buffer, offset: number, length: number, value: number): void {
  field(buffer, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/** One 512-byte ustar header. */
export function tarHeader(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  field(block, 0, 100, entry.name);
  octal(block, 100, 8, entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644));
  octal(block, 108, 8, entry.uid ?? 0);
  octal(block, 116, 8, entry.gid ?? 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, 1_700_000_000);
  field(block, 148, 8, '        ');
  field(block, 156, 1, entry.typeflag ?? TYPE_FLAG[entry.type ?? 'file']);
  field(block, 157, 100, entry.linkname ?? '');
  field(block, 257, 6, 'ustar\0');
  field(block, 263, 2, '00');
  octal(block, 329, 8, entry.devmajor ?? 0);
  octal(block, 337, 8, entry.devminor ?? 0);
  let sum = 0;
  for (const byte of block) sum += byte;
  field(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

const padding = (length: number): Buffer => Buffer.alloc((512 - (length % 512)) % 512);

/** PAX records: "LEN key=value\n", LEN counting itself. */
export function paxRecords(records: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${key}=`), typeof value === 'string' ? Buffer.from(value) : value, Buffer.from('\n')]);
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length = String(length).length + body.length;
    parts.push(Buffer.from(String(length)), body);
  }
  return Buffer.concat(parts);
}

/** The blocks of one entry, its PAX or long-name header first. */
export function tarEntryBlocks(entry: TarEntry): Buffer[] {
  const blocks: Buffer[] = [];
  if (entry.pax !== undefined) {
    const body = paxRecords(entry.pax);
    blocks.push(tarHeader({ name: 'PaxHeaders/entry', typeflag: 'x' }, body.length), body, padding(body.length));
  }
  if (entry.longName !== undefined) {
    const body = Buffer.concat([typeof entry.longName === 'string' ? Buffer.from(entry.longName) : entry.longName, Buffer.from([0])]);
    blocks.push(tarHeader({ name: '././@LongLink', typeflag: 'L' }, body.length), body, padding(body.length));
  }
  const data = entry.type === undefined || entry.type === 'file' ? (typeof entry.content === 'string' ? Buffer.from(entry.content) : (entry.content ?? Buffer.alloc(0))) : Buffer.alloc(0);
  blocks.push(tarHeader(entry, data.length), data, padding(data.length));
  return blocks;
}

/** The end of an archive: two zero blocks. */
export const TAR_END = Buffer.alloc(1024);

export function tarArchive(entries: TarEntry[]): Buffer {
  return Buffer.concat([...entries.flatMap(tarEntryBlocks), TAR_END]);
}

/** A layer as stored: its blob (compressed or not) and the digest of its uncompressed tar. */
export interface LayerBlob {
  blob: Buffer;
  diffId: string;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A `docker save` archive of one image; a Buffer layer is an uncompressed tar. */
export function dockerArchive(tag: string, layers: Array<Buffer | LayerBlob>, config: Record<string, unknown> = {}): Buffer {
  const blobs = layers.map((layer) => (Buffer.isBuffer(layer) ? { blob: layer, diffId: `sha256:${sha256(layer)}` } : layer));
  const imageConfig = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...config },
    rootfs: { type: 'layers', diff_ids: blobs.map((layer) => layer.diffId) },
  }));
  const configName = `${sha256(imageConfig)}.json`;
  const layerNames = blobs.map((_layer, index) => `layer${index}/layer.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: layerNames }]));
  const files: Array<[string, Buffer]> = [[configName, imageConfig], ['manifest.json', manifest], ...blobs.map((layer, index): [string, Buffer] => [layerNames[index]!, layer.blob])];
  return Buffer.concat([...files.flatMap(([name, data]) => [tarHeader({ name }, data.length), data, padding(data.length)]), TAR_END]);
}
