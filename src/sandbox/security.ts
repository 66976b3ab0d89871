import { isAbsolute, resolve } from 'node:path';
import { BurrowError } from '../errors.js';

/**
 * What a container may do beyond its namespaces, as asked for with Docker's
 * `--security-opt` and `--privileged`: the seccomp profile and whether Docker's
 * confinement (capability set, masked and read-only /proc paths, seccomp) is lifted.
 * Everything stays inside burrow's user namespace whatever is asked for here.
 */
export type SeccompChoice =
  | { kind: 'default' }
  | { kind: 'unconfined' }
  /** A profile in Docker's JSON format, by the absolute path it was given as. */
  | { kind: 'file'; path: string };

export interface SecurityOptions {
  seccomp: SeccompChoice;
  /** Docker's --privileged: every capability, no seccomp, /proc and /sys unmasked. */
  privileged: boolean;
}

export const DEFAULT_SECURITY: SecurityOptions = { seccomp: { kind: 'default' }, privileged: false };

/** `key=value` or Docker's older `key:value`. */
function split(option: string): [string, string | undefined] {
  const at = option.search(/[=:]/);
  return at < 0 ? [option, undefined] : [option.slice(0, at), option.slice(at + 1)];
}

/**
 * Docker's `--security-opt` values. Options that name a confinement this host
 * does not have (SELinux labels, AppArmor profiles) are accepted when they ask
 * for none of it; anything else is an error rather than silently ignored.
 */
export function parseSecurityOptions(options: readonly string[], privileged: boolean, cwd = process.cwd()): SecurityOptions {
  // --privileged lifts seccomp as Docker does; an explicit profile still wins.
  let seccomp: SeccompChoice = privileged ? { kind: 'unconfined' } : { kind: 'default' };
  for (const option of options) {
    const [key, value] = split(option);
    switch (key) {
      case 'seccomp':
        if (value === undefined || value === '') throw new BurrowError('INVALID_ARGUMENT', `invalid --security-opt "${option}": use seccomp=unconfined or seccomp=PROFILE.json`);
        seccomp = value === 'unconfined' ? { kind: 'unconfined' } : { kind: 'file', path: isAbsolute(value) ? value : resolve(cwd, value) };
        break;
      case 'no-new-privileges':
        // Every job already runs with no_new_privs (bubblewrap sets it, and seccomp needs it).
        if (value !== undefined && value !== 'true') {
          throw new BurrowError('INVALID_ARGUMENT', `invalid --security-opt "${option}": burrow always runs jobs with no-new-privileges; it cannot be turned off`);
        }
        break;
      case 'label':
        if (value !== 'disable') throw new BurrowError('INVALID_ARGUMENT', `unsupported --security-opt "${option}": burrow does not apply SELinux labels (only label=disable is accepted)`);
        break;
      case 'apparmor':
        if (value !== 'unconfined') throw new BurrowError('INVALID_ARGUMENT', `unsupported --security-opt "${option}": burrow does not load AppArmor profiles (only apparmor=unconfined is accepted)`);
        break;
      default:
        throw new BurrowError('INVALID_ARGUMENT', `unknown --security-opt "${option}": use seccomp=unconfined, seccomp=PROFILE.json or no-new-privileges`);
    }
  }
  return { seccomp, privileged };
}
