import { lstatSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Store } from '../store/store.js';
import type { ContainerRecord } from './record.js';
import { volumesDir } from './volumes.js';

/**
 * Docker's copy-up: a volume of the container's own storage (a named local volume or
 * an anonymous one, not a host path, a tmpfs or a bind volume) that is empty when the
 * container is created gets what the image holds at its mount point, with owners and
 * modes, and the mount point's own owner and mode (`-v node_modules:/app/node_modules`
 * starts with the image's modules; an image's `VOLUME /var/lib/db` owned by its user
 * stays writable by that user). The copy itself is cp's confined worker (cp.ts:
 * copyUp), started only when the image may have something there.
 */
export async function copyUpVolumes(store: Store, record: ContainerRecord, signal?: AbortSignal): Promise<void> {
  const own = `${volumesDir(store)}/`;
  for (const mount of record.plan.mounts) {
    if (mount.kind !== 'bind' || mount.volume !== undefined || mount.device === true || mount.noCopy === true) continue;
    if (!mount.source.startsWith(own) || !mount.source.endsWith('/_data') || !isEmptyDirectory(mount.source)) continue;
    if (!imageMayHave(record.plan.rootfs.lowers, mount.target)) continue;
    const { copyUp } = await import('./cp.js');
    await copyUp(store, record, mount.target, mount.source, signal);
  }
}

function isEmptyDirectory(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return false;
  }
}

/**
 * Whether some layer may hold a directory at `target`: looked at from the host without
 * following anything (a symlink or an unreadable directory on the way says "maybe": the
 * worker then resolves it inside the container's root, where it is confined), so that
 * the common case, nothing there, costs a few lstat calls and no process.
 */
export function imageMayHave(layers: readonly string[], target: string): boolean {
  const parts = posix.normalize(target).split('/').filter(Boolean);
  for (const layer of layers) {
    let path = layer;
    for (const [index, part] of parts.entries()) {
      path = join(path, part);
      let stat;
      try {
        stat = lstatSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EACCES') return true;
        break;
      }
      if (stat.isSymbolicLink()) return true;
      if (!stat.isDirectory()) break;
      if (index === parts.length - 1) return true;
    }
  }
  return false;
}
