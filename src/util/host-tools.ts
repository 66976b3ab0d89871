import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { nativeBinary } from './native.js';

/** Where host programs are found when the caller has no PATH. */
export const DEFAULT_HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The Debian/Ubuntu package of each host program burrow runs, so that a missing
 * one is answered with the command that installs it.
 */
const PACKAGES: Readonly<Record<string, string>> = {
  unshare: 'util-linux',
  nsenter: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  newuidmap: 'uidmap',
  newgidmap: 'uidmap',
  bwrap: 'bubblewrap',
  'fuse-overlayfs': 'fuse-overlayfs',
  fusermount3: 'fuse3',
  pasta: 'passt',
  slirp4netns: 'slirp4netns',
  sh: 'dash',
  rm: 'coreutils',
  cp: 'coreutils',
};

/** "bwrap is not installed or not on PATH (Debian/Ubuntu: apt-get install bubblewrap)". */
export function notInstalled(program: string): string {
  const name = basename(program);
  const found = PACKAGES[name];
  const where = program.includes('/') ? `${program} does not exist` : `${name} is not installed or not on PATH`;
  return found === undefined ? where : `${where} (Debian/Ubuntu: apt-get install ${found})`;
}

/**
 * The file a PATH search for `program` finds, as execvp(3) would: the first
 * executable regular file of that name in `path`'s directories (one this user may not
 * search is passed over). A name with a slash is taken as it is.
 */
export function findOnPath(program: string, path: string = process.env.PATH || DEFAULT_HOST_PATH): string | undefined {
  if (program.includes('/')) return program;
  for (const dir of path.split(':')) {
    if (dir === '') continue;
    const candidate = `${dir}/${program}`;
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Whether `program` is found on the PATH burrow's host programs are run with (a path: whether it exists). */
export function onPath(program: string): boolean {
  return program.includes('/') ? existsSync(program) : findOnPath(program) !== undefined;
}

/** What every error that comes from a missing prerequisite ends with. */
export const RUN_DOCTOR = "run 'burrow doctor'";

/**
 * Where `burrow setup` puts root-owned copies of the program that creates
 * burrow's user namespace (burrow-userns), one directory per user (`<uid>/`,
 * mode 0750, group the user's): on hosts whose AppArmor restricts user
 * namespaces (Ubuntu 24.04), its profile (apparmor/burrow) allows `userns` for
 * these paths alone.
 */
export const BURROW_LIBEXEC = '/usr/local/lib/burrow';

/** The name of burrow's user-namespace helper (native/burrow-userns.c), in build/native and in setup's copy. */
export const USERNS_HELPER = 'burrow-userns';

let userNamespaceHelper: string | undefined;

/**
 * The program that creates burrow's user namespace: the copy `burrow setup`
 * installed for this user when there is one this user may run, else the one
 * built beside burrow. Looked up once per process (one access(2)). Never
 * util-linux's unshare: its --map-users needs util-linux 2.38.
 */
export function unshareProgram(): string {
  if (userNamespaceHelper === undefined) {
    const own = `${BURROW_LIBEXEC}/${process.getuid?.() ?? 0}/${USERNS_HELPER}`;
    try {
      accessSync(own, constants.X_OK);
      userNamespaceHelper = own;
    } catch {
      userNamespaceHelper = nativeBinary(USERNS_HELPER);
    }
  }
  return userNamespaceHelper;
}
