import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BurrowError } from '../errors.js';
import { hostSeccompArch, parseKernelVersion, type SeccompHostArch } from '../seccomp/host.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import type { SeccompChoice } from './security.js';

/**
 * The seccomp filter a container gets: burrow's default profile (Docker's
 * semantics) or a profile file, compiled for its capability set on this machine;
 * undefined for `seccomp=unconfined`. A profile file is read and validated here,
 * at create, so a bad one is an error before the container exists.
 *
 * Almost every container gets the default profile with Docker's default
 * capabilities: that filter is compiled at build time (scripts/prebuild-seccomp.mjs)
 * and only read here, so a warm `burrow run` never loads the compiler.
 */
export async function containerSeccompFilter(choice: SeccompChoice, capabilities: readonly string[]): Promise<Buffer | undefined> {
  if (choice.kind === 'unconfined') return undefined;
  const arch = hostSeccompArch();
  if (arch === undefined) {
    throw new BurrowError('INVALID_ARGUMENT', `burrow has no seccomp syscall tables for ${process.arch}: run with --security-opt seccomp=unconfined to go without a filter`);
  }
  if (choice.kind === 'default' && sameSet(capabilities, DEFAULT_CAPABILITIES) && kernelAtLeast(release(), PREBUILT_KERNEL)) {
    try {
      return readFileSync(fileURLToPath(new URL(`../seccomp/${prebuiltFilterName(arch)}`, import.meta.url)));
    } catch {
      // Not built (a library use from src/): compiled below.
    }
  }
  const { compileSeccomp, DEFAULT_SECCOMP_PROFILE, loadSeccompProfile } = await import('../seccomp/index.js');
  const profile = choice.kind === 'default' ? DEFAULT_SECCOMP_PROFILE : loadSeccompProfile(choice.path);
  return compileSeccomp(profile, { arch, capabilities });
}

/** The kernel the prebuilt default filter assumes at least (the profile's newest `minKernel`). */
export const PREBUILT_KERNEL = '4.8';

export function prebuiltFilterName(arch: SeccompHostArch): string {
  return `default-${arch}.bpf`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && b.every((item) => a.includes(item));
}

function kernelAtLeast(running: string, wanted: string): boolean {
  const [major, minor] = parseKernelVersion(running) ?? [0, 0];
  const [wantMajor, wantMinor] = parseKernelVersion(wanted)!;
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}
