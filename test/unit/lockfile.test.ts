import { existsSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withLockFileSync } from '../../src/store/lockfile.js';

const lockPath = (): string => join(mkdtempSync(join(tmpdir(), 'burrow-lockfile-')), 'locks', 'names.lock');

describe('withLockFileSync', () => {
  it('holds the file while the body runs and removes it after, also when the body throws', () => {
    const path = lockPath();
    expect(withLockFileSync(path, () => existsSync(path))).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(() => withLockFileSync(path, () => { throw new Error('body failed'); })).toThrow('body failed');
    expect(existsSync(path)).toBe(false);
  });

  it('waits for a live holder and then gives up with a one-line error naming the file', () => {
    const path = lockPath();
    withLockFileSync(path, () => {
      const started = Date.now();
      expect(() => withLockFileSync(path, () => 'never', 300)).toThrow(/names\.lock has been locked for 0\.3 s by another burrow process: if none is running, remove that file/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });
  });

  it('takes over a file left by a holder that died (older than its staleness limit)', () => {
    const path = lockPath();
    withLockFileSync(path, () => undefined);
    writeFileSync(path, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    expect(withLockFileSync(path, () => 'taken', 1_000)).toBe('taken');
    expect(existsSync(path)).toBe(false);
  });
});
