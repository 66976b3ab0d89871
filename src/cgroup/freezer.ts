import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import { keyed } from './stats.js';
import type { ContainerCgroup } from './types.js';

/**
 * pause/unpause: v2 cgroup.freeze, done when cgroup.events says `frozen 1`; v1
 * freezer.state, FREEZING until every task is stopped, then FROZEN.
 */

interface FreezerFile {
  dir: string;
  v2: boolean;
}

function freezerOf(cgroup: ContainerCgroup | undefined): FreezerFile | undefined {
  if (cgroup === undefined) return undefined;
  if ('v2' in cgroup.dirs) return existsSync(join(cgroup.dirs.v2, 'cgroup.freeze')) ? { dir: cgroup.dirs.v2, v2: true } : undefined;
  const dir = cgroup.dirs.v1.freezer;
  return dir !== undefined && existsSync(join(dir, 'freezer.state')) ? { dir, v2: false } : undefined;
}

export function isFrozen(cgroup: ContainerCgroup | undefined): boolean {
  const freezer = freezerOf(cgroup);
  if (freezer === undefined) return false;
  try {
    if (freezer.v2) return readFileSync(join(freezer.dir, 'cgroup.freeze'), 'utf8').trim() === '1';
    // FREEZING counts: a pause asked for and not yet done is not a running container.
    return readFileSync(join(freezer.dir, 'freezer.state'), 'utf8').trim() !== 'THAWED';
  } catch {
    return false;
  }
}

function done(freezer: FreezerFile, frozen: boolean): boolean {
  if (freezer.v2) return keyed(readFileSync(join(freezer.dir, 'cgroup.events'), 'utf8'), 'frozen') === (frozen ? 1 : 0);
  return readFileSync(join(freezer.dir, 'freezer.state'), 'utf8').trim() === (frozen ? 'FROZEN' : 'THAWED');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Freezes or thaws, and waits (up to 2 s) until the kernel says it is done. */
export async function setFrozen(cgroup: ContainerCgroup | undefined, frozen: boolean, name: string): Promise<void> {
  const verb = frozen ? 'pause' : 'unpause';
  const freezer = freezerOf(cgroup);
  if (freezer === undefined) {
    throw new BurrowError('INVALID_ARGUMENT', `cannot ${verb} ${name}: it has no freezer cgroup of its own (run 'burrow doctor' to see what this host delegates)`);
  }
  const write = (): void => {
    if (freezer.v2) writeFileSync(join(freezer.dir, 'cgroup.freeze'), frozen ? '1' : '0');
    else writeFileSync(join(freezer.dir, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED');
  };
  write();
  for (let attempt = 0; attempt < 200; attempt++) {
    if (done(freezer, frozen)) return;
    // v1: a task that forks while freezing can leave the cgroup FREEZING; writing FROZEN again retries (as runc does).
    if (!freezer.v2 && attempt % 10 === 9) write();
    await sleep(10);
  }
  if (frozen && !freezer.v2) writeFileSync(join(freezer.dir, 'freezer.state'), 'THAWED');
  throw new BurrowError('IO', `${name} did not ${frozen ? 'freeze' : 'thaw'} within 2 s`);
}
