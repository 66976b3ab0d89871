/**
 * `burrow setup`: the one opt-in step that needs root (issue 10). It gives a user
 * what burrow's cgroup routes need on this host (see plan.ts), runs each step
 * after the caller has shown its command, and is idempotent; `undo` removes what
 * it added.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { BurrowError } from '../errors.js';
import { HOST_PATHS, type HostPaths } from './host.js';
import { planSetup, planUndo, tmpfilesPath, type PlanOptions, type SetupPlan, type SetupUser } from './plan.js';

export { HOST_PATHS, cgroupVersion, readCgroupMounts, userManagerDelegation, WANTED_DELEGATION, type CgroupVersion, type HostPaths } from './host.js';
export { planSetup, planUndo, subtreeName, tmpfilesConfig, type SetupPlan, type SetupStep, type SetupUser } from './plan.js';

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
  const [, , uid, gid] = line.split(':');
  const user = { name: wanted, uid: Number(uid), gid: Number(gid) };
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

async function apply(plan: SetupPlan, options: SetupOptions): Promise<void> {
  for (const step of plan.steps) {
    options.onCommand(step.command);
    if (options.dryRun !== true) await step.run();
  }
}

export async function setup(user: SetupUser, options: SetupOptions): Promise<SetupResult> {
  const planOptions: PlanOptions = { paths: options.paths ?? HOST_PATHS, exec: options.exec, removeCgroup: options.removeCgroup };
  const plan = options.undo === true ? planUndo(user, planOptions) : planSetup(user, planOptions);
  if (plan.steps.length > 0 && options.dryRun !== true && !(options.privileged ?? process.getuid?.() === 0)) {
    throw new BurrowError('DENIED', 'burrow setup changes system files: run it as root (sudo burrow setup), or see what it would do with --dry-run');
  }
  await apply(plan, options);
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
      await apply(left, options);
      steps += byHand.length + 1;
      notes.splice(0, notes.length, `systemd-tmpfiles could not make the cgroup subtree here, so it was made by hand: run 'burrow setup --user ${user.name}' again after a reboot`);
    }
  }
  return { steps, notes, nothing: plan.nothing };
}
