import type { NameSettings, NetworkPlan } from '../network/types.js';
import type { SecurityOptions } from './security.js';
import type { HealthConfig } from '../container/health-config.js';

/**
 * A container's setup as data (bubblewrap's idea): the ordered mounts, the process
 * and its identity, derived from the image config and the flags. The launcher only
 * executes it; tests and `inspect` read it.
 */
export type RootfsDriverName = 'auto' | 'overlay' | 'fuse-overlayfs' | 'copy';

export interface RootfsPlan {
  driver: RootfsDriverName;
  /** Lowest layer first. */
  lowers: string[];
  upper: string;
  work: string;
  merged: string;
  readOnly: boolean;
  /** No syncs to the upper layer (overlayfs `volatile`): for --rm containers, whose writes die with them. */
  volatile?: boolean;
}

export type MountPlan =
  /**
   * device: a host device node (--device), bound with its device semantics (bwrap's --dev-bind).
   * volume: the named volume this mount is, where its source does not say (a tmpfs or bind volume).
   * noCopy: a volume asked not to get the image's files (create's copy-up skips it).
   */
  | { kind: 'bind'; source: string; target: string; readOnly: boolean; device?: boolean | undefined; volume?: string | undefined; noCopy?: boolean | undefined }
  | { kind: 'tmpfs'; target: string; size?: string | undefined; mode?: string | undefined; volume?: string | undefined };

export interface ProcessPlan {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  /** A minimal init as PID 1 that reaps zombies and forwards signals. */
  init: boolean;
  stdin: boolean;
  /** A pseudo-terminal as the job's stdio and controlling terminal. */
  tty: boolean;
  /** --ulimit (setrlimit by burrow-init, for the job and each exec'd process). */
  rlimits?: Array<{ name: string; soft: number; hard: number }> | undefined;
  /** --oom-score-adj (written by burrow-init to /proc/self/oom_score_adj). */
  oomScoreAdj?: number | undefined;
}

export interface SetupPlan {
  rootfs: RootfsPlan;
  hostname: string;
  network: NetworkPlan;
  /** --add-host, --dns, --dns-search, --dns-option (absent in records from before issue 11). */
  names?: NameSettings | undefined;
  /** Files burrow writes for the container: /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  files: Array<{ source: string; target: string }>;
  mounts: MountPlan[];
  capabilities: string[];
  process: ProcessPlan;
  /** Seccomp and --privileged (a record of a burrow from before seccomp reads as unconfined: record.ts). */
  security: SecurityOptions;
  /** The health check (image's Healthcheck and --health-* flags, container/health-config.ts); absent: none. */
  healthcheck?: HealthConfig | undefined;
}

/** Whether burrow-init loads a seccomp filter (the container's `seccomp.bpf`) for the job and each exec'd process. */
export function hasSeccompFilter(plan: SetupPlan): boolean {
  return plan.security.seccomp.kind !== 'unconfined';
}

/** Paths Docker hides in /proc and /sys (moby's oci/defaults.go). */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Paths Docker makes read-only. */
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
