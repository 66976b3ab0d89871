import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { Header } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveEntries, isArchive } from '../../src/build/archive.js';
import { writeTarLayer } from '../../src/build/layer.js';

const dir = mkdtempSync(join(tmpdir(), 'burrow-build-layer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tar archive with these entries, written by hand (node-tar's writer would clean the hostile names). */
function tarOf(entries: Array<{ path: string; body?: string; type?: 'File' | 'Directory' | 'SymbolicLink'; linkpath?: string }>): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = Buffer.alloc(512);
    new Header({ path: entry.path, mode: 0o644, uid: 7, gid: 8, size: body.length, mtime: new Date(0), type: entry.type ?? 'File', linkpath: entry.linkpath ?? '' }).encode(header, 0);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

describe('ADD archives', () => {
  it('recognises tar and gzip by content, whatever the name', () => {
    writeFileSync(join(dir, 'plain.bin'), tarOf([{ path: 'a', body: 'a' }]));
    writeFileSync(join(dir, 'zipped.dat'), gzipSync(tarOf([{ path: 'a', body: 'a' }])));
    writeFileSync(join(dir, 'text.tar'), 'not an archive');
    expect([isArchive(join(dir, 'plain.bin')), isArchive(join(dir, 'zipped.dat')), isArchive(join(dir, 'text.tar'))]).toEqual([true, true, false]);
  });

  it("keeps every entry below the destination ('..' and absolute names too), with the archive's owners unless --chown", () => {
    const file = join(dir, 'hostile.tgz');
    writeFileSync(file, gzipSync(tarOf([{ path: '../../etc/passwd', body: 'x' }, { path: '/abs/file', body: 'y' }, { path: 'ok/', type: 'Directory' }, { path: 'ok/link', type: 'SymbolicLink', linkpath: '/etc/shadow' }])));
    const entries = archiveEntries(file, 'opt/dest', undefined, 'ADD');
    expect(entries.map((entry) => entry.path)).toEqual(['opt/dest/etc/passwd', 'opt/dest/abs/file', 'opt/dest/ok', 'opt/dest/ok/link']);
    expect(entries.map((entry) => [entry.uid, entry.gid])).toEqual([[7, 8], [7, 8], [7, 8], [7, 8]]);
    expect(archiveEntries(file, 'opt/dest', { uid: 1, gid: 2 }, 'ADD').every((entry) => entry.uid === 1 && entry.gid === 2)).toBe(true);
  });
});

describe('writeTarLayer', () => {
  it('writes a gzip layer whose digest and diff_id are those of its bytes, with the owners and modes given', async () => {
    writeFileSync(join(dir, 'source.txt'), 'content');
    const { statSync } = await import('node:fs');
    const stats = statSync(join(dir, 'source.txt'));
    const layer = await writeTarLayer([
      { path: 'app', type: 'Directory', mode: 0o1777, uid: 0, gid: 0, mtime: new Date(0) },
      { path: 'app/source.txt', type: 'File', mode: 0o640, uid: 1234, gid: 5678, mtime: stats.mtime, source: { host: join(dir, 'source.txt'), size: stats.size, ino: stats.ino, dev: stats.dev } },
      { path: `app/${'long-name-'.repeat(15)}`, type: 'File', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), source: { bytes: Buffer.from('long') } },
    ], join(dir, 'layer.tar.gz'));
    const gzipped = readFileSync(join(dir, 'layer.tar.gz'));
    expect(layer.digest).toBe(`sha256:${createHash('sha256').update(gzipped).digest('hex')}`);
    const tar = gunzipSync(gzipped);
    expect(layer.diffId).toBe(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
    const { Parser } = await import('tar');
    const seen: string[] = [];
    const parser = new Parser({ onReadEntry: (entry) => { seen.push(`${entry.path} ${entry.type} ${entry.uid}:${entry.gid} ${(entry.mode ?? 0).toString(8)} ${entry.size}`); entry.resume(); } });
    parser.end(tar);
    expect(seen).toEqual(['app/ Directory 0:0 1777 0', 'app/source.txt File 1234:5678 640 7', `app/${'long-name-'.repeat(15)} File 0:0 644 4`]);
  });

  it('refuses a context file replaced by a link after it was listed', async () => {
    const { statSync, symlinkSync, unlinkSync } = await import('node:fs');
    writeFileSync(join(dir, 'swapped.txt'), 'listed');
    const stats = statSync(join(dir, 'swapped.txt'));
    unlinkSync(join(dir, 'swapped.txt'));
    symlinkSync('/etc/hostname', join(dir, 'swapped.txt'));
    await expect(writeTarLayer([{ path: 'x', type: 'File', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), source: { host: join(dir, 'swapped.txt'), size: stats.size, ino: stats.ino, dev: stats.dev } }], join(dir, 'swapped.tar.gz'))).rejects.toThrow();
  });
});
