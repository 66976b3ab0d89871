/**
 * burrow's C helpers for the Action, made at first use. The bundle (dist/) carries
 * their sources (dist/native-src/: native/*.c and *.h, the inflater's build script,
 * and build.sh, the `cc` lines of package.json's build) and compiles them with the
 * runner's own compiler into dist/lib/native/, where the library looks for them
 * (`../native/` from its modules). Why not committed binaries: the helpers other than
 * burrow-init link the host's C library (and the inflater libcrypto and ISA-L where
 * the runner has them), so a binary built here could miss symbols on ubuntu-22.04's
 * older glibc; a committed binary is also what a reader cannot review, and the check
 * that dist/ is a fresh build would depend on the compiler of whoever built it.
 * Compiling takes a few seconds, once per Action checkout (a stamp of the sources'
 * hash marks a finished build; a new ref's sources build anew).
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BurrowError } from '../errors.js';
import { execa } from 'execa';
import { hostEnv } from '../util/spawn.js';

const NATIVE_DIR = fileURLToPath(new URL('../native/', import.meta.url));
const SOURCES = fileURLToPath(new URL('../../native-src/', import.meta.url));
/** In the helpers' directory: the hash of the sources they were built from. */
export const NATIVE_STAMP = '.sources-sha256';

/** The sha256 of a tree's paths and contents: which sources a build came from. */
export function sourcesHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(`${relative(dir, path)}\0`).update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/** Ensures dist/lib/native holds helpers built from dist/native-src; says what it did. Outside the bundle: nothing to do. */
export async function prepareNative(log: (line: string) => void): Promise<void> {
  if (!existsSync(SOURCES)) return; // Run from build/ or src/: npm run build made build/native.
  const wanted = sourcesHash(SOURCES);
  const stampFile = join(NATIVE_DIR, NATIVE_STAMP);
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === wanted) {
    log(`burrow's helpers: built already (${NATIVE_DIR})`);
    return;
  }
  const began = Date.now();
  const work = mkdtempSync(join(dirname(NATIVE_DIR.replace(/\/$/, '')), '.native-build-'));
  try {
    cpSync(SOURCES, work, { recursive: true });
    const result = await execa('sh', ['build.sh'], { cwd: work, reject: false, extendEnv: false, env: { ...hostEnv(), ...(process.env.CC === undefined ? {} : { CC: process.env.CC }) } });
    const stderr = String(result.stderr);
    if (result.exitCode !== 0) {
      const why = stderr.trim().split('\n').slice(-3).join('; ') || result.shortMessage;
      throw new BurrowError('IO', `cannot compile burrow's helpers with this runner's C compiler (${why}): install gcc and libc6-dev (the static C library burrow-init needs), or run on ubuntu-22.04 or later`);
    }
    for (const line of stderr.trim().split('\n').filter((text) => text !== '')) log(line);
    const built = join(work, 'build', 'native');
    writeFileSync(join(built, NATIVE_STAMP), wanted);
    // Another step (or job on a self-hosted runner) may have built them meanwhile: either build is good.
    rmSync(NATIVE_DIR, { recursive: true, force: true });
    try {
      renameSync(built, NATIVE_DIR);
    } catch (error) {
      if (!existsSync(stampFile)) throw error;
    }
    log(`burrow's helpers: compiled in ${((Date.now() - began) / 1000).toFixed(1)} s into ${NATIVE_DIR} (${readFileSync(join(NATIVE_DIR, 'inflate.json'), 'utf8').trim()})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
