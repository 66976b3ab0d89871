/**
 * Everything a job made goes, whatever ended it (success, a failed step, a
 * timeout, Ctrl-C): its containers (killed and removed as `rm -f` does), then
 * the switch of its own network and the network. It waits until no process of
 * those containers is left (the network agents and helpers end a moment after
 * their container), so when runJob returns, a check from the host finds nothing.
 * Each part is tried even when an earlier one failed; the failures are returned.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { removeContainer } from '../container/ops.js';
import { containerDir } from '../container/record.js';
import { networkDir, removeNetwork, type NetworkRecord } from '../network/records.js';
import type { Store } from '../store/store.js';

/** What a job has made so far, in the order it made them. */
export interface JobResources {
  /** Container ids. */
  containers: string[];
  /** The job's own network (removed), undefined when it joined one it was given (left). */
  network?: NetworkRecord | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Host pids of processes whose command line names one of `dirs` (a container's monitor, network agent, helper). */
function processesNaming(dirs: string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (dirs.some((dir) => cmdline.includes(dir))) found.push(Number(entry));
  }
  return found;
}

/**
 * The pids holding a flock on `path` (/proc/locks: `N: FLOCK ADVISORY WRITE PID
 * MAJ:MIN:INODE ...`, the device numbers in hex).
 */
function flockHolders(path: string): number[] {
  let dev: number;
  let ino: number;
  try {
    ({ dev, ino } = statSync(path));
  } catch {
    return [];
  }
  const major = ((dev >> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const holders: number[] = [];
  for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] !== 'FLOCK') continue;
    const [maj, min, inode] = (fields[5] ?? '').split(':');
    if (Number(inode) === ino && parseInt(maj ?? '', 16) === major && parseInt(min ?? '', 16) === minor) holders.push(Number(fields[4]));
  }
  return holders;
}

/**
 * Ends the switch of the job's network once its members are gone: left alone it
 * would stay 5 s after its last member (native/burrow-switch.c, IDLE_MS). It is
 * found as the holder of the network's switch.lock (one switch per network holds
 * it) and named burrow-switch; SIGTERM ends it (it has no member to lose).
 */
async function stopSwitch(store: Store, network: NetworkRecord): Promise<void> {
  const lock = join(networkDir(store, network.id), 'switch.lock');
  for (const pid of flockHolders(lock)) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'burrow-switch') process.kill(pid, 'SIGTERM');
    } catch {
      // Gone already.
    }
  }
  const deadline = Date.now() + 10_000;
  while (flockHolders(lock).length > 0 && Date.now() < deadline) await sleep(20);
}

export async function tearDown(store: Store, resources: JobResources, onNote: (text: string) => void): Promise<string[]> {
  const failures: string[] = [];
  const dirs = resources.containers.map((id) => containerDir(store, id));
  // The job container (made last) first: its steps may still talk to the services.
  for (const id of [...resources.containers].reverse()) {
    try {
      await removeContainer(store, id, true, { volumes: true });
    } catch (error) {
      failures.push(`container ${id.slice(0, 12)}: ${(error as Error).message}`);
    }
  }
  // The monitors, network agents and their helpers end with their containers; wait for the last of them.
  const deadline = Date.now() + 10_000;
  let left = processesNaming(dirs);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(25);
    left = processesNaming(dirs);
  }
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
      onNote(`killed process ${pid}, left by a container of the job`);
    } catch {
      // Gone meanwhile.
    }
  }
  if (resources.network !== undefined) {
    try {
      await stopSwitch(store, resources.network);
      removeNetwork(store, resources.network.id);
    } catch (error) {
      failures.push(`network ${resources.network.name}: ${(error as Error).message}`);
    }
  }
  return failures;
}
