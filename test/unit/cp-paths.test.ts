import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveKey, checkOutputPath, hostPath, parseCpPath } from '../../src/container/cp.js';

describe('cp paths, as docker cp reads them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'burrow-cp-paths-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a host path is made absolute keeping a trailing /. (the contents) and / (a directory)', () => {
    expect(hostPath('dir', '/work')).toBe('/work/dir');
    expect(hostPath('dir/', '/work')).toBe('/work/dir/');
    expect(hostPath('dir/.', '/work')).toBe('/work/dir/.');
    expect(hostPath('.', '/work')).toBe('/work/.');
    expect(hostPath('/abs/dir/./', '/work')).toBe('/abs/dir/');
    expect(hostPath('dir.', '/work')).toBe('/work/dir.');
    expect(hostPath('../up/x/.', '/work/sub')).toBe('/work/up/x/.');
  });

  it('CONTAINER:PATH keeps the path as written, / when empty', () => {
    expect(parseCpPath('ctr:/srv/.')).toEqual({ container: 'ctr', path: '/srv/.' });
    expect(parseCpPath('ctr:')).toEqual({ container: 'ctr', path: '/' });
    expect(parseCpPath('./a:b')).toEqual({ path: './a:b' });
  });

  it('a tar entry\'s path is the path under the directory it unpacks into', () => {
    expect(archiveKey('./a.txt')).toBe('a.txt');
    expect(archiveKey('/tmp/x/')).toBe('tmp/x');
    expect(archiveKey('a/../b')).toBe('b');
    expect(archiveKey('./')).toBe('');
  });

  it('a destination out of a container must be a directory or a regular file, in a directory that exists', () => {
    writeFileSync(join(dir, 'file'), '');
    mkdirSync(join(dir, 'sub'));
    symlinkSync('/dev/null', join(dir, 'to-device'));
    expect(() => checkOutputPath(join(dir, 'file'))).not.toThrow();
    expect(() => checkOutputPath(join(dir, 'sub'))).not.toThrow();
    expect(() => checkOutputPath(join(dir, 'new'))).not.toThrow();
    expect(() => checkOutputPath('/dev/null')).toThrow(/^invalid output path: "\/dev\/null" must be a directory or a regular file/);
    // Through a link, as docker's os.Stat: the device it names is refused.
    expect(() => checkOutputPath(join(dir, 'to-device'))).toThrow(/must be a directory or a regular file/);
    expect(() => checkOutputPath(join(dir, 'missing', 'x'))).toThrow(/^invalid output path: directory ".*\/missing" does not exist$/);
  });
});
