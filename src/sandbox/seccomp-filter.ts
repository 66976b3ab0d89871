import { compileSeccomp, DEFAULT_SECCOMP_PROFILE, hostSeccompArch, loadSeccompProfile } from '../seccomp/index.js';
import { BurrowError } from '../errors.js';
import type { SeccompChoice } from './security.js';

/**
 * The seccomp filter a container gets: burrow's default profile (Docker's
 * semantics) or a profile file, compiled for its capability set on this machine;
 * undefined for `seccomp=unconfined`. A profile file is read and validated here,
 * at create, so a bad one is an error before the container exists.
 */
export function containerSeccompFilter(choice: SeccompChoice, capabilities: readonly string[]): Buffer | undefined {
  if (choice.kind === 'unconfined') return undefined;
  const arch = hostSeccompArch();
  if (arch === undefined) {
    throw new BurrowError('INVALID_ARGUMENT', `burrow has no seccomp syscall tables for ${process.arch}: run with --security-opt seccomp=unconfined to go without a filter`);
  }
  const profile = choice.kind === 'default' ? DEFAULT_SECCOMP_PROFILE : loadSeccompProfile(choice.path);
  return compileSeccomp(profile, { arch, capabilities });
}
