import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BurrowError, fsError } from '../errors.js';
import { xdgDirectory } from '../util/home.js';
import { parseDigest } from '../util/digest.js';
import { writeFileAtomic } from './atomic.js';

/**
 * The store is an OCI image layout (oci-layout, index.json, blobs/) so that other
 * tools (skopeo, umoci) can read it, plus burrow's own working directories.
 */
export interface StorePaths {
  root: string;
  blobs: string;
  index: string;
  tmp: string;
  locks: string;
  pulls: string;
  containers: string;
}

export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BURROW_ROOT !== undefined && env.BURROW_ROOT !== '') return resolve(env.BURROW_ROOT);
  const dataHome = xdgDirectory(env, 'XDG_DATA_HOME', join('.local', 'share'));
  if (dataHome === undefined) {
    throw new BurrowError('INVALID_ARGUMENT', `no home directory for the store (HOME is ${env.HOME === undefined ? 'unset' : `'${env.HOME}'`} and your user has none in the password database): set HOME, or choose the store with BURROW_ROOT or --root`);
  }
  return join(dataHome, 'burrow');
}

export function storePaths(root: string): StorePaths {
  const absolute = resolve(root);
  return {
    root: absolute,
    blobs: join(absolute, 'blobs'),
    index: join(absolute, 'index.json'),
    tmp: join(absolute, 'tmp'),
    locks: join(absolute, 'locks'),
    pulls: join(absolute, 'pulls'),
    containers: join(absolute, 'containers'),
  };
}

export function blobPath(paths: StorePaths, digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return join(paths.blobs, algorithm, hex);
}

/**
 * Creates the layout if missing; cheap when it exists. The store's root is the
 * user's alone, whoever made the directory (a CI cache step's `mkdir -p` makes it
 * 0755): layers hold images' setuid files, owned by the user on the host, which
 * another user of the host could otherwise run as the user.
 */
export function ensureLayout(paths: StorePaths): void {
  try {
    mkdirSync(paths.root, { recursive: true, mode: 0o700 });
    try {
      chmodSync(paths.root, 0o700);
    } catch {
      // Not the user's directory (a shared mount): its owner decides.
    }
    if (existsSync(join(paths.root, 'oci-layout'))) return;
    for (const dir of [join(paths.blobs, 'sha256'), paths.tmp, paths.locks, paths.pulls]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Last, and whole: a store that has it is complete, and two first commands at once may both write it.
    writeFileAtomic(join(paths.root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  } catch (error) {
    throw fsError(error, `creating the store at ${paths.root}`);
  }
}
