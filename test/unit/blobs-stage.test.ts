import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBurrowError } from '../../src/errors.js';
import { stageBlobs } from '../../src/store/blobs.js';
import { storePaths, type StorePaths } from '../../src/store/layout.js';
import { scratchOwnerGone } from '../../src/store/scratch.js';

function store(): StorePaths {
  return storePaths(mkdtempSync(join(tmpdir(), 'burrow-stage-')));
}

function blob(text: string): [string, Buffer] {
  const bytes = Buffer.from(text);
  return [`sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes];
}

const stored = (paths: StorePaths): string[] => (existsSync(join(paths.blobs, 'sha256')) ? readdirSync(join(paths.blobs, 'sha256')).sort() : []);
const tmp = (paths: StorePaths): string[] => (existsSync(paths.tmp) ? readdirSync(paths.tmp) : []);

// A pull's manifest and config are written and synced while its layers download
// (copy/copy.ts), and must reach blobs/ only when the whole image did.
describe('stageBlobs', () => {
  it('keeps the blobs out of blobs/ until commit, in a scratch directory garbage collection leaves alone while this process lives', async () => {
    const paths = store();
    const manifest = blob('{"manifest":1}');
    const config = blob('{"config":1}');
    const staged = await stageBlobs(paths, [manifest, config]);
    expect(stored(paths)).toEqual([]);
    const [scratch] = tmp(paths);
    expect(scratch).toMatch(/^blobs\./);
    expect(scratchOwnerGone(scratch!, statSync(join(paths.tmp, scratch!)).mtimeMs)).toBe(false);
    staged.commit();
    expect(stored(paths)).toEqual([manifest[0].slice(7), config[0].slice(7)].sort());
    expect(readFileSync(join(paths.blobs, 'sha256', config[0].slice(7)), 'utf8')).toBe('{"config":1}');
    expect(tmp(paths)).toEqual([]);
  });

  it('discard leaves nothing, in blobs/ or tmp/', async () => {
    const paths = store();
    const staged = await stageBlobs(paths, [blob('a'), blob('b')]);
    staged.discard();
    expect(stored(paths)).toEqual([]);
    expect(tmp(paths)).toEqual([]);
  });

  it('refuses content that does not hash to its digest, and writes nothing', async () => {
    const paths = store();
    const [digest] = blob('the real one');
    const refused = await stageBlobs(paths, [blob('fine'), [digest, Buffer.from('another')]]).catch((error: unknown) => error);
    expect(isBurrowError(refused, 'DIGEST_MISMATCH')).toBe(true);
    expect((refused as Error).message).toContain(digest);
    expect(stored(paths)).toEqual([]);
    expect(tmp(paths)).toEqual([]);
  });
});
