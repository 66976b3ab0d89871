/**
 * The Debian/Ubuntu packages burrow's host programs come in, as `burrow setup`
 * installs what is missing (apt-get, after `apt-get update`: a CI runner's lists
 * may be old). Which are missing is decided by the programs, not dpkg: a program
 * built by hand counts.
 */
import { appArmorRestrictsUserns, findProgram, readOsRelease, type HostPaths } from './host.js';
import { defaultExec, type PlanOptions, type SetupPlan, type SetupStep } from './plan.js';

/** Each package burrow needs and a program that shows it is there. */
const NEEDED: ReadonlyArray<{ program: string; package: string }> = [
  { program: 'newuidmap', package: 'uidmap' },
  { program: 'newgidmap', package: 'uidmap' },
  { program: 'bwrap', package: 'bubblewrap' },
  { program: 'fuse-overlayfs', package: 'fuse-overlayfs' },
];

/**
 * The network helper to install when there is none: pasta (package passt) where
 * the distribution has it (Debian 12, Ubuntu 23.04 and later), else slirp4netns
 * (Ubuntu 22.04 has no passt).
 */
export function networkPackage(paths: HostPaths): 'passt' | 'slirp4netns' {
  const os = readOsRelease(paths);
  const version = Number.parseFloat(os?.versionId ?? '');
  if (os?.id === 'debian' && version >= 12) return 'passt';
  if (os?.id === 'ubuntu' && version >= 23.04) return 'passt';
  return 'slirp4netns';
}

/** The packages to install on this host (none: everything is there). */
export function missingPackages(paths: HostPaths): string[] {
  const missing = NEEDED.filter((need) => findProgram(paths, need.program) === undefined).map((need) => need.package);
  if (findProgram(paths, 'pasta') === undefined && findProgram(paths, 'slirp4netns') === undefined) missing.push(networkPackage(paths));
  // setup loads its AppArmor profile with apparmor_parser (Ubuntu has it; a minimal image may not).
  if (appArmorRestrictsUserns(paths) && findProgram(paths, 'apparmor_parser') === undefined) missing.push('apparmor');
  return [...new Set(missing)];
}

export function planPackages(options: PlanOptions): SetupPlan & { packages: string[] } {
  const { paths } = options;
  const exec = options.exec ?? defaultExec;
  const packages = missingPackages(paths);
  const plan = { cgroupVersion: 'none' as const, steps: [] as SetupStep[], notes: [] as string[], nothing: 'the packages burrow uses are installed', packages };
  if (packages.length === 0) return plan;
  if (findProgram(paths, 'apt-get') === undefined) {
    plan.notes.push(`this host has no apt-get: install ${packages.join(' ')} (or what has newuidmap, bwrap, fuse-overlayfs and pasta here) with its package manager`);
    plan.packages = [];
    return plan;
  }
  const install = ['install', '-y', '--no-install-recommends', ...packages];
  plan.steps.push(
    { command: 'apt-get update', run: () => exec('apt-get', ['update']) },
    { command: `apt-get ${install.join(' ')}`, run: () => exec('apt-get', install) },
  );
  return plan;
}
