import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseByteSize } from '../../src/config/config.js';
import { idMapping, unshareArgs } from '../../src/userns/idmap.js';
import { unshareProgram } from '../../src/util/host-tools.js';
import { paxRecords, TAR_END, tarArchive, tarEntryBlocks, tarHeader, type TarEntry } from '../helpers/tar-writer.js';

/**
 * The layer extractor (native/burrow-unpack.c) on its own: each archive goes
 * into a fresh directory through `unshare -r` (the extractor chroots, which
 * needs a user namespace), as the test user. The hostile corpus
 * (test/e2e/hostile-layers.test.ts) runs it inside burrow; this checks its
 * limits and its output entry by entry.
 */
const EXTRACTOR = new URL('../../build/native/burrow-unpack', import.meta.url).pathname;
const libc = (createRequire(import.meta.url)('koffi') as typeof import('koffi')).load('libc.so.6');
const lgetxattr = libc.func('long lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)') as (path: string, name: string, value: Buffer, size: number) => number;
/** The value of the extended attribute `name` of `path`, or undefined. */
function xattr(path: string, name: string): string | undefined {
  const value = Buffer.alloc(4096);
  const length = lgetxattr(path, name, value, value.length);
  return length < 0 ? undefined : value.subarray(0, length).toString();
}
/** A build with -fsanitize=address maps terabytes of shadow memory: no data limit holds it. */
const SANITIZED = readFileSync(EXTRACTOR).includes('__asan_init');
const GiB = 1024 ** 3;
const scratch = mkdtempSync(join(tmpdir(), 'burrow-extractor-'));
let count = 0;

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Extracted {
  dir: string;
  status: number | null;
  stderr: string;
  report?: { skipped: string[]; summary: { entries: number; bytes: number; digest: string } };
}

/** The user's subordinate ranges, as burrow maps them (undefined without any). */
const mapping = idMapping();
const SUBORDINATE = mapping.single ? undefined : mapping;

interface ExtractOptions {
  /** `mapped` keeps owners (under `unshare -r` only id 0 is mapped); `subordinate` maps the user's ranges, as burrow does. */
  owners?: 'single' | 'mapped' | 'subordinate';
  /** prlimit(1) options the extractor runs under. */
  limits?: string[];
}

function extract(archive: Buffer, ceiling: number | bigint = GiB, options: ExtractOptions = {}): Extracted {
  const dir = join(scratch, String(count++));
  mkdirSync(dir);
  const namespace = options.owners === 'subordinate' ? [unshareProgram(), ...unshareArgs(SUBORDINATE!)] : ['unshare', '-r'];
  const owners = options.owners === 'subordinate' ? 'mapped' : options.owners ?? 'single';
  const command = [...(options.limits === undefined ? [] : ['prlimit', ...options.limits, '--']), ...namespace, '--', EXTRACTOR, 'extract', dir, owners, String(ceiling)];
  // A hung extractor is killed, so the test fails on its output instead of waiting forever.
  const result = spawnSync(command[0]!, command.slice(1), { input: archive, maxBuffer: 64 * 1024 * 1024, timeout: 30_000 });
  const stdout = result.stdout.toString();
  return { dir, status: result.status, stderr: result.stderr.toString().trim(), ...(result.status === 0 ? { report: JSON.parse(stdout) as Extracted['report'] } : {}) };
}

/** The one-line error for `entries` (or a raw archive), or undefined when it unpacked. */
function refused(entries: TarEntry[] | Buffer, ceiling?: number | bigint, options?: ExtractOptions): string | undefined {
  const result = extract(Buffer.isBuffer(entries) ? entries : tarArchive(entries), ceiling, options);
  if (result.status === 0) return undefined;
  expect(result.stderr.split('\n')).toHaveLength(1);
  return result.stderr;
}

function summarize(dir: string): unknown {
  const result = spawnSync('unshare', ['-r', '--', EXTRACTOR, 'summarize', dir]);
  expect(result.status, result.stderr.toString()).toBe(0);
  return (JSON.parse(result.stdout.toString()) as { summary: unknown }).summary;
}

