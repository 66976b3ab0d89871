import { createHash } from 'node:crypto';

/**
 * Writes tar archives byte by byte, so tests can make the hostile entries that
 * well-behaved tar writers refuse to produce (`../`, absolute paths, links out).
 */
export interface TarEntry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char';
  content?: string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

const TYPE_FLAG: Record<NonNullable<TarEntry['type']>, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', dir: '5' };

function field(buffer: Buffer, offset: number, length: number, value: string): void {
  buffer.write(value.slice(0, length), offset, length, 'utf8');
}

function octal(buffer: Buffer, offset: number, length: number, value: number): void {
  field(buffer, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  field(block, 0, 100, entry.name);
  octal(block, 100, 8, entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644));
  octal(block, 108, 8, entry.uid ?? 0);
  octal(block, 116, 8, entry.gid ?? 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, 1_700_000_000);
  field(block, 148, 8, '        ');
  field(block, 156, 1, TYPE_FLAG[entry.type ?? 'file']);
  field(block, 157, 100, entry.linkname ?? '');
  field(block, 257, 6, 'ustar\0');
  field(block, 263, 2, '00');
  let sum = 0;
  for (const byte of block) sum += byte;
  field(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

export function tarArchive(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.type === undefined || entry.type === 'file' ? (entry.content ?? '') : '');
    parts.push(header(entry, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A `docker save` archive of one single-layer image, uncompressed. */
export function dockerArchive(tag: string, layers: Buffer[], config: Record<string, unknown> = {}): Buffer {
  const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
  const imageConfig = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...config },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => `sha256:${sha(layer)}`) },
  }));
  const configName = `${sha(imageConfig)}.json`;
  const entries: TarEntry[] = [{ name: configName, content: imageConfig.toString('latin1') }];
  const layerNames = layers.map((layer, index) => `layer${index}/layer.tar`);
  const manifest = JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: layerNames }]);
  entries.push({ name: 'manifest.json', content: manifest });
  // Layer tars are binary: write them as raw entries.
  const binary: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.content ?? '', 'latin1');
    binary.push(header(entry, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  layers.forEach((layer, index) => {
    binary.push(header({ name: layerNames[index]! }, layer.length), layer, Buffer.alloc((512 - (layer.length % 512)) % 512));
  });
  binary.push(Buffer.alloc(1024));
  return Buffer.concat(binary);
}
