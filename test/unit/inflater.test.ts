import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The layer decompressor (native/burrow-inflate.c) on its own, in both of its
 * builds: the one `npm run build` made (ISA-L on a machine with libisal-dev) and
 * a zlib one compiled here, the build of a machine without ISA-L's header.
 * Each gets the compressed bytes on stdin, as burrow gives them; what it writes
 * is what the extractor would read.
 */
const BUILT = new URL('../../build/native/burrow-inflate', import.meta.url).pathname;
const SOURCE = new URL('../../native/burrow-inflate.c', import.meta.url).pathname;
const built = JSON.parse(readFileSync(new URL('../../build/native/inflate.json', import.meta.url), 'utf8')) as { gzip: string | null; zstd: boolean; needs?: string[]; fallback?: string };
const scratch = mkdtempSync(join(tmpdir(), 'burrow-inflater-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ZLIB_BUILD = join(scratch, 'burrow-inflate-zlib');
const compiled = spawnSync('cc', ['-O2', '-Wall', '-Werror', '-o', ZLIB_BUILD, SOURCE, '-lz', '-lcrypto'], { encoding: 'utf8' });
const BUILDS: Array<[string, string]> = [[`the build's (${built.gzip ?? 'none'})`, BUILT], ['zlib', ZLIB_BUILD]];

const MiB = 1024 * 1024;

interface Inflated {
  status: number | null;
  output: Buffer;
  stderr: string;
}

function inflate(binary: string, input: Buffer, ceiling: number, mode: 'gzip' | 'zstd' | 'none' = 'gzip'): Inflated {
  const result = spawnSync(binary, [mode, String(ceiling)], { input, maxBuffer: 64 * MiB, timeout: 60_000 });
  return { status: result.status, output: result.stdout, stderr: result.stderr.toString() };
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Bytes that compress somewhat, like a layer's files: random words, repeated. */
function layerLike(size: number): Buffer {
  const words = Array.from({ length: 512 }, () => randomBytes(1 + (randomBytes(1)[0]! % 12)).toString('hex'));
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const word = words[randomBytes(2).readUInt16LE(0) % words.length]!;
    parts.push(word);
    length += word.length + 1;
  }
  return Buffer.from(parts.join(' ')).subarray(0, size);
}

it('the build made a gzip and zstd inflater here, and the zlib build compiles', () => {
  // The test machine has libssl-dev, libisal-dev and libzstd-dev (test/bed/install.sh): anything less here is a slow path.
  expect(built).toMatchObject({ gzip: 'isa-l', zstd: true, fallback: 'burrow-inflate-zlib' });
  expect(compiled.status, compiled.stderr).toBe(0);
});

it('the zlib build beside it needs no shared library but libc (a build/ copied to a host without ISA-L, as the cgroup v2 VM, runs it)', () => {
  const libraries = spawnSync('ldd', [join(dirname(BUILT), 'burrow-inflate-zlib')], { encoding: 'utf8' }).stdout;
  const needed = [...libraries.matchAll(/^\s*(\S+\.so\S*)/gm)].map((match) => match[1]!).filter((name) => !/^(linux-vdso|libc\.so|\/lib64\/ld-linux)/.test(name));
  expect(needed).toEqual([]);
  // ISA-L's build names the one library it needs, so the inflater it runs is chosen by its presence.
  expect(built.needs).toEqual([expect.stringMatching(/libisal\.so\.2$/)]);
});

describe.each(BUILDS)('burrow-inflate, %s', (_name, binary) => {
  it('passes a gzip stream on decompressed, and reports its sha256 and size', () => {
    const data = layerLike(3 * MiB + 12345);
    const result = inflate(binary, gzipSync(data), 1024 * MiB);
    expect(result.status, result.stderr).toBe(0);
    expect(result.output.equals(data)).toBe(true);
    expect(JSON.parse(result.stderr)).toEqual({ diffId: sha256(data), size: data.length });
  });

  it('reads every member of a multi-member gzip stream, as Go does', () => {
    const parts = [layerLike(700 * 1024), Buffer.alloc(0), randomBytes(300 * 1024), layerLike(2 * MiB)];
    const data = Buffer.concat(parts);
    const result = inflate(binary, Buffer.concat(parts.map((part) => gzipSync(part))), 1024 * MiB);
    expect(result.status, result.stderr).toBe(0);
    expect(result.output.equals(data)).toBe(true);
    expect(JSON.parse(result.stderr)).toEqual({ diffId: sha256(data), size: data.length });
  });

  it('refuses a stream cut short, in the data or in the trailer', () => {
    const compressed = gzipSync(layerLike(2 * MiB));
    for (const cut of [compressed.length >> 1, compressed.length - 3]) {
      const result = inflate(binary, compressed.subarray(0, cut), 1024 * MiB);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^the gzip stream ends in the middle of a member \(at compressed byte \d+\)\n$/);
    }
  });

  it('refuses a member whose trailer does not match its data: a wrong CRC-32, a wrong size', () => {
    const data = layerLike(MiB);
    for (const offset of [8, 4]) {
      const compressed = gzipSync(data);
      compressed.writeUInt8(compressed.readUInt8(compressed.length - offset) ^ 0x01, compressed.length - offset);
      const result = inflate(binary, compressed, 1024 * MiB);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^a gzip trailer that does not match its data \(CRC-32 or size\) near compressed byte \d+\n$/);
    }
  });

  it('reads a member with every optional header field (extra, name, comment, header CRC-16), and refuses a wrong CRC-16', () => {
    const data = layerLike(300 * 1024);
    const extra = Buffer.from('AB\x02\x00xy', 'latin1');
    const head = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3]), Buffer.from([extra.length, 0]), extra, Buffer.from('layer.tar\0comment\0', 'latin1')]);
    const headCrc = Buffer.alloc(2);
    headCrc.writeUInt16LE(crc32(head) & 0xffff);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc32(data), 0);
    trailer.writeUInt32LE(data.length, 4);
    const member = Buffer.concat([head, headCrc, deflateRawSync(data), trailer]);
    const result = inflate(binary, member, 1024 * MiB);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stderr)).toEqual({ diffId: sha256(data), size: data.length });
    member.writeUInt8(member.readUInt8(head.length) ^ 0x01, head.length);
    const wrong = inflate(binary, member, 1024 * MiB);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^a gzip header whose CRC-16 does not match it near compressed byte \d+\n$/);
  });

  it('refuses corrupt deflate data, bytes after a member that are not a member, and an empty stream', () => {
    const compressed = gzipSync(layerLike(MiB));
    compressed.fill(0xff, 100, 140);
    expect(inflate(binary, compressed, 1024 * MiB).status).toBe(1);
    const trailing = inflate(binary, Buffer.concat([gzipSync(Buffer.from('tar')), Buffer.from('garbage, longer than a gzip header')]), 1024 * MiB);
    expect(trailing.status).toBe(1);
    expect(trailing.stderr).toMatch(/gzip header|header check/);
    const empty = inflate(binary, Buffer.alloc(0), 1024 * MiB);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toBe('the gzip stream is empty\n');
  });

  it('stops at the ceiling: a gzip bomb writes no byte past it', () => {
    const bomb = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
    expect(bomb.length).toBeLessThan(MiB);
    const result = inflate(binary, bomb, 5 * MiB);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`the layer uncompresses to more than ${5 * MiB} bytes\n`);
    expect(result.output.length).toBeLessThanOrEqual(5 * MiB);
    // A layer of exactly the ceiling is not over it.
    const exact = inflate(binary, gzipSync(Buffer.alloc(5 * MiB)), 5 * MiB);
    expect(exact.status, exact.stderr).toBe(0);
    expect(JSON.parse(exact.stderr).size).toBe(5 * MiB);
  });

  it('passes an uncompressed layer on as it is, counted and hashed, and holds it to the ceiling too', () => {
    const data = randomBytes(2 * MiB + 7);
    const result = inflate(binary, data, 1024 * MiB, 'none');
    expect(result.status, result.stderr).toBe(0);
    expect(result.output.equals(data)).toBe(true);
    expect(JSON.parse(result.stderr)).toEqual({ diffId: sha256(data), size: data.length });
    expect(inflate(binary, data, MiB, 'none').status).toBe(2);
  });

  it('exits 3 when its reader goes away (the extractor refused the layer), not on SIGPIPE', () => {
    const input = join(scratch, 'big.gz');
    writeFileSync(input, gzipSync(Buffer.alloc(32 * MiB)));
    const result = spawnSync('bash', ['-c', `"$0" gzip 1073741824 < "$1" | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`, binary, input], { encoding: 'utf8' });
    expect(result.stdout.trim()).toBe('3');
    expect(result.stderr).toBe('the extractor stopped reading the layer\n');
  });

  it('refuses what it cannot run with: a wrong mode, a ceiling that is not a number', () => {
    expect(spawnSync(binary, ['bzip2', '100']).status).toBe(4);
    expect(spawnSync(binary, ['gzip', '10x']).status).toBe(4);
    expect(spawnSync(binary, ['gzip', '0']).status).toBe(4);
  });

  it('with an extractor (`-- COMMAND`): starts it on a pipe of its own, its output passed through, the inflater\'s lines and its outcome on fd 3', () => {
    const data = layerLike(3 * MiB);
    // The "extractor": counts what it reads, says which descriptors past 2 it holds (none: not fd 3), speaks on stderr.
    const result = launch(binary, gzipSync(data), 10 * MiB, ['sh', '-c', 'wc -c; for fd in 3 4 5 6; do [ -e /proc/$$/fd/$fd ] && echo "fd $fd open"; done; echo extractor talking >&2']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${data.length}\n`);
    expect(result.stderr).toBe('extractor talking\n');
    expect(result.lines).toEqual([JSON.stringify({ diffId: sha256(data), size: data.length }), '{"extractor":{"exitCode":0}}']);
  });

  it('with an extractor: reports the extractor\'s failure, and its own (the extractor then sees the stream end)', () => {
    // The extractor refuses the layer at once: the inflater's writes fail (exit 3), and it says how the extractor ended.
    const refused = launch(binary, gzipSync(Buffer.alloc(8 * MiB)), 64 * MiB, ['sh', '-c', 'head -c 10 >/dev/null; echo refused >&2; exit 7']);
    expect(refused.status).toBe(3);
    expect(refused.stderr).toBe('refused\n');
    expect(refused.lines).toEqual(['the extractor stopped reading the layer', '{"extractor":{"exitCode":7}}']);
    // A stream cut short: the extractor reads to the end of what there was, the inflater exits 1.
    const whole = gzipSync(layerLike(MiB));
    const cut = launch(binary, whole.subarray(0, whole.length - 100), 64 * MiB, ['sh', '-c', 'wc -c']);
    expect(cut.status).toBe(1);
    expect(Number(cut.stdout)).toBeLessThan(MiB);
    expect(cut.lines.at(-1)).toBe('{"extractor":{"exitCode":0}}');
    // Killed: the signal's number.
    const killed = launch(binary, gzipSync(layerLike(MiB)), 64 * MiB, ['sh', '-c', 'kill -9 $$']);
    expect(killed.lines.at(-1)).toBe('{"extractor":{"signal":9}}');
  });

  it('--args-on-stdin: the extractor starts before the header comes; MODE and CEILING, then its own fields, are read off stdin and not one byte of the blob more', () => {
    const data = layerLike(2 * MiB);
    // The "extractor" reports its stdin's first NUL-ended field (its directory), then counts the rest.
    const extractor = ['sh', '-c', 'dir=$(head -c 12); echo "field=$dir"; wc -c'];
    const header = Buffer.from('gzip\x00' + String(10 * MiB) + '\x00/layers/abc\x00\x00');
    const result = headerLaunch(binary, Buffer.concat([header, gzipSync(data)]), extractor);
    expect(result.status, result.lines.join('\n')).toBe(0);
    expect(result.stdout).toBe(`field=/layers/abc\n${data.length}\n`);
    expect(result.lines).toEqual([JSON.stringify({ diffId: sha256(data), size: data.length }), '{"extractor":{"exitCode":0}}']);
    // The ceiling of the header holds, not one of the command line.
    const bomb = headerLaunch(binary, Buffer.concat([Buffer.from('gzip\x00' + String(MiB) + '\x00\x00'), gzipSync(Buffer.alloc(4 * MiB))]), ['sh', '-c', 'wc -c']);
    expect(bomb.status).toBe(2);
  });

  it('--args-on-stdin not needed (stdin ends before any byte): exits 0, says nothing, and its extractor saw an empty stdin', () => {
    const result = headerLaunch(binary, Buffer.alloc(0), ['sh', '-c', 'echo "read $(wc -c) bytes"']);
    expect(result).toMatchObject({ status: 0, stdout: 'read 0 bytes\n', stderr: '' });
    expect(result.lines).toEqual(['']);
    // A header cut short, or without its two fields: a usage error (4), in one line.
    expect(headerLaunch(binary, Buffer.from('gzip\x00123'), ['true']).status).toBe(4);
    const short = headerLaunch(binary, Buffer.from('gzip\x00\x00'), ['true']);
    expect(short.status).toBe(4);
    expect(short.lines[0]).toBe('burrow-inflate: the header needs MODE and CEILING');
  });

  it('with an extractor that cannot be started: exits 4 and says why, reading nothing', () => {
    const result = launch(binary, gzipSync(Buffer.alloc(1024)), MiB, [join(scratch, 'no-such-extractor')]);
    expect(result.status).toBe(4);
    expect(result.lines.at(-1)).toBe('{"extractor":{"error":"ENOENT"}}');
    expect(result.lines[0]).toMatch(/^cannot start the extractor .*No such file or directory$/);
    // fd 3 is the caller's side of the bargain.
    const noChannel = spawnSync(binary, ['gzip', String(MiB), '--', 'true'], { input: gzipSync(Buffer.alloc(1024)) });
    expect(noChannel.status).toBe(4);
    expect(noChannel.stderr.toString()).toMatch(/fd 3 must be open/);
  });
});

interface Launched {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The inflater's own lines (fd 3). */
  lines: string[];
}

/** The inflater starting `command` as the extractor, with fd 3 for its own lines, as layer.ts runs it. */
function launch(binary: string, input: Buffer, ceiling: number, command: string[]): Launched {
  const result = spawnSync(binary, ['gzip', String(ceiling), '--', ...command], { input, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], maxBuffer: 64 * MiB, timeout: 60_000 });
  const output = result.output as Array<Buffer | null>;
  return { status: result.status, stdout: output[1]!.toString(), stderr: output[2]!.toString(), lines: output[3]!.toString().trimEnd().split('\n') };
}

/** The inflater with `--args-on-stdin`: the header and the blob on stdin, as layer.ts's spare extraction gets them. */
function headerLaunch(binary: string, input: Buffer, command: string[]): Launched {
  const result = spawnSync(binary, ['--args-on-stdin', '--', ...command], { input, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], maxBuffer: 64 * MiB, timeout: 60_000 });
  const output = result.output as Array<Buffer | null>;
  return { status: result.status, stdout: output[1]!.toString(), stderr: output[2]!.toString(), lines: output[3]!.toString().trimEnd().split('\n') };
}

/** zstd(1), as an image builder would run it; several frames when given several parts. */
function zstd(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts.map((part) => spawnSync('zstd', ['-q', '-c', '--check'], { input: part, maxBuffer: 64 * MiB }).stdout));
}

describe.runIf(built.zstd)('burrow-inflate, zstd', () => {
  it('passes every frame of a zstd stream on decompressed, and reports its sha256 and size', () => {
    const parts = [layerLike(2 * MiB + 5), randomBytes(100 * 1024), layerLike(MiB)];
    const data = Buffer.concat(parts);
    const result = inflate(BUILT, zstd(...parts), 1024 * MiB, 'zstd');
    expect(result.status, result.stderr).toBe(0);
    expect(result.output.equals(data)).toBe(true);
    expect(JSON.parse(result.stderr)).toEqual({ diffId: sha256(data), size: data.length });
  });

  it('ends well when the last frame fills its output buffer (1 MiB) exactly', () => {
    for (const data of [Buffer.alloc(MiB), Buffer.alloc(2 * MiB, 'x')]) {
      const result = inflate(BUILT, zstd(data), 1024 * MiB, 'zstd');
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stderr)).toEqual({ diffId: sha256(data), size: data.length });
    }
  });

  it('refuses a zstd stream cut short, a corrupt one, an empty one', () => {
    const compressed = zstd(layerLike(2 * MiB));
    const cut = inflate(BUILT, compressed.subarray(0, compressed.length - 2), 1024 * MiB, 'zstd');
    expect(cut.status).toBe(1);
    expect(cut.stderr).toMatch(/^the zstd stream ends in the middle of a frame \(at compressed byte \d+\)\n$/);
    const corrupt = Buffer.from(compressed);
    corrupt.fill(0x55, 200, 260);
    expect(inflate(BUILT, corrupt, 1024 * MiB, 'zstd').status).toBe(1);
    expect(inflate(BUILT, Buffer.alloc(0), 1024 * MiB, 'zstd').stderr).toBe('the zstd stream is empty\n');
  });

  it('stops a zstd bomb at the ceiling', () => {
    const bomb = zstd(Buffer.alloc(64 * MiB));
    const result = inflate(BUILT, bomb, 3 * MiB, 'zstd');
    expect(result.status).toBe(2);
    expect(result.output.length).toBeLessThanOrEqual(3 * MiB);
  });
});
