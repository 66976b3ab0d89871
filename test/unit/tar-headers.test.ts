import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../../src/config/config.js';
import { TarHeaderScanner } from '../../src/unpack/tar-headers.js';
import { TAR_END, tarArchive, tarHeader, type TarEntry } from '../helpers/tar-writer.js';

const GiB = 1024 ** 3;

/** Runs `archive` through a scanner in odd-sized chunks; what came out, and the scanner. */
async function scan(archive: Buffer, ceiling = GiB): Promise<{ out: Buffer; scanner: TarHeaderScanner }> {
  const scanner = new TarHeaderScanner(ceiling);
  const chunks: Buffer[] = [];
  const pieces: Buffer[] = [];
  for (let at = 0; at < archive.length; at += 777) pieces.push(archive.subarray(at, at + 777));
  await pipeline(Readable.from(pieces), scanner, new Writable({ write(chunk: Buffer, _e, done) { chunks.push(chunk); done(); } }));
  return { out: Buffer.concat(chunks), scanner };
}

const refused = (entries: TarEntry[] | Buffer, ceiling?: number): Promise<unknown> => scan(Buffer.isBuffer(entries) ? entries : tarArchive(entries), ceiling).then(() => undefined, (error: Error) => error.message);

describe('TarHeaderScanner', () => {
  it('passes an archive through unchanged and keeps the xattrs node-tar drops', async () => {
    const archive = tarArchive([
      { name: 'dir/', type: 'dir' },
      { name: 'dir/file', content: 'x'.repeat(1000), pax: { 'SCHILY.xattr.user.burrow': 'test', mtime: '1700000000.5' } },
      { name: 'long', longName: `${'n/'.repeat(100)}end`, content: 'y' },
      { name: 'link', type: 'symlink', linkname: 'dir/file' },
    ]);
    const { out, scanner } = await scan(archive);
    expect(out.equals(archive)).toBe(true);
    expect(scanner.xattrs.get('dir/file')?.get('user.burrow')?.toString()).toBe('test');
  });

  it('stops at the end of the archive: trailing data never reaches node-tar', async () => {
    const archive = tarArchive([{ name: 'a', content: 'a' }]);
    const { out } = await scan(Buffer.concat([archive, Buffer.alloc(10 * 1024 * 1024)]));
    expect(out.equals(archive)).toBe(true);
  });

  it('refuses NUL bytes in names and link targets, and names over PATH_MAX or NAME_MAX, naming the entry', async () => {
    expect(await refused([{ name: 'x', pax: { path: Buffer.from('a\0b') } }])).toBe('entry "a\\u0000b" has a NUL byte in its name or link target');
    expect(await refused([{ name: 'x', longName: Buffer.from('evil\0tail') }])).toBe('entry "evil\\u0000tail" has a NUL byte in its name or link target');
    expect(await refused([{ name: 'l', type: 'symlink', linkname: 'y', pax: { linkpath: Buffer.from('/etc\0x') } }])).toMatch(/^entry "\/etc\\u0000x" has a NUL byte/);
    expect(await refused([{ name: 'x', pax: { path: 'p/'.repeat(2100) } }])).toMatch(/^entry "p\/p\/.*" has a name of 4200 bytes, more than PATH_MAX \(4096\)$/);
    expect(await refused([{ name: 'x', pax: { path: `d/${'c'.repeat(256)}` } }])).toMatch(/has a name component of 256 bytes, more than NAME_MAX \(255\)$/);
  });

  it('caps PAX headers and GNU long names at 1 MiB', async () => {
    expect(await refused([{ name: 'x', pax: { comment: 'c'.repeat(1024 * 1024) } }])).toMatch(/^the PAX extended header "PaxHeaders\/entry" holds 1\.0 MiB, more than the 1 MiB allowed$/);
    expect(await refused([{ name: 'x', longName: 'n'.repeat(1024 * 1024 + 1) }])).toMatch(/^the long name "\.\/\.\/@LongLink" holds/);
    expect(await refused([{ name: 'x', pax: { comment: 'c'.repeat(1000 * 1024) } }])).toBeUndefined();
  });

  it('adds up what the entries declare, a sparse file at its full size, against the ceiling', async () => {
    expect(await refused([{ name: 'a', content: 'x'.repeat(600) }, { name: 'b', content: 'x'.repeat(600) }], 1000)).toBe('entry "b" declares 600 bytes, which takes the layer over its ceiling: the most a layer may hold is 1000 bytes (maxLayerSize in burrow\'s config, or BURROW_MAX_LAYER_SIZE)');
    // GNU's old sparse format: the real size sits in the header (offset 483, base-256 past 8 GiB), the body holds only the data.
    const sparse = tarHeader({ name: 'holes', typeflag: 'S' }, 0);
    sparse[483] = 0x80;
    sparse.writeBigUInt64BE(BigInt(100 * GiB), 487);
    sparse.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of sparse) sum += byte;
    sparse.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
    expect(await refused(Buffer.concat([sparse, TAR_END]), 32 * GiB)).toMatch(/^entry "holes" declares 100 GiB \(stored sparse\)/);
    // PAX sparse (GNU 1.0): the real size is a record.
    expect(await refused([{ name: 'GNUSparseFile.0/holes', pax: { 'GNU.sparse.major': '1', 'GNU.sparse.realsize': String(100 * GiB) } }], 32 * GiB)).toMatch(/declares 100 GiB \(stored sparse\)/);
    const small = await scan(tarArchive([{ name: 'GNUSparseFile.0/small', pax: { 'GNU.sparse.major': '1', 'GNU.sparse.realsize': '10' } }]));
    expect(small.scanner.sparse).toEqual(['GNUSparseFile.0/small']);
  });

  it('refuses a tar compressed a second time inside the layer', async () => {
    expect(await refused(gzipSync(tarArchive([{ name: 'a' }])))).toMatch(/compressed a second time/);
  });
});

describe('parseByteSize', () => {
  it('reads bytes and sizes with units of 1024', () => {
    expect(parseByteSize(1024)).toBe(1024);
    expect(parseByteSize('64m')).toBe(64 * 1024 ** 2);
    expect(parseByteSize('32g')).toBe(32 * GiB);
    expect(parseByteSize('2 GiB')).toBe(2 * GiB);
    expect(parseByteSize('1.5k')).toBe(1536);
    expect(parseByteSize('0')).toBeUndefined();
    expect(parseByteSize('lots')).toBeUndefined();
    expect(parseByteSize(-1)).toBeUndefined();
  });
});
