/**
 * What the machine is, for seccomp: apart from arch.ts so that a start can ask
 * without loading the syscall tables (sandbox/seccomp-filter.ts reads a prebuilt
 * filter when it can).
 */

/** A host burrow compiles filters for. */
export type SeccompHostArch = 'x86_64' | 'aarch64';

/** The seccomp architecture of the machine Node runs on, or undefined where burrow has no filter. */
export function hostSeccompArch(nodeArch: string = process.arch): SeccompHostArch | undefined {
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'aarch64';
  return undefined;
}

/** "major.minor" of a kernel release string (`uname -r`, e.g. "6.18.44-fc") as [major, minor]. */
export function parseKernelVersion(release: string): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)/.exec(release);
  return match === null ? undefined : [Number(match[1]), Number(match[2])];
}
