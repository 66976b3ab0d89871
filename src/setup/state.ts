/**
 * What `burrow setup` added for a user that is not otherwise marked as its own
 * (a subordinate id range is a line like any other in /etc/subuid; a package is
 * a package), so that `setup --undo` removes exactly that: one small JSON file
 * per user in paths.stateDir, root's.
 */
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { errnoOf } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HostPaths } from './host.js';
import { quote, type SetupStep, type SetupUser } from './plan.js';

export interface SetupState {
  subuid?: { start: number; count: number } | undefined;
  subgid?: { start: number; count: number } | undefined;
  /** Packages setup installed (undo leaves them: other programs may need them by now). */
  packages?: string[] | undefined;
}

export function statePath(paths: HostPaths, user: SetupUser): string {
  return join(paths.stateDir, `${user.name}.json`);
}

export function readState(paths: HostPaths, user: SetupUser): SetupState {
  try {
    return JSON.parse(readFileSync(statePath(paths, user), 'utf8')) as SetupState;
  } catch {
    return {};
  }
}

/** The step that records `added` on top of what an earlier run recorded. */
export function recordStep(paths: HostPaths, user: SetupUser, added: SetupState): SetupStep {
  const file = statePath(paths, user);
  const before = readState(paths, user);
  const packages = [...new Set([...(before.packages ?? []), ...(added.packages ?? [])])];
  const state: SetupState = { ...before, ...added, ...(packages.length > 0 ? { packages } : {}) };
  const text = `${JSON.stringify(state)}\n`;
  return {
    command: `mkdir -p ${quote(dirname(file))} && echo ${quote(text.trim())} > ${quote(file)}`,
    run: async () => {
      await mkdir(dirname(file), { recursive: true, mode: 0o755 });
      // Replaced whole: `burrow doctor` (any user) may read it meanwhile.
      writeFileAtomic(file, text, 0o644);
    },
  };
}

/** Removes the user's record, and the record directory (and /var/lib/burrow) when nothing else is left in it. */
export function forgetStep(paths: HostPaths, user: SetupUser): SetupStep | undefined {
  const file = statePath(paths, user);
  if (!existsSync(file)) return undefined;
  const dirs = [paths.stateDir, dirname(paths.stateDir)];
  return {
    command: `rm ${quote(file)} && rmdir --ignore-fail-on-non-empty ${dirs.map(quote).join(' ')}`,
    run: async () => {
      await rm(file, { force: true });
      for (const dir of dirs) {
        try {
          await rmdir(dir);
        } catch (error) {
          if (errnoOf(error) !== 'ENOTEMPTY' && errnoOf(error) !== 'EEXIST' && errnoOf(error) !== 'ENOENT') throw error;
          return;
        }
      }
    },
  };
}
