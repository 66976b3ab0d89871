import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The bytes of a tree as Docker counts a container's writable layer: the sizes
 * of everything but directories, each inode once (hard links), seen with lstat
 * from the host. Trees of subordinate ids (layers, a container's upper
 * directory) are read without entering their user namespace, which would cost
 * a process: their directories are mostly readable, and a directory that is
 * not (mode 0700 of another id) counts as empty. An estimate, never an error.
 */
export function treeSize(root: string, seen: Set<string> = new Set()): number {
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      let stat;
      try {
        stat = lstatSync(path);
      } catch {
        continue;
      }
      if (stat.isDirectory()) {
        pending.push(path);
        continue;
      }
      const inode = `${stat.dev}:${stat.ino}`;
      if (stat.nlink > 1) {
        if (seen.has(inode)) continue;
        seen.add(inode);
      }
      total += stat.size;
    }
  }
  return total;
}
