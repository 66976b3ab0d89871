import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError, isBurrowError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { acquireLock, type Lock } from '../store/flock.js';
import { withLockFileSync } from '../store/lockfile.js';
import type { Store } from '../store/store.js';
import type { SetupPlan } from '../sandbox/plan.js';
import type { ContainerCgroup, LimitMode, Limits } from '../cgroup/index.js';
import { generatedName } from './names.js';
import { startClaimSettled } from './start-claim.js';
import type { NetworkPlan } from '../network/types.js';
import type { KeepId } from '../userns/keep-id.js';

export type RestartPolicy = 'no' | 'always' | `on-failure${string}`;

/** Docker's --log-driver values burrow has: json-file (ctr.log) and none (output dropped). */
export type LogDriver = 'json-file' | 'none';

/** What `create` decides once; the state (running, exited…) is derived from files the monitor writes. */
export interface ContainerRecord {
  id: string;
  name: string;
  image: { id: string; name: string };
  created: string;
  labels: Record<string, string>;
  autoRemove: boolean;
  restart: RestartPolicy;
  /** Docker's StopSignal, from the image. */
  stopSignal: string;
  /** --stop-timeout: seconds `stop` and `restart` wait without -t (absent: 10; -1: for ever). */
  stopTimeout?: number | undefined;
  /** Anonymous volumes (`-v /path`) made for this container: `rm -v` and `--rm` remove them with it. */
  anonymousVolumes?: string[] | undefined;
  /** --log-driver none (absent: json-file). */
  logDriver?: LogDriver | undefined;
  tty: boolean;
  /** json-file rotation size in bytes (Docker's --log-opt max-size). */
  logMaxSize?: number | undefined;
  /** json-file files kept by rotation (Docker's --log-opt max-file); 2 when not given. */
  logMaxFiles?: number | undefined;
  /** The resource limits asked for (run, create, update), kept for every later start. */
  limits?: Limits | undefined;
  /** --cgroups disabled / --ignore-missing-limits, as asked. */
  limitMode?: LimitMode | undefined;
  /** The limits written into that cgroup (asked and enforceable, plus the default pids limit), for inspect. */
  limitsInForce?: Limits | undefined;
  /** The container's cgroup of its current (or last) run, where the host gives one. */
  cgroup?: ContainerCgroup | undefined;
  plan: SetupPlan;
  /** --userns=keep-id: the ids the caller appears as inside (userns/idmap.ts: containerIdMapping); absent: the default mapping. */
  userns?: KeepId | undefined;
  /** The command as Docker keeps it apart (plan.process.args is both joined) and the user as given, for `commit`; absent in records from before it. */
  command?: { entrypoint: string[]; cmd: string[]; user?: string | undefined } | undefined;
}

/** A container's directory name: its id. */
export const CONTAINER_ID = /^[0-9a-f]{64}$/;
/**
 * A container being removed: its directory renamed first (one atomic step, so no
 * listing ever shows it half-deleted), then deleted. A removal cut short leaves a
 * tree under this name, which the next `system prune` deletes.
 */
export const RETIRED_CONTAINER = /^\.removing-[0-9a-f]{64}\.[0-9a-f]+$/;

export function containersDir(store: Store): string {
  return store.paths.containers;
}

export function containerDir(store: Store, id: string): string {
  return join(store.paths.containers, id);
}

export function readRecord(store: Store, id: string): ContainerRecord | undefined {
  let record: ContainerRecord;
  try {
    record = JSON.parse(readFileSync(join(containerDir(store, id), 'container.json'), 'utf8')) as ContainerRecord;
  } catch {
    return undefined;
  }
  // A container created by a burrow from before seccomp ran without a filter, and still does (it has no seccomp.bpf).
  record.plan.security ??= { seccomp: { kind: 'unconfined' }, privileged: false };
  // burrow before issue 11 kept the network as 'none' or 'host'.
  record.plan.network = normaliseNetworkPlan(record.plan.network);
  // burrow before issue 10 kept the path of a detached container's cgroup v2 (the freezer only).
  const old = record.cgroup as unknown;
  if (typeof old === 'string') record.cgroup = { route: 'delegated-v2', dirs: { v2: old }, controllers: ['freezer'] };
  return record;
}

export function writeRecord(store: Store, record: ContainerRecord): void {
  // A container that dies with this process (--rm) needs no durable record.
  writeFileAtomic(join(containerDir(store, record.id), 'container.json'), `${JSON.stringify(record, null, 2)}\n`, 0o644, { durable: !record.autoRemove });
}

/**
 * Gives the record its name (`name`, or a generated free one) and writes it, under
 * one lock with every other naming (create, rename), so two containers never share
 * a name: a name is taken once its record exists.
 */
export function writeNamedRecord(store: Store, record: ContainerRecord, name: string | undefined): void {
  withLockFileSync(join(store.paths.locks, 'names.lock'), () => {
    const taken = new Set(listRecords(store).filter((other) => other.id !== record.id).map((other) => other.name));
    if (name !== undefined && taken.has(name)) {
      throw new BurrowError('INVALID_ARGUMENT', `the container name "${name}" is already in use: remove that container or choose another name`);
    }
    record.name = name ?? generatedName((candidate) => taken.has(candidate));
    writeRecord(store, record);
  });
}

export function listRecords(store: Store): ContainerRecord[] {
  if (!existsSync(store.paths.containers)) return [];
  return readdirSync(store.paths.containers)
    .filter((id) => CONTAINER_ID.test(id))
    .map((id) => readRecord(store, id))
    .filter((record): record is ContainerRecord => record !== undefined);
}

/** Docker's lookup: full id, unique id prefix, or name. */
export function findContainer(store: Store, query: string): ContainerRecord {
  const records = listRecords(store);
  const exact = records.find((record) => record.id === query || record.name === query || record.name === query.replace(/^\//, ''));
  if (exact !== undefined) return exact;
  const byPrefix = /^[a-f0-9]+$/.test(query) ? records.filter((record) => record.id.startsWith(query)) : [];
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw new BurrowError('INVALID_ARGUMENT', `multiple containers found with prefix "${query}": give more of the id`);
  throw new BurrowError('NOT_FOUND', `no such container: ${query}`);
}

/**
 * One process acts on a container at a time; a second one is told, not blocked.
 * A `run` starting the container it has just created holds a start claim instead
 * of the lock (container/start-claim.ts): the lock is had once that start has settled.
 */
export async function lockContainer(store: Store, id: string, waitMs = 2000): Promise<Lock> {
  const busy = (): BurrowError => new BurrowError('LOCKED', `container ${id.slice(0, 12)} is busy with another burrow command: try again`);
  const started = Date.now();
  let lock: Lock | undefined;
  try {
    lock = await acquireLock(join(store.paths.locks, `container-${id}.lock`), { timeoutMs: waitMs });
  } catch (error) {
    // The lock file's path means nothing to the user; the container does.
    throw isBurrowError(error, 'LOCKED') ? busy() : error;
  }
  if (lock === undefined) throw busy();
  if (!(await startClaimSettled(containerDir(store, id), Math.max(0, waitMs - (Date.now() - started))))) {
    lock.release();
    throw busy();
  }
  return lock;
}

/** A record from before issue 11 kept the mode as a string ('none' | 'host'). */
export function normaliseNetworkPlan(value: unknown): NetworkPlan {
  if (value === 'host') return { mode: 'host' };
  if (typeof value === 'object' && value !== null && 'mode' in value) return value as NetworkPlan;
  return { mode: 'none' };
}