describe('burrow-unpack extract', () => {
  it('writes files, directories, links, modes and times as the archive says, and counts what it wrote', () => {
    const { dir, status, stderr, report } = extract(tarArchive([
      { name: './', type: 'dir', mode: 0o755 },
      { name: 'dir/', type: 'dir', mode: 0o750 },
      { name: 'dir/file', content: 'x'.repeat(1000), pax: { 'SCHILY.xattr.user.burrow': 'test', 'SCHILY.xattr.security.capability': 'cap', mtime: '1600000000.5' } },
      { name: 'setuid', content: '#!/bin/sh\n', mode: 0o4755 },
      { name: 'long', longName: `${'n/'.repeat(100)}end`, content: 'y' },
      { name: 'link', type: 'symlink', linkname: 'dir/file' },
      { name: 'hard', type: 'hardlink', linkname: 'dir/file' },
      { name: 'implicit/parent/file', content: 'z' },
    ]));
    expect(status, stderr).toBe(0);
    expect(readFileSync(join(dir, 'dir/file'), 'utf8')).toBe('x'.repeat(1000));
    expect(lstatSync(join(dir, 'dir')).mode & 0o7777).toBe(0o750);
    expect(lstatSync(join(dir, 'setuid')).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(join(dir, 'dir/file')).mtimeMs).toBe(1600000000500);
    // Directories' times are set last, after their content was written.
    expect(lstatSync(join(dir, 'dir')).mtimeMs).toBe(1_700_000_000_000);
    expect(readlinkSync(join(dir, 'link'))).toBe('dir/file');
    expect(lstatSync(join(dir, 'hard')).ino).toBe(lstatSync(join(dir, 'dir/file')).ino);
    expect(readFileSync(join(dir, `${'n/'.repeat(100)}end`), 'utf8')).toBe('y');
    expect(statSync(join(dir, 'implicit/parent')).mode & 0o777).toBe(0o755);
    expect(report?.skipped).toEqual([]);
    // dir, dir/file, setuid, link, hard, implicit, implicit/parent, implicit/parent/file, and n/ ×100 + end.
    expect(report?.summary.entries).toBe(8 + 101);
    // The hardlink's bytes count once.
    expect(report?.summary.bytes).toBe(1000 + 10 + 1 + 1);
    expect(summarize(dir)).toEqual(report?.summary);
  });

  it('extract -: takes its directory off stdin (NUL-ended, before the archive), chroots there, and unpacks the rest; an empty stdin is an extractor not needed', () => {
    const dir = join(scratch, String(count++));
    mkdirSync(dir);
    const archive = tarArchive([{ name: 'from-stdin', content: 'the layer' }]);
    const run = (input: Buffer): ReturnType<typeof spawnSync> => spawnSync('unshare', ['-r', '--', EXTRACTOR, 'extract', '-', 'single', String(GiB)], { input, timeout: 30_000 });
    const result = run(Buffer.concat([Buffer.from(`${dir}\x00`), archive]));
    expect(result.status, result.stderr.toString()).toBe(0);
    expect(readFileSync(join(dir, 'from-stdin'), 'utf8')).toBe('the layer');
    expect((JSON.parse(result.stdout.toString()) as { summary: { entries: number } }).summary.entries).toBe(1);
    // Not needed: nothing written, nothing said.
    const idle = run(Buffer.alloc(0));
    expect([idle.status, idle.stdout.toString(), idle.stderr.toString()]).toEqual([0, '', '']);
    // A relative directory, or one cut short, is refused in one line before any chroot.
    expect(run(Buffer.from('relative\x00')).stderr.toString().trim()).toBe('burrow-unpack: the directory on stdin must be an absolute path');
    expect(run(Buffer.from(dir)).stderr.toString().trim()).toBe('burrow-unpack: stdin ended in the middle of the directory');
  });

  it('summarize sees a change the extractor did not make', () => {
    const { dir, report } = extract(tarArchive([{ name: 'a', content: 'a' }, { name: 'b', content: 'b' }]));
    writeFileSync(join(dir, 'b'), 'bb');
    expect(summarize(dir)).not.toEqual(report?.summary);
    rmSync(join(dir, 'b'));
    expect((summarize(dir) as { entries: number }).entries).toBe(1);
  });

  it('turns whiteouts into overlay whiteouts after the layer, keeping the layer\'s own entries', () => {
    const { dir, status, stderr } = extract(tarArchive([
      { name: '.wh.gone' },
      { name: 'kept', content: 'own' },
      { name: '.wh.kept' },
      { name: 'opaque/', type: 'dir' },
      { name: 'opaque/.wh..wh..opq' },
      { name: 'made/.wh.deep' },
    ]));
    expect(status, stderr).toBe(0);
    const gone = lstatSync(join(dir, 'gone'));
    expect(gone.isCharacterDevice() && gone.rdev === 0).toBe(true);
    expect(readFileSync(join(dir, 'kept'), 'utf8')).toBe('own');
    expect(lstatSync(join(dir, 'made/deep')).isCharacterDevice()).toBe(true);
    expect(readdirSync(join(dir, 'opaque'))).toEqual([]);
  });

  it('never writes through a symlink: entries, hardlink targets and whiteouts behind one are skipped with a note', () => {
    const outside = join(scratch, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'victim'), 'original');
    const { dir, status, stderr, report } = extract(tarArchive([
      { name: 'out', type: 'symlink', linkname: outside },
      { name: 'up', type: 'symlink', linkname: '../../../../..' },
      { name: 'out/written', content: 'x' },
      { name: `up${outside}/written`, content: 'x' },
      { name: 'hl', type: 'hardlink', linkname: 'out/victim' },
      { name: 'out/.wh.victim' },
      { name: '../escape', content: 'x' },
      { name: 'file', content: 'f' },
      { name: 'file/under', content: 'x' },
    ]));
    expect(status, stderr).toBe(0);
    expect(readdirSync(outside)).toEqual(['victim']);
    expect(readdirSync(dir).sort()).toEqual(['file', 'out', 'up']);
    expect(report?.skipped).toEqual([
      `out/written (through /out, which is not a directory of the layer)`,
      `up${outside}/written (through /up, which is not a directory of the layer)`,
      'hl (hard link to out/victim, through a link)',
      '../escape (path leaves the layer)',
      'file/under (through /file, which is not a directory of the layer)',
      'out/.wh.victim (a whiteout through /out, which is not a directory of the layer)',
    ]);
  });

  it('replaces what the layer already wrote: a file by a directory, a directory by a file, a file by a link', () => {
    const { dir, status, stderr } = extract(tarArchive([
      { name: 'a', content: 'file' },
      { name: 'a/', type: 'dir' },
      { name: 'a/inner', content: 'inner' },
      { name: 'b/', type: 'dir' },
      { name: 'b/deep/x', content: 'x' },
      { name: 'b', content: 'now a file' },
      { name: 'c', content: 'c' },
      { name: 'c', type: 'symlink', linkname: 'a/inner' },
    ]));
    expect(status, stderr).toBe(0);
    expect(readFileSync(join(dir, 'a/inner'), 'utf8')).toBe('inner');
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('now a file');
    expect(readlinkSync(join(dir, 'c'))).toBe('a/inner');
  });

  it('skips device nodes, FIFOs and undefined types with a note', () => {
    const { dir, report } = extract(tarArchive([
      { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 },
      { name: 'disk', type: 'block', devmajor: 8, devminor: 0 },
      { name: 'fifo', type: 'fifo' },
      { name: 'socket', typeflag: 'Z', content: 'data of an unknown entry' },
      { name: 'ok', content: 'ok' },
    ]));
    expect(report?.skipped).toEqual(['/dev/null', '/disk', '/fifo', '/socket (not a type of file tar defines)']);
    expect(readFileSync(join(dir, 'ok'), 'utf8')).toBe('ok');
  });

  it('reads nothing past the end of the archive, and drains it', () => {
    const { dir, status } = extract(Buffer.concat([tarArchive([{ name: 'a', content: 'a' }]), tarArchive([{ name: 'after', content: 'x' }]), Buffer.alloc(4 * 1024 * 1024)]));
    expect(status).toBe(0);
    expect(readdirSync(dir)).toEqual(['a']);
  });

  it('refuses NUL bytes in names and link targets, and names over PATH_MAX or NAME_MAX, naming the entry', () => {
    expect(refused([{ name: 'x', pax: { path: Buffer.from('a\0b') } }])).toBe('entry "a\\u0000b" has a NUL byte in its name or link target');
    expect(refused([{ name: 'x', longName: Buffer.from('evil\0tail') }])).toBe('entry "evil\\u0000tail" has a NUL byte in its name or link target');
    expect(refused([{ name: 'l', type: 'symlink', linkname: 'y', pax: { linkpath: Buffer.from('/etc\0x') } }])).toMatch(/^entry "\/etc\\u0000x" has a NUL byte/);
    expect(refused([{ name: 'x', pax: { path: 'p/'.repeat(2100) } }])).toMatch(/^entry "p\/p\/.*" has a name of 4200 bytes, more than PATH_MAX \(4096\)$/);
    expect(refused([{ name: 'x', pax: { path: `d/${'c'.repeat(256)}` } }])).toMatch(/has a name component of 256 bytes, more than NAME_MAX \(255\)$/);
  });

  it('caps PAX headers and GNU long names at 1 MiB', () => {
    expect(refused([{ name: 'x', pax: { comment: 'c'.repeat(1024 * 1024) } }])).toMatch(/^the PAX extended header "PaxHeaders\/entry" holds 1\.0 MiB, more than the 1 MiB allowed$/);
    expect(refused([{ name: 'x', longName: 'n'.repeat(1024 * 1024 + 1) }])).toMatch(/^the long name "\.\/\.\/@LongLink" holds/);
    expect(refused([{ name: 'x', pax: { comment: 'c'.repeat(1000 * 1024) } }])).toBeUndefined();
  });

  it('adds up what the entries declare, a sparse file at its full size, against the ceiling', () => {
    expect(refused([{ name: 'a', content: 'x'.repeat(600) }, { name: 'b', content: 'x'.repeat(600) }], 1000)).toBe('entry "b" declares 600 bytes, which takes the layer over its ceiling: the most a layer may hold is 1000 bytes (maxLayerSize in burrow\'s config, or BURROW_MAX_LAYER_SIZE)');
    // GNU's old sparse format: the real size sits in the header (offset 483, base-256 past 8 GiB), the body holds only the data.
    const sparse = tarHeader({ name: 'holes', typeflag: 'S' }, 0);
    sparse[483] = 0x80;
    sparse.writeBigUInt64BE(BigInt(100 * GiB), 487);
    sparse.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of sparse) sum += byte;
    sparse.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
    expect(refused(Buffer.concat([sparse, TAR_END]), 32 * GiB)).toMatch(/^entry "holes" declares 100 GiB \(stored sparse\)/);
    // PAX sparse (GNU 1.0): the real size is a record.
    expect(refused([{ name: 'GNUSparseFile.0/holes', pax: { 'GNU.sparse.major': '1', 'GNU.sparse.realsize': String(100 * GiB) } }], 32 * GiB)).toMatch(/declares 100 GiB \(stored sparse\)/);
    const small = extract(tarArchive([{ name: 'GNUSparseFile.0/small', pax: { 'GNU.sparse.major': '1', 'GNU.sparse.realsize': '10' } }]));
    expect(small.report?.skipped).toEqual(['/GNUSparseFile.0/small (a sparse file: not supported)']);
    expect(readdirSync(small.dir)).toEqual([]);
  });

  it('refuses a tar compressed a second time, a header with a wrong checksum, and an archive cut short', () => {
    expect(refused(gzipSync(tarArchive([{ name: 'a' }])))).toMatch(/compressed a second time/);
    const archive = tarArchive([{ name: 'a', content: 'a'.repeat(2000) }]);
    const corrupt = Buffer.from(archive);
    corrupt[10] = 0x41;
    expect(refused(corrupt)).toBe('the layer is not a valid tar archive: the header at byte 0 has a wrong checksum');
    expect(refused(archive.subarray(0, 1024))).toMatch(/ends in the middle of an entry/);
  });
});

