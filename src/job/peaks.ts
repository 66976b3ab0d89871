import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerCgroup } from '../cgroup/index.js';

/**
 * The job container's highest memory use and process count, from its cgroup's
 * own high-water marks (v2 `memory.peak`, `pids.peak`; v1
 * `memory.max_usage_in_bytes`), read once after the last step: undefined where
 * the container has no cgroup or the kernel keeps no such mark.
 */
export function readPeaks(cgroup: ContainerCgroup | undefined): { memoryBytes?: number; pids?: number } | undefined {
  if (cgroup === undefined) return undefined;
  const value = (dir: string | undefined, file: string): number | undefined => {
    if (dir === undefined) return undefined;
    try {
      const number = Number(readFileSync(join(dir, file), 'utf8').trim());
      return Number.isFinite(number) ? number : undefined;
    } catch {
      return undefined;
    }
  };
  const dirs = cgroup.dirs;
  const memoryBytes = 'v2' in dirs ? value(dirs.v2, 'memory.peak') : value(dirs.v1.memory, 'memory.max_usage_in_bytes');
  const pids = 'v2' in dirs ? value(dirs.v2, 'pids.peak') : undefined;
  if (memoryBytes === undefined && pids === undefined) return undefined;
  return { ...(memoryBytes === undefined ? {} : { memoryBytes }), ...(pids === undefined ? {} : { pids }) };
}
