import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import type { IdMapping } from '../userns/idmap.js';

/**
 * What a build needs to know of the image so far without starting a container:
 * whether COPY's destination is a directory, and the mode and owners of the
 * directories above it (which the new layer must repeat, or its own entries for
 * them would hide theirs: COPY into /tmp must not make /tmp 0755). Read from the
 * image's unpacked layers, topmost first, never following a link on the host: an
 * image's links are resolved inside the image, lexically, as the container would
 * see them.
 *
 * A simplification: a directory made opaque by an upper layer still shows the
 * entries of the layers below here (whiteouts of single entries are honoured);
 * this can only make a destination look like an existing directory.
 */
export interface ImageEntry {
  kind: 'directory' | 'file' | 'link' | 'other';
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  linkTarget?: string | undefined;
}

const MAX_LINKS = 40;

export class ImageView {
  constructor(private readonly layers: readonly string[], private readonly mapping: IdMapping) {}

  /** The entry at `path` (absolute, already free of links in its parents), or undefined. */
  private entry(path: string): ImageEntry | undefined {
    const relative = path.replace(/^\/+/, '');
    if (relative === '') return { kind: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) };
    const parts = relative.split('/');
    layer: for (let index = this.layers.length - 1; index >= 0; index--) {
      // Security: each directory on the way is checked in this layer with lstat, so the host never
      // follows a link of the image (a lower layer's `etc -> /home/me`) while the build looks around.
      for (let depth = 1; depth < parts.length; depth++) {
        const above = lstatQuiet(join(this.layers[index]!, ...parts.slice(0, depth)));
        if (above === undefined) continue layer;
        if (!above.isDirectory()) return undefined;
      }
      const stats = lstatQuiet(join(this.layers[index]!, relative));
      if (stats === undefined) continue;
      // A whiteout: a 0/0 character device hides what the layers below have.
      if (stats.isCharacterDevice() && stats.rdev === 0) return undefined;
      return {
        kind: stats.isDirectory() ? 'directory' : stats.isFile() ? 'file' : stats.isSymbolicLink() ? 'link' : 'other',
        mode: stats.mode & 0o7777,
        uid: this.containerId(stats.uid, 'uid'),
        gid: this.containerId(stats.gid, 'gid'),
        mtime: stats.mtime,
        linkTarget: stats.isSymbolicLink() ? readlinkSync(join(this.layers[index]!, relative)) : undefined,
      };
    }
    return undefined;
  }

  /** A host id of an unpacked file as the container sees it (the user is 0, the subordinate range 1...). */
  private containerId(hostId: number, which: 'uid' | 'gid'): number {
    const own = which === 'uid' ? process.getuid!() : process.getgid!();
    if (hostId === own) return 0;
    const range = which === 'uid' ? this.mapping.uidRange : this.mapping.gidRange;
    if (range !== undefined && hostId >= range.start && hostId < range.start + range.count) return hostId - range.start + 1;
    return 65534;
  }

  /**
   * `path` with every link resolved inside the image (the last component's too
   * when `followLast`), and its entry: undefined when it does not exist, or when a
   * component is not a directory.
   */
  resolve(path: string, followLast = true): { path: string; entry: ImageEntry | undefined } {
    let pending = posix.normalize(`/${path}`).split('/').filter(Boolean);
    let resolved = '/';
    let links = 0;
    while (pending.length > 0) {
      const name = pending.shift()!;
      const next = posix.join(resolved, name);
      const found = this.entry(next);
      if (found?.kind === 'link' && (pending.length > 0 || followLast)) {
        if (++links > MAX_LINKS) return { path: next, entry: undefined };
        const target = found.linkTarget!;
        // Inside the image: an absolute link starts at its root, `..` stops there.
        resolved = target.startsWith('/') ? '/' : resolved;
        pending = [...target.split('/').filter(Boolean), ...pending];
        continue;
      }
      if (pending.length > 0 && found?.kind !== 'directory') {
        return { path: posix.join(next, ...pending), entry: undefined };
      }
      resolved = next;
      if (pending.length === 0) return { path: resolved, entry: found };
    }
    return { path: resolved, entry: this.entry(resolved) };
  }
}

/** `..` handled lexically inside the image's root: posix.join cannot climb above `/`. */
export function imagePath(base: string, path: string): string {
  return posix.normalize(posix.join(path.startsWith('/') ? '/' : base, path));
}

/** lstat, or undefined where the entry is missing or cannot be looked at (a directory of another of the image's users). */
function lstatQuiet(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
