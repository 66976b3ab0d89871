/**
 * `burrow setup`'s plan: what root must do once so that a user's containers get
 * cgroups (issue 10), as steps that each show the shell command they amount to.
 * Only what is missing is planned (a second run plans nothing), and `undo`
 * plans the removal of exactly what setup adds.
 *
 * - cgroup v1 (and hybrid) hosts: `burrow-<uid>` at the root of each hierarchy
 *   (cpuset given its parent's cpus and memory nodes, which its children then
 *   inherit), owned by the user: burrow's `delegated-v1` route finds it there.
 *   Where systemd is the init, a tmpfiles.d file makes it again at each boot.
 * - cgroup v2 hosts whose user manager delegates too little (systemd < 252 has
 *   no `cpu`): a user@.service drop-in with `Delegate=cpu cpuset io memory pids`.
 */
import { execFile } from 'node:child_process';
import { chown, lstat, mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { BurrowError, errnoOf } from '../errors.js';
import { cgroupVersion, delegateDropInPath, readCgroupMounts, systemdIsInit, userManagerDelegation, WANTED_DELEGATION, type CgroupVersion, type HostPaths } from './host.js';

export interface SetupUser {
  name: string;
  uid: number;
  gid: number;
}

/** One thing setup does: the shell command it amounts to (printed before it runs) and the doing. */
export interface SetupStep {
  command: string;
  run(): Promise<void>;
}

export interface SetupPlan {
  cgroupVersion: CgroupVersion;
  steps: SetupStep[];
  /** What the user should know whatever the steps (e.g. "run burrow setup again after a reboot"). */
  notes: string[];
  /** Said when there are no steps: why nothing is to be done. */
  nothing: string;
}

export interface PlanOptions {
  paths: HostPaths;
  /** Make the v1 subtree through systemd-tmpfiles (the default where systemd is the init and has it). */
  tmpfiles?: boolean;
  /** The program that runs commands (tests: a recorder). */
  exec?: (file: string, args: string[]) => Promise<void>;
  /** Removes an empty cgroup directory (cgroupfs: rmdir; tests' fake trees, whose files stay, say otherwise). */
  removeCgroup?: (dir: string) => Promise<void>;
}

const execFileAsync = promisify(execFile);
/** Runs a program to its end (apt-get without questions), its error output in the error. */
export const defaultExec = async (file: string, args: string[]): Promise<void> => {
  try {
    await execFileAsync(file, args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new BurrowError('IO', `${file} ${args.join(' ')} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
};

export const quote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`);

export function subtreeName(user: SetupUser): string {
  return `burrow-${user.uid}`;
}

export function tmpfilesPath(paths: HostPaths, user: SetupUser): string {
  return join(paths.etc, 'tmpfiles.d', `burrow-${user.name}.conf`);
}

const DROP_IN = `# Written by 'burrow setup' (remove with 'burrow setup --undo'): the controllers each
# user's systemd manager hands to its units, so rootless containers can be limited
# (systemd < 252 delegates no cpu). Podman's documentation advises the same.
[Service]
Delegate=${WANTED_DELEGATION.join(' ')}
`;

/** The v1 hierarchies' `burrow-<uid>` directories (one per mount; cpu,cpuacct co-mounted share one). */
function v1Subtrees(paths: HostPaths, user: SetupUser): Array<{ dir: string; cpuset: boolean }> {
  return readCgroupMounts(paths).v1.map((mount) => ({ dir: join(mount.mountPoint, subtreeName(user)), cpuset: mount.controllers.includes('cpuset') }));
}

function readTrimmed(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Whether the directory or anything directly in it is not the user's. */
function needsChown(dir: string, user: SetupUser): boolean {
  const owned = (path: string): boolean => {
    const stat = statSync(path);
    return stat.uid === user.uid && stat.gid === user.gid;
  };
  if (!owned(dir)) return true;
  return readdirSync(dir).some((name) => !owned(join(dir, name)));
}

async function chownTree(path: string, user: SetupUser): Promise<void> {
  await chown(path, user.uid, user.gid);
  if ((await lstat(path)).isDirectory()) {
    for (const name of await readdir(path)) await chownTree(join(path, name), user);
  }
}

const writeStep = (file: string, value: string): SetupStep => ({
  command: `echo ${quote(value)} > ${quote(file)}`,
  run: () => writeFile(file, `${value}\n`),
});

/** The steps that make each v1 subtree by hand (what is missing of it). */
function directV1Steps(paths: HostPaths, user: SetupUser): SetupStep[] {
  const steps: SetupStep[] = [];
  for (const { dir, cpuset } of v1Subtrees(paths, user)) {
    const exists = existsSync(dir);
    if (!exists) steps.push({ command: `mkdir ${quote(dir)}`, run: () => mkdir(dir).then(() => undefined) });
    if (cpuset) {
      // A new cpuset cgroup has no cpus and no memory nodes, so no task could join
      // it: its parent's, and clone_children so the containers' inherit them.
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        if (!exists || readTrimmed(join(dir, file)) === '') steps.push(writeStep(join(dir, file), readTrimmed(join(dirname(dir), file))));
      }
      if (!exists || readTrimmed(join(dir, 'cgroup.clone_children')) !== '1') steps.push(writeStep(join(dir, 'cgroup.clone_children'), '1'));
    }
    if (!exists || needsChown(dir, user)) {
      steps.push({ command: `chown -R ${user.uid}:${user.gid} ${quote(dir)}`, run: () => chownTree(dir, user) });
    }
  }
  return steps;
}

/** The tmpfiles.d lines that make the same subtree at boot (d: the directory, w: cpuset, Z: the owner of all in it). */
export function tmpfilesConfig(paths: HostPaths, user: SetupUser): string {
  const lines = [`# Written by 'burrow setup --user ${user.name}' (remove with 'burrow setup --undo --user ${user.name}'):`, `# ${user.name}'s cgroup v1 subtree for rootless containers, made again at each boot.`];
  for (const { dir, cpuset } of v1Subtrees(paths, user)) {
    lines.push(`d ${dir} 0755 ${user.uid} ${user.gid} -`);
    if (cpuset) {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) lines.push(`w ${join(dir, file)} - - - - ${readTrimmed(join(dirname(dir), file))}`);
      lines.push(`w ${join(dir, 'cgroup.clone_children')} - - - - 1`);
    }
    lines.push(`Z ${dir} - ${user.uid} ${user.gid} -`);
  }
  return `${lines.join('\n')}\n`;
}

/** The plan that gives `user` what burrow's cgroup routes need on this host. */
export function planSetup(user: SetupUser, options: PlanOptions): SetupPlan {
  const { paths } = options;
  const exec = options.exec ?? defaultExec;
  const version = cgroupVersion(readCgroupMounts(paths));
  if (version === 'v1' || version === 'hybrid') {
    const conf = tmpfilesPath(paths, user);
    const atBoot = options.tmpfiles ?? systemdIsInit(paths);
    const notes: string[] = [];
    const steps: SetupStep[] = [];
    if (atBoot) {
      const wanted = tmpfilesConfig(paths, user);
      if (readTrimmed(conf) !== wanted.trim()) {
        steps.push({ command: `cat > ${quote(conf)} <<'EOF'\n${wanted}EOF`, run: async () => { await mkdir(dirname(conf), { recursive: true }); await writeFile(conf, wanted); } });
      }
      if (steps.length > 0 || directV1Steps(paths, user).length > 0) {
        steps.push({ command: `systemd-tmpfiles --create ${quote(conf)}`, run: () => exec('systemd-tmpfiles', ['--create', conf]) });
      }
    } else {
      steps.push(...directV1Steps(paths, user));
      notes.push(`systemd is not this host's init, so nothing makes the cgroup subtree again at boot: run 'burrow setup --user ${user.name}' again after a reboot`);
    }
    return { cgroupVersion: version, steps, notes, nothing: `nothing to do: ${user.name}'s cgroup v1 subtree (${subtreeName(user)}) is in place` };
  }
  if (version === 'v2') {
    const delegated = userManagerDelegation(paths);
    if (delegated === undefined) {
      return { cgroupVersion: version, steps: [], notes: [], nothing: 'nothing to do: there is no systemd user manager here to delegate cgroups; burrow uses the cgroup it is started in when that one is delegated to the user' };
    }
    const missing = WANTED_DELEGATION.filter((controller) => !delegated.includes(controller));
    if (missing.length === 0) {
      return { cgroupVersion: version, steps: [], notes: [], nothing: `nothing to do: the user manager delegates ${WANTED_DELEGATION.join(' ')}` };
    }
    const dropIn = delegateDropInPath(paths);
    const steps: SetupStep[] = [
      { command: `mkdir -p ${quote(dirname(dropIn))}`, run: () => mkdir(dirname(dropIn), { recursive: true }).then(() => undefined) },
      { command: `cat > ${quote(dropIn)} <<'EOF'\n${DROP_IN}EOF`, run: () => writeFile(dropIn, DROP_IN) },
    ];
    if (systemdIsInit(paths)) steps.push({ command: 'systemctl daemon-reload', run: () => exec('systemctl', ['daemon-reload']) });
    return {
      cgroupVersion: version,
      steps,
      notes: [`user managers started from now on delegate ${WANTED_DELEGATION.join(' ')} (it had ${delegated.join(' ') || 'none'}); a running one gets it when it restarts (log out and back in, or reboot)`],
      nothing: '',
    };
  }
  return { cgroupVersion: version, steps: [], notes: [], nothing: 'nothing to do: this host has no cgroup file system mounted' };
}

/** The plan that removes what `planSetup` adds (the v1 subtree children first, the tmpfiles file, the drop-in). */
export function planUndo(user: SetupUser, options: PlanOptions): SetupPlan {
  const { paths } = options;
  const exec = options.exec ?? defaultExec;
  const removeCgroup = options.removeCgroup ?? rmdir;
  const version = cgroupVersion(readCgroupMounts(paths));
  const steps: SetupStep[] = [];
  const conf = tmpfilesPath(paths, user);
  if (existsSync(conf)) steps.push({ command: `rm ${quote(conf)}`, run: () => rm(conf) });
  if (version === 'v1' || version === 'hybrid') {
    for (const { dir } of v1Subtrees(paths, user)) {
      if (!existsSync(dir)) continue;
      for (const child of childCgroups(dir)) steps.push(rmdirStep(child, removeCgroup));
      steps.push(rmdirStep(dir, removeCgroup));
    }
  }
  const dropIn = delegateDropInPath(paths);
  if (existsSync(dropIn)) {
    steps.push({ command: `rm ${quote(dropIn)}`, run: () => rm(dropIn) });
    if (systemdIsInit(paths)) steps.push({ command: 'systemctl daemon-reload', run: () => exec('systemctl', ['daemon-reload']) });
  }
  return { cgroupVersion: version, steps, notes: [], nothing: `nothing to do: burrow setup has made nothing for ${user.name} here` };
}

/** The cgroups below `dir`, deepest first (a cgroup directory is removed only when it has no children). */
function childCgroups(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const child = join(dir, entry.name);
    found.push(...childCgroups(child), child);
  }
  return found;
}

function rmdirStep(dir: string, remove: (dir: string) => Promise<void>): SetupStep {
  return {
    command: `rmdir ${quote(dir)}`,
    run: async () => {
      try {
        await remove(dir);
      } catch (error) {
        if (errnoOf(error) === 'EBUSY') throw new BurrowError('IN_USE', `cannot remove ${dir}: processes still run in it (stop the containers in it first: burrow ps)`, { cause: error });
        throw error;
      }
    },
  };
}
