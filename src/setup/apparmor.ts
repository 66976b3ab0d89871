/**
 * On hosts whose AppArmor restricts unprivileged user namespaces (Ubuntu 24.04
 * and later: kernel.apparmor_restrict_unprivileged_userns=1), the narrow way
 * through for burrow: a root-owned copy of burrow's own helper `burrow-userns`
 * (native/burrow-userns.c: it makes burrow's user namespace and nothing else)
 * in /usr/local/lib/burrow/<uid>/ (mode 0750, group the user's: only that user
 * and its group can run it), and the profile apparmor/burrow, which allows
 * `userns` to that path alone. burrow runs the copy when it is there
 * (util/host-tools.ts: unshareProgram). The restriction stays for every other
 * program, where writing 0 to the sysctl would lift it for the whole machine,
 * and a profile for /usr/bin/unshare would give every user a way around it.
 */
import { chmod, chown, copyFile, mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { appArmorEnabled, appArmorRestrictsUserns, findProgram } from './host.js';
import { nativeBinary } from '../util/native.js';
import { USERNS_HELPER } from '../util/host-tools.js';
import { defaultExec, quote, type PlanOptions, type SetupStep, type SetupUser } from './plan.js';

/** The profile's file in the repository (and the package: package.json's files). */
export const PROFILE_SOURCE = new URL('../../apparmor/burrow', import.meta.url);
/** The profile's name in the kernel (what /sys/kernel/security/apparmor/profiles lists). */
export const PROFILE_NAME = 'burrow-userns';
const PROFILE_FILE = 'burrow';

export function profileText(): string {
  return readFileSync(PROFILE_SOURCE, 'utf8');
}

export interface AppArmorPlan {
  steps: SetupStep[];
  notes: string[];
  nothing: string;
}

function sameContent(a: string, b: string): boolean {
  try {
    return readFileSync(a).equals(readFileSync(b));
  } catch {
    return false;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether the kernel has burrow's profile loaded (root can read the list; otherwise: not known, so load it). */
export function profileLoaded(securityfs: string): boolean {
  const list = readText(join(securityfs, 'apparmor/profiles'));
  return list !== undefined && list.split('\n').some((line) => line.startsWith(`${PROFILE_NAME} `));
}

/** The user's helper directory and the copy in it. */
export function helperPaths(libexec: string, user: SetupUser): { dir: string; helper: string } {
  const dir = join(libexec, String(user.uid));
  return { dir, helper: join(dir, USERNS_HELPER) };
}

/** The helper setup copies: the one built beside this burrow. */
export function helperSource(): string {
  return nativeBinary(USERNS_HELPER);
}

export function planAppArmor(user: SetupUser, options: PlanOptions): AppArmorPlan {
  const { paths } = options;
  const exec = options.exec ?? defaultExec;
  if (!appArmorRestrictsUserns(paths)) {
    return { steps: [], notes: [], nothing: 'AppArmor does not restrict user namespaces here (no profile needed)' };
  }
  const steps: SetupStep[] = [];
  const notes: string[] = [];
  // apparmor_parser may come with this run's packages: looked for when the step runs.
  const source = helperSource();
  const { dir, helper: unshare } = helperPaths(paths.libexec, user);
  if (!existsSync(paths.libexec)) {
    steps.push({ command: `install -d -m 0755 ${quote(paths.libexec)}`, run: async () => { await mkdir(paths.libexec, { recursive: true }); await chmod(paths.libexec, 0o755); } });
  }
  const dirStat = existsSync(dir) ? statSync(dir) : undefined;
  if (dirStat === undefined || dirStat.uid !== 0 || dirStat.gid !== user.gid || (dirStat.mode & 0o7777) !== 0o750) {
    steps.push({
      command: `install -d -m 0750 -o root -g ${user.gid} ${quote(dir)}`,
      run: async () => { await mkdir(dir, { recursive: true }); await chown(dir, 0, user.gid); await chmod(dir, 0o750); },
    });
  }
  const copyStat = existsSync(unshare) ? statSync(unshare) : undefined;
  // A copy unlike this burrow's helper (burrow was upgraded) is copied again.
  if (copyStat === undefined || copyStat.uid !== 0 || copyStat.gid !== 0 || (copyStat.mode & 0o7777) !== 0o755 || !sameContent(source, unshare)) {
    steps.push({
      command: `install -m 0755 -o root -g root ${quote(source)} ${quote(unshare)}`,
      run: async () => {
        // Written beside it and renamed: the path the profile names never holds half a program, nor one the user could write.
        const partial = `${unshare}.partial`;
        await copyFile(source, partial);
        await chown(partial, 0, 0);
        await chmod(partial, 0o755);
        await rename(partial, unshare);
      },
    });
  }
  const target = join(paths.apparmorDir, PROFILE_FILE);
  const text = profileText();
  const changed = readText(target) !== text;
  if (changed) {
    steps.push({ command: `cat > ${quote(target)} <<'EOF'\n${text}EOF`, run: async () => { await mkdir(paths.apparmorDir, { recursive: true }); await writeFile(target, text, { mode: 0o644 }); } });
  }
  if (changed || !profileLoaded(paths.securityfs)) {
    steps.push({ command: `apparmor_parser -r ${quote(target)}`, run: () => exec(findProgram(paths, 'apparmor_parser') ?? 'apparmor_parser', ['-r', target]) });
  }
  if (steps.length > 0) notes.push(`burrow runs ${unshare} to create its user namespace; run 'burrow setup' again after burrow is upgraded (burrow doctor says when the copy differs)`);
  return { steps, notes, nothing: `burrow's AppArmor profile and ${user.name}'s helper are in place` };
}

/** Removes the user's helper; the profile too when no other user's helper is left. */
export function planAppArmorUndo(user: SetupUser, options: PlanOptions): SetupStep[] {
  const { paths } = options;
  const exec = options.exec ?? defaultExec;
  const steps: SetupStep[] = [];
  const { dir } = helperPaths(paths.libexec, user);
  if (existsSync(dir)) steps.push({ command: `rm -r ${quote(dir)}`, run: () => rm(dir, { recursive: true, force: true }) });
  let others: string[] = [];
  try {
    others = readdirSync(paths.libexec).filter((name) => name !== String(user.uid));
  } catch {
    // No helper directory at all.
  }
  if (others.length > 0) return steps;
  const target = join(paths.apparmorDir, PROFILE_FILE);
  if (existsSync(target)) {
    if (appArmorEnabled(paths) && profileLoaded(paths.securityfs)) {
      steps.push({ command: `apparmor_parser -R ${quote(target)}`, run: () => exec(findProgram(paths, 'apparmor_parser') ?? 'apparmor_parser', ['-R', target]) });
    }
    steps.push({ command: `rm ${quote(target)}`, run: () => rm(target, { force: true }) });
  }
  if (existsSync(paths.libexec)) steps.push({ command: `rmdir ${quote(paths.libexec)}`, run: () => rmdir(paths.libexec) });
  return steps;
}