/** A PAX extended header ('x') with `body` as it is, whatever it holds. */
function paxBlocks(body: Buffer | string): Buffer {
  const bytes = Buffer.from(body);
  return Buffer.concat([tarHeader({ name: 'PaxHeaders/raw', typeflag: 'x' }, bytes.length), bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512)]);
}

/** Recomputes a header's checksum after a test changed its bytes. */
function withChecksum(header: Buffer): Buffer {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return header;
}

describe('burrow-unpack against malformed archives', () => {
  it('refuses a PAX header whose record lengths wrap around or lie, instead of looping over it', () => {
    const file = Buffer.concat([...tarEntryBlocks({ name: 'f', content: 'hi' }), TAR_END]);
    const malformed = /^the layer is not a valid tar archive: the PAX extended header at byte 0 has a malformed record$/;
    // 12 + (2^64 - 12) wraps to 0: the parser went back to the first record, for ever.
    expect(refused(Buffer.concat([paxBlocks('12 path=abc\n18446744073709551604 x\n'), file]))).toMatch(malformed);
    // Longer than the header, shorter than its own length field, no newline, no '='.
    expect(refused(Buffer.concat([paxBlocks('99 path=abc\n'), file]))).toMatch(malformed);
    expect(refused(Buffer.concat([paxBlocks('3 x\n'), file]))).toMatch(malformed);
    expect(refused(Buffer.concat([paxBlocks('12 path=abcd'), file]))).toMatch(malformed);
    expect(refused(Buffer.concat([paxBlocks('11 pathabc\n'), file]))).toMatch(malformed);
    // Numbers that do not parse, or overflow 64 bits (2^64 + 3 read as 3), are not taken for something else.
    expect(refused([{ name: 'f', content: 'abc', pax: { size: '18446744073709551619' } }])).toMatch(malformed);
    expect(refused([{ name: 'f', content: 'abc', pax: { size: '3x' } }])).toMatch(malformed);
    expect(refused([{ name: 'f', content: 'abc', pax: { uid: '-1' } }])).toMatch(malformed);
    expect(refused([{ name: 'f', content: 'abc', pax: { mtime: '99999999999999999999999' } }])).toMatch(malformed);
    expect(refused([{ name: 'f', content: 'abc', pax: { mtime: '12x' } }])).toMatch(malformed);
  });

  it('takes an empty name for the root (a file there is skipped, a directory gives the root its mode)', () => {
    // The cleaned name "." is longer than the empty one it replaces: it was written one byte past its copy (AddressSanitizer shows it).
    const { dir, status, stderr, report } = extract(tarArchive([{ name: '', content: 'x' }, { name: '', type: 'dir', mode: 0o750 }, { name: 'kept', content: 'k' }]));
    expect(status, stderr).toBe(0);
    expect(report?.skipped).toEqual([' (the layer\'s root can only be a directory)']);
    expect(lstatSync(dir).mode & 0o777).toBe(0o750);
    expect(readdirSync(dir)).toEqual(['kept']);
  });

  it.skipIf(SANITIZED)('holds what it defers to the end of the layer, and what it skipped, in bounded memory', () => {
    // Names of 4 KiB (16 components of 250 bytes), each entry repeated: what the
    // extractor kept per entry grew with the stream (about its size, for a stream
    // that compresses 200 to 1), not with what the layer writes.
    const long = Array.from({ length: 16 }, (_, index) => String.fromCharCode(97 + index).repeat(250)).join('/');
    const times = 2000;
    const repeated = (entry: TarEntry): Buffer[] => Array<Buffer>(times).fill(Buffer.concat(tarEntryBlocks(entry)));
    const archive = Buffer.concat([
      ...repeated({ name: 'd', type: 'dir', pax: { path: `${long}/` } }),
      ...repeated({ name: 'w', pax: { path: `${long}/.wh.hidden` } }),
      ...repeated({ name: 'o', pax: { path: `${long}/.wh..wh..opq` } }),
      ...repeated({ name: 'c', type: 'char', pax: { path: `${long}/device` } }),
      TAR_END,
    ]);
    // 16 MiB of data (heap and writable mappings) for a 40 MiB stream.
    const { dir, status, stderr, report } = extract(archive, GiB, { limits: ['--data=16777216'] });
    expect(status, stderr).toBe(0);
    expect(lstatSync(join(dir, long)).isDirectory()).toBe(true);
    expect(lstatSync(join(dir, long, 'hidden')).isCharacterDevice()).toBe(true);
    // The report stays small too: the first notes, then how many more there were.
    expect(JSON.stringify(report).length).toBeLessThan(1024 * 1024);
    expect(report?.skipped[0]).toBe(`/${long}/device`);
    expect(report?.skipped.at(-1)).toMatch(new RegExp(`^and ${times - report!.skipped.length + 1} more entries, not listed$`));
  });

  it('gives a directory listed twice the time of its later entry, as tar does', () => {
    const { dir, status, stderr } = extract(tarArchive([
      { name: 'd/', type: 'dir', pax: { mtime: '1000000000' } },
      { name: 'd/inner/', type: 'dir', pax: { mtime: '1100000000' } },
      { name: 'd/', type: 'dir', pax: { mtime: '1200000000' } },
    ]));
    expect(status, stderr).toBe(0);
    expect(lstatSync(join(dir, 'd')).mtimeMs).toBe(1_200_000_000_000);
    expect(lstatSync(join(dir, 'd/inner')).mtimeMs).toBe(1_100_000_000_000);
  });

  it('passes over the extension blocks of an old GNU sparse header, never taking them for data nor its data for headers', () => {
    // GNU's old sparse format: when the header's isextended byte (482) is set, blocks of
    // sparse map follow it, outside its size, up to one whose own byte 504 is 0.
    const sparse = tarHeader({ name: 'holes', typeflag: 'S' }, 512);
    sparse[482] = 1;
    const extension = Buffer.alloc(512);
    // The file's 512 bytes of data, which happen to spell a tar header.
    const data = tarHeader({ name: 'smuggled', content: '' }, 0);
    const { dir, status, stderr, report } = extract(Buffer.concat([withChecksum(sparse), extension, data, ...tarEntryBlocks({ name: 'after', content: 'a' }), TAR_END]));
    expect(status, stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(['after']);
    expect(report?.skipped).toEqual(['/holes (a sparse file: not supported)']);
  });

  it('refuses headers after a lone zero block (the end of an archive is two), as Go\'s archive/tar does', () => {
    const a = tarEntryBlocks({ name: 'a', content: 'a' });
    // Entries GNU tar stops before and Docker refuses were unpacked.
    expect(refused(Buffer.concat([...a, Buffer.alloc(512), ...tarEntryBlocks({ name: 'hidden', content: 'h' }), TAR_END]))).toBe('the layer is not a valid tar archive: the zero block at byte 1024 is followed by a header, not by a second zero block');
    // One zero block and the end of the stream: accepted, as tar accepts it.
    const { dir, status } = extract(Buffer.concat([...a, Buffer.alloc(512)]));
    expect(status).toBe(0);
    expect(readdirSync(dir)).toEqual(['a']);
  });

  it('reads base-256 numbers whole, with the bits of their first byte and their sign', () => {
    // 0x81 and eleven bytes: 2^88 + 1, past 64 bits. The first byte's bits were dropped: a size of 1.
    const big = tarHeader({ name: 'big' }, 1);
    big.fill(0, 124, 136);
    big[124] = 0x81;
    big[135] = 1;
    expect(refused(Buffer.concat([withChecksum(big), Buffer.from('x'), Buffer.alloc(511), TAR_END]))).toMatch(/^entry "big" declares .*, which takes the layer over its ceiling/);
    // A negative size (-2) is no size at all.
    const negative = tarHeader({ name: 'negative' }, 0);
    negative.fill(0xff, 124, 136);
    negative[135] = 0xfe;
    expect(refused(Buffer.concat([withChecksum(negative), TAR_END]))).toMatch(/^entry "negative" declares .*, which takes the layer over its ceiling/);
    // Times: 2^32 + 1 seconds, and -2 (a second earlier than -1).
    const late = tarHeader({ name: 'late' }, 0);
    late.fill(0, 136, 148);
    late[136] = 0x80;
    late[143] = 1;
    late[147] = 1;
    const early = tarHeader({ name: 'early' }, 0);
    early.fill(0xff, 136, 148);
    early[147] = 0xfe;
    const { dir, status, stderr } = extract(Buffer.concat([withChecksum(late), withChecksum(early), TAR_END]));
    expect(status, stderr).toBe(0);
    expect(lstatSync(join(dir, 'late')).mtimeMs).toBe((2 ** 32 + 1) * 1000);
    expect(lstatSync(join(dir, 'early')).mtimeMs).toBe(-2000);
  });

  it('names entries as Go\'s archive/tar (Docker, containerd, the scanners) names them', () => {
    const longName = (name: string): Buffer => {
      const body = Buffer.from(`${name}\0`);
      return Buffer.concat([tarHeader({ name: '././@LongLink', typeflag: 'L' }, body.length), body, Buffer.alloc(512 - body.length)]);
    };
    const { dir, status, stderr } = extract(Buffer.concat([
      // A GNU long name wins over a PAX path, whichever comes first.
      longName('long-name-first'),
      paxBlocks(paxRecords({ path: 'pax-second' })),
      ...tarEntryBlocks({ name: 'header-1', content: '1' }),
      paxBlocks(paxRecords({ path: 'pax-first' })),
      longName('long-name-second'),
      ...tarEntryBlocks({ name: 'header-2', content: '2' }),
      // A second PAX header replaces the first: its records do not add up.
      paxBlocks(paxRecords({ path: 'replaced-pax' })),
      paxBlocks(paxRecords({ mtime: '1' })),
      ...tarEntryBlocks({ name: 'header-3', content: '3' }),
      // A typeless (pre-POSIX) entry whose name ends in a slash is a directory.
      tarHeader({ name: 'legacy/', typeflag: '\0', mode: 0o755 }, 0),
      ...tarEntryBlocks({ name: 'legacy/inner', content: 'i' }),
      TAR_END,
    ]));
    expect(status, stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['header-3', 'legacy', 'long-name-first', 'long-name-second']);
    expect(lstatSync(join(dir, 'header-3')).mtimeMs).toBe(1000);
    expect(readFileSync(join(dir, 'legacy/inner'), 'utf8')).toBe('i');
  });

  it('refuses owners past 32 bits instead of cutting them down to another id', () => {
    // 2^32 was given to chown as 0 (root of the image), 2^32 - 1 as chown's "leave it as it is".
    const outside = /^cannot give \/f its owner: the image uses ids outside your subordinate range/;
    expect(refused([{ name: 'f', content: 'x', pax: { uid: '4294967296' } }], GiB, { owners: 'mapped' })).toMatch(outside);
    expect(refused([{ name: 'f', content: 'x', pax: { gid: '4294967295' } }], GiB, { owners: 'mapped' })).toMatch(outside);
    expect(refused([{ name: 'f', type: 'dir', uid: 0, pax: { uid: '4294967296' } }], GiB, { owners: 'mapped' })).toMatch(outside);
    expect(refused([{ name: 'f', content: 'x' }], GiB, { owners: 'mapped' })).toBeUndefined();
  });

  it('keeps the image\'s user.* extended attributes but not the overlay drivers\' own', () => {
    // user.overlay.opaque=x and user.overlay.whiteout on an empty file made it a whiteout
    // under the overlay driver (Linux 6.7's xwhiteouts) and an empty file under the others.
    const { dir, status, stderr } = extract(tarArchive([
      { name: 'd/', type: 'dir', pax: { 'SCHILY.xattr.user.overlay.opaque': 'x', 'SCHILY.xattr.user.kept': 'd' } },
      { name: 'd/victim', pax: { 'SCHILY.xattr.user.overlay.whiteout': 'y', 'SCHILY.xattr.user.fuseoverlayfs.opaque': 'y', 'SCHILY.xattr.user.kept': 'f' } },
      { name: 'd/.wh..wh..opq' },
    ]));
    expect(status, stderr).toBe(0);
    expect([xattr(join(dir, 'd'), 'user.kept'), xattr(join(dir, 'd/victim'), 'user.kept')]).toEqual(['d', 'f']);
    expect([xattr(join(dir, 'd/victim'), 'user.overlay.whiteout'), xattr(join(dir, 'd/victim'), 'user.fuseoverlayfs.opaque')]).toEqual([undefined, undefined]);
    // The layer's own opaque marker is still set, by the extractor.
    expect(xattr(join(dir, 'd'), 'user.overlay.opaque')).toBe('y');
  });

  it('unpacks and counts the deepest tree a name can make (2047 directories), and replaces one', () => {
    // The count's walk kept a 4 KiB buffer in each level's frame: 2047 levels overflowed an 8 MiB stack.
    const deep = `${'a/'.repeat(2047)}f`;
    const { dir, status, stderr, report } = extract(tarArchive([
      { name: 'x', pax: { path: deep }, content: 'deep' },
      { name: 'y', pax: { path: `${'b/'.repeat(2046)}g` }, content: 'deep' },
      { name: 'b', content: 'in place of a deep tree' },
    ]));
    try {
      expect(status, stderr).toBe(0);
      // a/ ×2047 and f (its name is past what a path from here may hold), and the file b.
      expect(report?.summary).toMatchObject({ entries: 2047 + 1 + 1, bytes: 4 + 23 });
      expect(summarize(dir)).toEqual(report?.summary);
    } finally {
      // Node's recursive rmSync overflows its own stack on this tree.
      spawnSync('rm', ['-rf', dir]);
    }
  });

  it('adds up what entries declare without wrapping around, whatever the ceiling', () => {
    // The extractor takes any 64-bit ceiling: 2^64 - 1 and 1 more summed to 0.
    const sparse = (name: string, size: bigint): TarEntry => ({ name, pax: { 'GNU.sparse.major': '1', 'GNU.sparse.realsize': String(size) } });
    expect(refused([sparse('all', 2n ** 64n - 1n), sparse('more', 1n)], 2n ** 64n - 1n)).toMatch(/^entry "more" declares 1 bytes \(stored sparse\), which takes the layer over its ceiling/);
  });

  it.skipIf(SUBORDINATE === undefined)('gives entries of root the owner root even in a setgid directory', () => {
    // Root's entries were not chowned (the kernel makes them root's): in a setgid directory
    // they took its group instead, so a file of root:root 0640 was readable by group 1000.
    const { dir, status, stderr } = extract(tarArchive([
      { name: 'data/', type: 'dir', mode: 0o2775, gid: 1000 },
      { name: 'data/secret', content: 's', mode: 0o640 },
      { name: 'data/sub/', type: 'dir', mode: 0o750 },
      { name: 'data/link', type: 'symlink', linkname: 'secret' },
    ]), GiB, { owners: 'subordinate' });
    const root = lstatSync(dir);
    try {
      expect(status, stderr).toBe(0);
      expect(lstatSync(join(dir, 'data')).gid).toBe(SUBORDINATE!.gidRange!.start + 999);
      for (const name of ['secret', 'sub', 'link']) expect([name, lstatSync(join(dir, 'data', name)).gid]).toEqual([name, root.gid]);
    } finally {
      // Files of subordinate ids: removed inside the namespace.
      spawnSync(unshareProgram(), [...unshareArgs(SUBORDINATE!), '--', 'rm', '-rf', dir]);
    }
  });

  it('still reads the PAX records tar writes: negative and fractional times, unknown keys, empty values', () => {
    const { dir, status, stderr } = extract(tarArchive([
      { name: 'old', content: 'o', pax: { mtime: '-1.5', comment: '', 'LIBARCHIVE.creationtime': '1' } },
      { name: 'fine', content: 'f', pax: { mtime: '1700000000.123456789999', size: '1' } },
    ]));
    expect(status, stderr).toBe(0);
    expect(lstatSync(join(dir, 'old')).mtimeMs).toBe(-1500);
    expect(lstatSync(join(dir, 'fine'), { bigint: true }).mtimeNs).toBe(1_700_000_000_123_456_789n);
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
