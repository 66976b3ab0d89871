import type { Command } from 'commander';
import type { LimitMode, Limits } from '../cgroup/index.js';
import { parseLimitMode, parseLimits, type LimitFlags } from '../container/limits.js';

/** Docker's resource-limit flags, shared by run, create and update. */
export function withLimitOptions(command: Command): Command {
  return command
    .option('-m, --memory <bytes>', 'memory limit (e.g. 64m, 1g; at least 6m)')
    .option('--memory-swap <bytes>', 'memory plus swap limit (at least --memory; -1: unlimited swap)')
    .option('--memory-reservation <bytes>', 'soft memory limit')
    .option('--cpus <number>', 'CPUs the job may use (e.g. 0.5)')
    .option('-c, --cpu-shares <shares>', 'relative CPU weight, cgroup v1 style (2-262144, default 1024)')
    .option('--cpu-weight <weight>', 'relative CPU weight, cgroup v2 style (1-10000, default 100)')
    .option('--cpuset-cpus <list>', 'CPUs the job may run on (e.g. 0-1,3)')
    .option('--pids-limit <n>', 'most processes at once (-1: unlimited; default 2048 where pids is delegated)')
    .option('--blkio-weight <weight>', 'relative block IO weight (10-1000)');
}

/** --cgroups and --ignore-missing-limits: run and create only (update keeps what the container was created with). */
export function withLimitModeOptions(command: Command): Command {
  return command
    .option('--cgroups <mode>', 'enabled (default: a cgroup of its own where the host delegates one) or disabled')
    .option('--ignore-missing-limits', 'run even where the host cannot enforce a limit asked for (one warning names it)');
}

export interface LimitModeFlags {
  cgroups?: string;
  ignoreMissingLimits?: boolean;
}

export function limitsFromFlags(flags: LimitFlags): Limits {
  return parseLimits(flags);
}

export function limitModeFromFlags(flags: LimitModeFlags, limits: Limits): LimitMode {
  return parseLimitMode(flags.cgroups, flags.ignoreMissingLimits === true, limits);
}
