import { BurrowError } from '../errors.js';

/** Linux capability numbers (linux/capability.h), by the names Docker and bubblewrap use. */
const CAPABILITY_NUMBERS: Readonly<Record<string, number>> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5, CAP_SETGID: 6,
  CAP_SETUID: 7, CAP_SETPCAP: 8, CAP_LINUX_IMMUTABLE: 9, CAP_NET_BIND_SERVICE: 10, CAP_NET_BROADCAST: 11, CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13, CAP_IPC_LOCK: 14, CAP_IPC_OWNER: 15, CAP_SYS_MODULE: 16, CAP_SYS_RAWIO: 17, CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19, CAP_SYS_PACCT: 20, CAP_SYS_ADMIN: 21, CAP_SYS_BOOT: 22, CAP_SYS_NICE: 23, CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25, CAP_SYS_TTY_CONFIG: 26, CAP_MKNOD: 27, CAP_LEASE: 28, CAP_AUDIT_WRITE: 29, CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31, CAP_MAC_OVERRIDE: 32, CAP_MAC_ADMIN: 33, CAP_SYSLOG: 34, CAP_WAKE_ALARM: 35, CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37, CAP_PERFMON: 38, CAP_BPF: 39, CAP_CHECKPOINT_RESTORE: 40,
};

/** Docker's default capability set (moby's oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every capability this build knows (`--cap-add ALL`, `--privileged`): all of them count only inside burrow's user namespace. */
export const ALL_CAPABILITIES: readonly string[] = Object.keys(CAPABILITY_NUMBERS);

function normalize(name: string, flag: string): string {
  const upper = name.toUpperCase();
  const cap = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (cap !== 'CAP_ALL' && CAPABILITY_NUMBERS[cap] === undefined) {
    throw new BurrowError('INVALID_ARGUMENT', `unknown capability "${name}" in ${flag}: use a name such as NET_ADMIN or CAP_SYS_PTRACE, or ALL`);
  }
  return cap;
}

/** Docker's --cap-drop then --cap-add over its default set; ALL on either side as Docker has it. */
export function containerCapabilities(add: readonly string[], drop: readonly string[]): string[] {
  const set = new Set(DEFAULT_CAPABILITIES);
  for (const cap of drop.map((name) => normalize(name, '--cap-drop'))) {
    if (cap === 'CAP_ALL') set.clear();
    else set.delete(cap);
  }
  for (const cap of add.map((name) => normalize(name, '--cap-add'))) {
    if (cap === 'CAP_ALL') for (const known of ALL_CAPABILITIES) set.add(known);
    else set.add(cap);
  }
  return [...set];
}

/** The capability set as the hexadecimal mask burrow-init takes (`-c`). */
export function capabilityMask(names: readonly string[]): string {
  let mask = 0n;
  for (const name of names) {
    const bit = CAPABILITY_NUMBERS[name];
    if (bit !== undefined) mask |= 1n << BigInt(bit);
  }
  return mask.toString(16);
}
