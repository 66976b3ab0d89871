import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsError } from '../errors.js';
import { randomBytes } from '../util/random.js';

/**
 * Writes a file so readers see the old content or the new, never a half: temp file,
 * fsync, rename. `durable: false` skips the fsync, for run-time state that is
 * re-derived after a crash anyway (each fsync costs milliseconds on a container start).
 */
export function writeFileAtomic(path: string, content: string | Buffer, mode = 0o644, options: { durable?: boolean } = {}): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'w', mode);
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      if (options.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw fsError(error, `writing ${path}`);
  }
}
