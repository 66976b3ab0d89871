import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlaceSources } from '../../src/cgroup/hierarchy.js';

/**
 * Simulated cgroup trees for the cgroup unit tests: plain directories laid out like
 * cgroupfs (control files are ordinary files), and a /proc/self/cgroup and a mount
 * table that point at them.
 */

export function cgroupDir(path: string, files: Record<string, string> = {}): string {
  mkdirSync(path, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(path, name), content);
  return path;
}

/** The files a delegated v2 cgroup has (writable: the simulation runs as their owner). */
export function v2Files(controllers: string): Record<string, string> {
  return { 'cgroup.procs': '', 'cgroup.subtree_control': '', 'cgroup.controllers': `${controllers}\n`, 'cgroup.freeze': '0\n', 'cgroup.events': 'populated 0\nfrozen 0\n' };
}

export function sources(base: string, procSelfCgroup: string, mounts: string[]): PlaceSources {
  writeFileSync(join(base, 'cgroup'), procSelfCgroup);
  writeFileSync(join(base, 'mountinfo'), mounts.map((line, index) => `${30 + index} 23 0:${26 + index} ${line}`).join('\n') + '\n');
  return { procSelfCgroup: join(base, 'cgroup'), mountinfo: join(base, 'mountinfo') };
}

/** A mountinfo tail: `ROOT POINT OPTIONS - TYPE SOURCE SUPER`. */
export const v2Mount = (point: string, root = '/'): string => `${root} ${point} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`;
export const v1Mount = (point: string, controllers: string): string => `/ ${point} rw,nosuid - cgroup cgroup rw,${controllers}`;
