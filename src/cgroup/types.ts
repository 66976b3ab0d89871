/**
 * The shapes shared by burrow's cgroup code (issue 10): what a user asks for, what
 * a host can give, and what a container's record keeps of its cgroup. The routes
 * (delegated-v2.ts, systemd-user.ts, delegated-v1.ts) sit side by side behind
 * `index.ts`, as crun's cgroup-*.c do.
 */

/** A resource controller, by its cgroup v2 name (v1: cpu also means cpuacct, io means blkio). */
export type Controller = 'memory' | 'cpu' | 'cpuset' | 'pids' | 'io' | 'freezer';

/**
 * Where a container's cgroup comes from, in the order they are tried:
 * - `delegated-v2`: the cgroup v2 burrow runs in is writable by the user (a systemd
 *   `Delegate=yes` scope, a container runtime's delegated subtree);
 * - `systemd-user`: a systemd user manager is reachable and delegates a subtree to a
 *   unit of its own (GitHub-hosted runners: the job in a root-owned system service);
 * - `delegated-v1`: a per-user subtree in each cgroup v1 hierarchy, made once by root
 *   with `burrow setup` (or by the test bed);
 * - `none`: nothing delegated.
 */
export type CgroupRouteName = 'delegated-v2' | 'systemd-user' | 'delegated-v1' | 'none';

/** Resource limits with Docker's meanings, in plain units; absent = not asked for. */
export interface Limits {
  /** --memory, bytes (hard limit). */
  memory?: number | undefined;
  /** --memory-swap, bytes of memory + swap (Docker's meaning); -1 = unlimited swap. */
  memorySwap?: number | undefined;
  /** --memory-reservation, bytes (soft: v2 memory.low, v1 memory.soft_limit_in_bytes). */
  memoryReservation?: number | undefined;
  /** --cpus × 1e9 (Docker's NanoCpus): v2 cpu.max, v1 cfs quota/period. */
  nanoCpus?: number | undefined;
  /** --cpu-shares (2–262144, v1 cpu.shares; v2 converted to cpu.weight as runc does). */
  cpuShares?: number | undefined;
  /** --cpu-weight (1–10000, cgroup v2 cpu.weight; v1 converted to shares). */
  cpuWeight?: number | undefined;
  /** --cpuset-cpus, the kernel's list syntax ("0-1,3"). */
  cpusetCpus?: string | undefined;
  /** --pids-limit; -1 = unlimited. */
  pidsLimit?: number | undefined;
  /** --blkio-weight (10–1000): v2 io.weight, v1 blkio.weight. */
  ioWeight?: number | undefined;
}

/** The flag that sets each limit, for messages ("--memory needs a delegated cgroup…"). */
export const LIMIT_FLAGS: Record<keyof Limits, string> = {
  memory: '--memory',
  memorySwap: '--memory-swap',
  memoryReservation: '--memory-reservation',
  nanoCpus: '--cpus',
  cpuShares: '--cpu-shares',
  cpuWeight: '--cpu-weight',
  cpusetCpus: '--cpuset-cpus',
  pidsLimit: '--pids-limit',
  ioWeight: '--blkio-weight',
};

/** The controller each limit needs. */
export const LIMIT_CONTROLLERS: Record<keyof Limits, Controller> = {
  memory: 'memory',
  memorySwap: 'memory',
  memoryReservation: 'memory',
  nanoCpus: 'cpu',
  cpuShares: 'cpu',
  cpuWeight: 'cpu',
  cpusetCpus: 'cpuset',
  pidsLimit: 'pids',
  ioWeight: 'io',
};

/** Docker's fork-bomb guard: the pids limit a container gets when none is asked for, where pids is delegated. */
export const DEFAULT_PIDS_LIMIT = 2048;

/** What this host can give burrow's containers: `burrow doctor` prints it, `run` decides by it. */
export interface CgroupHost {
  route: CgroupRouteName;
  /** The controllers a container's cgroup gets on this route (empty for `none`). */
  controllers: Controller[];
  /** One line: why this route (which cgroup is writable, which manager answered, what is missing). */
  reason: string;
  /** The one command that would give more (e.g. `sudo burrow setup`), when there is one. */
  more?: string | undefined;
  /** Whether --memory-swap can be enforced (v1 needs swapaccount=1); absent means yes where memory is delegated. */
  swapLimit?: boolean | undefined;
  /** Routes delegated-v2 and systemd-user: the cgroup the containers' cgroups are made in (systemd-user: the holding unit's). */
  v2Parent?: string | undefined;
  /** Route delegated-v1: the user's subtree in each v1 hierarchy it has one in. */
  v1Subtrees?: Partial<Record<V1HierarchyName, string>> | undefined;
}

/** The cgroup v1 hierarchies burrow uses. */
export type V1HierarchyName = 'memory' | 'pids' | 'cpu' | 'cpuacct' | 'cpuset' | 'freezer' | 'blkio';

/** A container's cgroup, as its record keeps it (container.json: `cgroup`). */
export interface ContainerCgroup {
  route: Exclude<CgroupRouteName, 'none'>;
  /**
   * The directories the container's processes are in: one for cgroup v2, one per
   * v1 hierarchy for v1 (keyed by the hierarchy's controller name, cpuacct and
   * blkio included). Each has a `cgroup.procs`.
   */
  dirs: { v2: string } | { v1: Partial<Record<Controller | 'cpuacct' | 'blkio', string>> };
  /** The controllers enforced in it. */
  controllers: Controller[];
  /** `systemd-user`: the unit that holds the cgroup and the sub-path under it (for AttachProcessesToUnit). */
  systemd?: { unit: string; subPath: string } | undefined;
}

/** What `burrow stats` shows of one container (Docker's columns plus the peak). */
export interface CgroupStats {
  memoryBytes: number;
  /** The highest memory use seen (v2 memory.peak where the kernel has it, v1 max_usage_in_bytes). */
  memoryPeakBytes?: number | undefined;
  /** The limit in force (undefined: none). */
  memoryLimitBytes?: number | undefined;
  /** CPU time used by all the container's processes, nanoseconds. */
  cpuNanos: number;
  pids: number;
  pidsLimit?: number | undefined;
  /** Bytes read and written (io.stat / blkio), where the io controller is there. */
  blockReadBytes?: number | undefined;
  blockWriteBytes?: number | undefined;
}
