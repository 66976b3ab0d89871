import { existsSync } from 'node:fs';
import { basename } from 'node:path';

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

/** Whether `program` is found on the PATH burrow's host programs are run with. */
export function onPath(program: string): boolean {
  return (process.env.PATH || DEFAULT_HOST_PATH).split(':').some((dir) => dir !== '' && existsSync(`${dir}/${program}`));
}
