import type { ProcessIdentity } from '../util/process-identity.js';
import { capabilityMask } from './capabilities.js';

/** The resources `--ulimit` names, as Docker's (go-units' ulimit table), in setrlimit's numbering on Linux. */
export const ULIMIT_RESOURCES: Readonly<Record<string, number>> = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8, as: 9,
  locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14, rttime: 15,
};

/**
 * What burrow-init (native/burrow-init.c) is told, for the container's PID 1
 * (under bubblewrap, sandbox/bwrap.ts) and for each `exec` (container/exec.ts):
 * one spelling of its options, so the two cannot drift apart.
 */
export interface InitOptions {
  uid: number;
  gid: number;
  groups: readonly number[];
  cwd: string;
  /** The container's capability set (names), bounding set included. */
  capabilities: readonly string[];
  /** Stay as PID 1, reaping and forwarding signals (--init). */
  init: boolean;
  tty: boolean;
  /** The descriptor that carries the job's environment (-E). */
  envFd: number;
  /** The descriptor that carries the seccomp filter (-S), when the container has one. */
  seccompFd: number | undefined;
  /** -n: set no_new_privs itself (bubblewrap sets it for PID 1). */
  noNewPrivs: boolean;
  /** -J: join the container whose PID 1 this is, from the host (exec). */
  join?: ProcessIdentity | undefined;
  /** -N: the descriptor where a private network's agent answers `go` (native/burrow-net.c); the job waits for it. */
  networkFd?: number | undefined;
  /** -R: resource limits (--ulimit), setrlimit before the job runs. */
  rlimits?: ReadonlyArray<{ name: string; soft: number; hard: number }> | undefined;
  /** -O: the OOM score adjustment (--oom-score-adj). */
  oomScoreAdj?: number | undefined;
}

/** burrow-init's options (without its path, the `--` and the command). */
export function initArgs(options: InitOptions): string[] {
  const args: string[] = [];
  if (options.join !== undefined) args.push('-J', `${options.join.pid}:${options.join.startTime}`);
  args.push('-u', String(options.uid), '-g', String(options.gid), '-w', options.cwd, '-c', capabilityMask(options.capabilities), '-E', String(options.envFd));
  if (options.groups.length > 0) args.push('-G', options.groups.join(','));
  if (options.init) args.push('-i');
  if (options.tty) args.push('-t');
  if (options.noNewPrivs) args.push('-n');
  if (options.networkFd !== undefined) args.push('-N', String(options.networkFd));
  // RESOURCE:SOFT:HARD in setrlimit's numbering, -1 for unlimited.
  for (const limit of options.rlimits ?? []) args.push('-R', `${ULIMIT_RESOURCES[limit.name]}:${limit.soft}:${limit.hard}`);
  if (options.oomScoreAdj !== undefined) args.push('-O', String(options.oomScoreAdj));
  // The filter is applied last of all, after burrow-init's own setup, as runc does: a strict profile cannot break the switch of user and directory.
  if (options.seccompFd !== undefined) args.push('-S', String(options.seccompFd));
  return args;
}
