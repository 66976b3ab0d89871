import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BurrowError } from '../errors.js';
import { defaultIdMapping, unshareArgs } from '../userns/idmap.js';
import { keptUserLines } from '../userns/keep-id.js';
import { unshareProgram } from '../util/host-tools.js';
import { runToEnd } from '../util/spawn.js';
import type { RootfsDriver } from './driver.js';

// Relative to a sibling folder so it holds from build/rootfs/ and from the CLI bundle alike.
const WORKER = fileURLToPath(new URL('../rootfs/copy-worker.js', import.meta.url));
/** In the container's directory once its root is complete: a container is copied once, not at every start. */
const COPIED = 'rootfs-copied';

/** Has the copy driver made this container's root (in its directory `dir`)? Then it no longer needs the image's layers. */
export function rootfsCopied(dir: string): boolean {
  return existsSync(join(dir, COPIED));
}

/**
 * The last resort, where neither overlay can mount: the layers merged into the
 * container's `merged/` directory by `copy-worker.ts` (confined: a user and
 * mount namespace of its own, chrooted into a staging tree), which bwrap then
 * binds as the root. Slow for big images and without sharing between
 * containers, but it needs nothing from the kernel beyond a user namespace.
 */
export const copyDriver: RootfsDriver = {
  name: 'copy',
  async prepare(site) {
    const marker = join(site.dir, COPIED);
    if (rootfsCopied(site.dir)) return;
    const { rootfs } = site;
    // keep-id (userns/keep-id.ts): the worker runs under the default mapping, where the
    // layers' owners are the image's, and gives each copy the owner keep-id shows as that.
    const { keepId } = site.mapping;
    const shift = keepId === undefined ? [] : ['--keep-id', `${keepId.uid}:${keepId.gid}:${site.mapping.uidRange!.count}:${site.mapping.gidRange!.count}`];
    // And the kept user's lines, for an /etc/passwd and /etc/group that have none for its ids (Podman's).
    const lines = keepId === undefined ? undefined : keptUserLines(keepId);
    if (lines !== undefined) shift.push('--passwd', lines.passwd, '--group', lines.group);
    // The container's work/ (unused by this driver) is the worker's staging mount point.
    const result = await runToEnd(unshareProgram(), [...unshareArgs(defaultIdMapping(site.mapping)), '--', process.execPath, WORKER, ...shift, rootfs.work, rootfs.merged, ...rootfs.lowers]);
    if (result.exitCode !== 0) {
      const detail = result.stderr.trim().split('\n')[0] || result.error?.message || `exit status ${result.exitCode}`;
      throw new BurrowError('IO', `cannot copy the image's layers (copy driver): ${detail}`);
    }
    writeFileSync(marker, '');
  },
  shellFunctions: '',
  mount: ':',
  mountFailure: () => 'the copied root file system is missing',
  unmount: undefined,
};
