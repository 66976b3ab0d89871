/**
 * A subordinate id range for the user (at least 65,536 ids, what an image's
 * users from 0 to 65534 need), added with usermod where /etc/subuid or
 * /etc/subgid has none, above every range already given out, as useradd would.
 */
import { join } from 'node:path';
import { readSubordinateFile, subordinateRange, type HostPaths } from './host.js';
import { defaultExec, quote, type PlanOptions, type SetupStep, type SetupUser } from './plan.js';
import { readState, type SetupState } from './state.js';

/** What an image's users need: ids 0 to 65535 (nobody is 65534). */
export const WANTED_IDS = 65_536;
const FIRST_ID = 100_000;

export interface SubidPlan {
  steps: SetupStep[];
  notes: string[];
  nothing: string;
  /** The ranges the steps add (recorded for --undo). */
  added: SetupState;
}

/** 100000 (useradd's first) when no range is given out, else the first 65536 boundary past every range of both files. */
export function freeStart(paths: HostPaths): number {
  const ends = ['subuid', 'subgid'].flatMap((file) => readSubordinateFile(join(paths.etc, file)).map((line) => line.start + line.count));
  return Math.max(FIRST_ID, Math.ceil(Math.max(0, ...ends) / WANTED_IDS) * WANTED_IDS);
}

export function planSubids(user: SetupUser, options: PlanOptions): SubidPlan {
  const { paths } = options;
  const exec = options.exec ?? defaultExec;
  const start = freeStart(paths);
  const plan: SubidPlan = { steps: [], notes: [], nothing: `${user.name} has subordinate ids`, added: {} };
  const args: string[] = [];
  for (const [file, id, flag] of [['subuid', user.uid, '--add-subuids'], ['subgid', user.gid, '--add-subgids']] as const) {
    const range = subordinateRange(readSubordinateFile(join(paths.etc, file)), user.name, id);
    if (range === undefined) {
      args.push(flag, `${start}-${start + WANTED_IDS - 1}`);
      plan.added[file] = { start, count: WANTED_IDS };
    } else if (range.count < WANTED_IDS) {
      // burrow maps the first range it finds: another line would not be used, and replacing it is the administrator's call.
      plan.notes.push(`${user.name}'s range in /etc/${file} has ${range.count} ids, fewer than an image's users need (${WANTED_IDS}): replace it (as root: usermod --del-${file}s ${range.start}-${range.start + range.count - 1} --add-${file}s ${start}-${start + WANTED_IDS - 1} ${user.name})`);
    }
  }
  if (args.length > 0) {
    const argv = [...args, user.name];
    plan.steps.push({ command: `usermod ${argv.map(quote).join(' ')}`, run: () => exec('usermod', argv) });
  }
  return plan;
}

/** The ranges setup added (its record), where they are still in the files. */
export function planSubidsUndo(user: SetupUser, options: PlanOptions): SetupStep[] {
  const { paths } = options;
  const exec = options.exec ?? defaultExec;
  const state = readState(paths, user);
  const args: string[] = [];
  for (const [file, flag] of [['subuid', '--del-subuids'], ['subgid', '--del-subgids']] as const) {
    const added = state[file];
    if (added === undefined) continue;
    const present = readSubordinateFile(join(paths.etc, file)).some((line) => (line.owner === user.name || line.owner === String(file === 'subuid' ? user.uid : user.gid)) && line.start === added.start && line.count === added.count);
    if (present) args.push(flag, `${added.start}-${added.start + added.count - 1}`);
  }
  if (args.length === 0) return [];
  const argv = [...args, user.name];
  return [{ command: `usermod ${argv.map(quote).join(' ')}`, run: () => exec('usermod', argv) }];
}
