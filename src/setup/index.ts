/**
 * `burrow setup`: the one opt-in step that needs root (sudo). For the user who
 * runs burrow it installs the packages burrow uses, adds subordinate id ranges,
 * gives the cgroups that resource limits need (see plan.ts) and, where AppArmor
 * restricts user namespaces, the narrow profile for burrow's own helper
 * (apparmor.ts). Each step's command is shown before it runs; a second run has
 * nothing to do; `undo` removes what it added.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { BurrowError } from '../errors.js';
import { planAppArmor, planAppArmorUndo } from './apparmor.js';
import { HOST_PATHS, type HostPaths } from './host.js';
import { planPackages } from './packages.js';
import { planSetup, planUndo, tmpfilesPath, type PlanOptions, type SetupPlan, type SetupStep, type SetupUser } from './plan.js';
import { forgetStep, readState, recordStep } from './state.js';
import { planSubids, planSubidsUndo } from './subids.js';

export { HOST_PATHS, appArmorEnabled, appArmorRestrictsUserns, cgroupVersion, findProgram, readCgroupMounts, readOsRelease, readSubordinateFile, readUsernsSysctls, subordinateRange, userManagerDelegation, WANTED_DELEGATION, type CgroupVersion, type HostPaths, type UsernsSysctls } from './host.js';
export { planSetup, planUndo, subtreeName, tmpfilesConfig, type SetupPlan, type SetupStep, type SetupUser } from './plan.js';
export { helperPaths, helperSource, planAppArmor, planAppArmorUndo, profileText, PROFILE_NAME, PROFILE_SOURCE } from './apparmor.js';
export { missingPackages, networkPackage, planPackages } from './packages.js';
export { freeStart, planSubids, WANTED_IDS } from './subids.js';
export { readState, statePath } from './state.js';

const execFileAsync = promisify(execFile);

/** The user setup is for: `--user NAME`, else the one who ran sudo. */
export async function resolveUser(name: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<SetupUser> {
  const wanted = name ?? env.SUDO_USER;
  if (wanted === undefined || wanted === '') {
    throw new BurrowError('INVALID_ARGUMENT', 'which user is setup for? run it with sudo from that user, or pass --user NAME');
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(wanted)) throw new BurrowError('INVALID_ARGUMENT', `"${wanted}" is not a user name: pass --user NAME`);
  let line = '';
  try {
    line = String((await execFileAsync('getent', ['passwd', wanted])).stdout).trim();
  } catch {
    throw new BurrowError('NOT_FOUND', `there is no user "${wanted}" on this host: pass --user with an existing user's name`);
  }
  // The name as the password database spells it: `--user 1001` is burrowtest's setup, not a user called "1001".
  const [listed, , uid, gid] = line.split(':');
  const user = { name: listed || wanted, uid: Number(uid), gid: Number(gid) };
  if (!Number.isInteger(user.uid) || !Number.isInteger(user.gid)) throw new BurrowError('IO', `getent passwd ${wanted} gave no uid and gid: "${line}"`);
  if (user.uid === 0) throw new BurrowError('INVALID_ARGUMENT', 'setup is for the unprivileged user who runs burrow, not root: pass --user NAME');
  return user;
}

export interface SetupOptions {
  undo?: boolean;
  dryRun?: boolean;
  paths?: HostPaths;
  /** Called with each step's command before it runs (dry run: instead of running it). */
  onCommand: (command: string) => void;
  /** Whether this process may change system files (default: it runs as root). */
  privileged?: boolean;
  exec?: PlanOptions['exec'];
  removeCgroup?: PlanOptions['removeCgroup'];
}

export interface SetupResult {
  /** How many steps ran (or, dry run, would run); 0: nothing was to be done. */
  steps: number;
  notes: string[];
  /** Said when no step was needed. */
  nothing: string;
}

async function apply(steps: readonly SetupStep[], options: SetupOptions): Promise<void> {
  for (const step of steps) {
    options.onCommand(step.command);
    if (options.dryRun !== true) await step.run();
  }
}

/**
 * Everything setup would do for `user` on this host, in order: packages (the
 * later parts may use what they bring), subordinate ids, the record of what
 * those added (for --undo), the cgroup delegation, the AppArmor profile.
 */
export function planAll(user: SetupUser, planOptions: PlanOptions): SetupPlan {
  const packages = planPackages(planOptions);
  const subids = planSubids(user, planOptions);
  const cgroup = planSetup(user, planOptions);
  const apparmor = planAppArmor(user, planOptions);
  const added = { ...subids.added, ...(packages.steps.length > 0 ? { packages: packages.packages } : {}) };
  const record = packages.steps.length > 0 || subids.steps.length > 0 ? [recordStep(planOptions.paths, user, added)] : [];
  const steps = [...packages.steps, ...subids.steps, ...record, ...cgroup.steps, ...apparmor.steps];
  const nothings = [packages.nothing, subids.nothing, cgroup.nothing.replace(/^nothing to do: /, ''), apparmor.nothing];
  return {
    cgroupVersion: cgroup.cgroupVersion,
    steps,
    notes: [...packages.notes, ...subids.notes, ...cgroup.notes, ...apparmor.notes],
    nothing: `nothing to do: ${nothings.join('; ')}`,
  };
}

/** What --undo removes: the AppArmor helper and profile, the cgroup delegation, the ranges setup added, its record. */
export function planAllUndo(user: SetupUser, planOptions: PlanOptions): SetupPlan {
  const cgroup = planUndo(user, planOptions);
  const installed = readState(planOptions.paths, user).packages ?? [];
  const forget = forgetStep(planOptions.paths, user);
  const steps = [...planAppArmorUndo(user, planOptions), ...cgroup.steps, ...planSubidsUndo(user, planOptions), ...(forget === undefined ? [] : [forget])];
  const notes = installed.length > 0 ? [`the packages setup installed stay (other programs may use them by now): ${installed.join(' ')}; remove them with apt-get remove if nothing does`] : [];
  return { cgroupVersion: cgroup.cgroupVersion, steps, notes, nothing: cgroup.nothing };
}

export async function setup(user: SetupUser, options: SetupOptions): Promise<SetupResult> {
  const planOptions: PlanOptions = { paths: options.paths ?? HOST_PATHS, exec: options.exec, removeCgroup: options.removeCgroup };
  const plan = options.undo === true ? planAllUndo(user, planOptions) : planAll(user, planOptions);
  if (plan.steps.length > 0 && options.dryRun !== true && !(options.privileged ?? process.getuid?.() === 0)) {
    throw new BurrowError('DENIED', 'burrow setup changes system files: run it as root (sudo burrow setup), or see what it would do with --dry-run');
  }
  await apply(plan.steps, options);
  const notes = [...plan.notes];
  let steps = plan.steps.length;
  if (options.undo !== true && options.dryRun !== true && steps > 0) {
    // systemd-tmpfiles made the subtree, or it cannot in this cgroupfs: then by
    // hand, and the tmpfiles file (which would not help at boot) goes.
    const left = planSetup(user, { ...planOptions, tmpfiles: false });
    const byHand = left.steps;
    if (byHand.length > 0 && plan.steps.some((step) => step.command.startsWith('systemd-tmpfiles'))) {
      const conf = tmpfilesPath(planOptions.paths, user);
      options.onCommand(`rm ${conf}`);
      await rm(conf, { force: true });
      await apply(left.steps, options);
      steps += byHand.length + 1;
      const note = notes.findIndex((text) => /cgroup/.test(text));
      notes.splice(note < 0 ? notes.length : note, note < 0 ? 0 : 1, `systemd-tmpfiles could not make the cgroup subtree here, so it was made by hand: run 'burrow setup --user ${user.name}' again after a reboot`);
    }
  }
  return { steps, notes, nothing: plan.nothing };
}
