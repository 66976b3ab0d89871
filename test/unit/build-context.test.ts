import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BuildContext } from '../../src/build/context.js';
import { ImageView } from '../../src/build/image-fs.js';

const top = mkdtempSync(join(tmpdir(), 'burrow-build-context-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const dir = join(top, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('BuildContext', () => {
  const outside = tree('outside', { secret: 'host secret' });
  const dir = tree('context', { 'a.txt': 'a', 'b.txt': 'b', 'sub/c.txt': 'c', 'sub/d.log': 'd', '.dockerignore': '*.log\nsub/*.log\n' });
  symlinkSync(join(outside, 'secret'), join(dir, 'leak'));
  symlinkSync(outside, join(dir, 'leakdir'));
  symlinkSync('a.txt', join(dir, 'inside-link'));
  const context = new BuildContext(dir);

  it('refuses a source above the context, and one that leads out through a link', () => {
    expect(() => context.sources('../outside/secret', 'COPY')).toThrow(/forbidden path outside the build context/);
    expect(() => context.sources('sub/../../outside/secret', 'COPY')).toThrow(/outside the build context/);
    expect(() => context.sources('leak', 'COPY')).toThrow(/leads outside the build context/);
    expect(() => context.sources('leakdir/secret', 'COPY')).toThrow(/leads outside the build context/);
    expect(() => context.sources('leakdir/nothing', 'COPY')).toThrow(/leads outside the build context/);
  });

  it('follows a link that stays inside, and roots an absolute source at the context', () => {
    expect(context.sources('inside-link', 'COPY').map((file) => file.path)).toEqual(['a.txt']);
    expect(context.sources('/sub/c.txt', 'COPY').map((file) => file.path)).toEqual(['sub/c.txt']);
  });

  it('expands wildcards and leaves out what .dockerignore names', () => {
    expect(context.sources('*.txt', 'COPY').map((file) => file.path)).toEqual(['a.txt', 'b.txt']);
    expect(() => context.sources('sub/d.log', 'COPY')).toThrow(/excluded by .dockerignore/);
    const [sub] = context.sources('sub', 'COPY');
    expect(context.walk(sub!).map((file) => file.path)).toEqual(['sub/c.txt']);
  });
});

describe('ImageView', () => {
  const lower = tree('layer1', { 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n', 'usr/bin/tool': '' });
  const upper = tree('layer2', { 'opt/x': '' });
  symlinkSync('usr/bin', join(lower, 'bin'));
  symlinkSync('/etc', join(upper, 'etc-link'));
  const view = new ImageView([lower, upper], { uidRange: undefined, gidRange: undefined, single: true });

  it('resolves links inside the image, across layers', () => {
    expect(view.resolve('/bin/tool')).toMatchObject({ path: '/usr/bin/tool', entry: { kind: 'file' } });
    expect(view.resolve('/etc-link')).toMatchObject({ path: '/etc', entry: { kind: 'directory' } });
    expect(view.resolve('/bin', false)).toMatchObject({ path: '/bin', entry: { kind: 'link' } });
    expect(view.resolve('/missing/x').entry).toBeUndefined();
    expect(view.resolve('/etc/passwd/x').entry).toBeUndefined();
  });
});
