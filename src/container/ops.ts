import { existsSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { BurrowError, isBurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { containerDir, findContainer, lockContainer, readRecord, writeNamedRecord, type ContainerRecord } from './record.js';
import { startClaimed } from './start-claim.js';
import { removeContainerFiles } from './start.js';
import { listContainers } from './list.js';
import { containerState, type ContainerState } from './state.js';
import { signalProcess } from './identity.js';
import { parseSignal } from './image-config.js';
import { VALID_NAME } from './names.js';
import { setFrozen, type ContainerCgroup, type Limits } from '../cgroup/index.js';
import { limitModeOf, noCgroupError } from './resources.js';
import { networkModeName } from '../network/mode.js';
import { inspectAttachments } from '../network/records.js';
import { readNetworkState } from './network.js';
import { inspectExposedPorts, inspectPortBindings, inspectPorts, portLines } from '../network/ports.js';
import type { PublishedPort } from '../network/types.js';
import { readHealth } from './health.js';
import { removeAnonymousVolumes } from './volumes.js';
import { inspectHealthcheck } from './health-config.js';
import { volumeNameOf } from './volumes.js';
import type { SetupPlan } from '../sandbox/plan.js';

export { listContainers, type ContainerSummary } from './list.js';
export { readLogs, followLogs, type LogEntry } from './logs.js';

/**
 * The ports a container published at its start (DIR/network.json), while it runs;
 * none when it is not running (Docker shows none then either: the ports are free).
 */
export function publishedPorts(store: Store, record: ContainerRecord, state: ContainerState = containerState(store, record)): PublishedPort[] {
  if (state.status !== 'running' || record.plan.network.mode !== 'private') return [];
  return readNetworkState(store, record.id)?.ports ?? [];
}

/**
 * `burrow port NAME [PORT[/proto]]`: Docker's lines (`80/tcp -> 0.0.0.0:8080`, or
 * the addresses of one port). One port asked and not published is an error, as Docker's.
 */
export function containerPorts(store: Store, query: string, port?: string): string[] {
  const record = findContainer(store, query);
  const lines = portLines(publishedPorts(store, record), port);
  if (port !== undefined && lines.length === 0) {
    throw new BurrowError('NOT_FOUND', `no public port '${port.includes('/') ? port : `${port}/tcp`}' published for ${record.name}`, { exitCode: 1 });
  }
  return lines;
}

function signalNumber(signal: string): number {
  const number = parseSignal(signal);
  if (number === undefined) throw new BurrowError('INVALID_ARGUMENT', `invalid signal "${signal}": use a name such as SIGTERM or a number`);
  return number;
}

async function waitUntilExited(store: Store, record: ContainerRecord, timeoutMs: number): Promise<ContainerState> {
  const started = Date.now();
  for (;;) {
    const state = containerState(store, record);
    if (state.status !== 'running' || Date.now() - started >= timeoutMs) return state;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A frozen job cannot act on a signal: thaw it first (Docker does the same for stop and kill). */
async function thaw(record: ContainerRecord, state: ContainerState): Promise<void> {
  if (state.paused) await setFrozen(record.cgroup, false, record.name);
}

/** To the container's PID 1 as recorded when it started: never to a process that has since taken its pid. */
function sendSignal(state: ContainerState, signal: number): void {
  if (state.sandbox !== undefined) signalProcess(state.sandbox, signal);
}

/** Under the container's lock: still there? (Another burrow may have removed it meanwhile.) */
function stillThere(store: Store, record: ContainerRecord): void {
  if (!existsSync(join(containerDir(store, record.id), 'container.json'))) {
    throw new BurrowError('NOT_FOUND', `no such container: ${record.name} (removed by another burrow command)`);
  }
}

/** `burrow kill`: a signal (SIGKILL by default) to the container's PID 1. */
export async function killContainer(store: Store, query: string, signal = 'SIGKILL'): Promise<ContainerRecord> {
  const record = findContainer(store, query);
  const number = signalNumber(signal);
  const state = containerState(store, record);
  if (state.status !== 'running') throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running`);
  if (number === constants.signals.SIGKILL) writeFileSync(join(containerDir(store, record.id), 'stopped'), '');
  await thaw(record, state);
  sendSignal(state, number);
  return record;
}

/** `burrow stop`: the StopSignal (--stop-signal, else the image's), then SIGKILL after the timeout (-t, else --stop-timeout, else 10 s; -1: none); no restart afterwards. */
export async function stopContainer(store: Store, query: string, timeoutSeconds?: number): Promise<ContainerRecord> {
  const record = findContainer(store, query);
  const seconds = timeoutSeconds ?? record.stopTimeout ?? 10;
  const lock = await lockContainer(store, record.id);
  try {
    stillThere(store, record);
    // Written even when the job is between two runs of a restart policy: no further restart.
    writeFileSync(join(containerDir(store, record.id), 'stopped'), '');
    const state = containerState(store, record);
    if (state.status !== 'running') return record;
    await thaw(record, state);
    sendSignal(state, signalNumber(record.stopSignal));
    const after = await waitUntilExited(store, record, seconds < 0 ? Number.POSITIVE_INFINITY : seconds * 1000);
    if (after.status === 'running') {
      sendSignal(after, constants.signals.SIGKILL);
      await waitUntilExited(store, record, 10_000);
    }
    return record;
  } finally {
    lock.release();
  }
}

/** `burrow rm`: refuses a running container unless forced. */
export async function removeContainer(store: Store, query: string, force: boolean, options: { volumes?: boolean } = {}): Promise<ContainerRecord> {
  const record = findContainer(store, query);
  const lock = await lockContainer(store, record.id);
  try {
    stillThere(store, record);
    const state = containerState(store, record);
    if (state.status === 'running') {
      if (!force) throw new BurrowError('IN_USE', `cannot remove running container ${record.name}: stop it first, or use --force`);
      writeFileSync(join(containerDir(store, record.id), 'stopped'), '');
      await thaw(record, state);
      sendSignal(state, constants.signals.SIGKILL);
      await waitUntilExited(store, record, 10_000);
    }
    // A monitor between two runs of a restart policy would start the job again: it goes first.
    if (state.monitor !== undefined) signalProcess(state.monitor, 'SIGKILL');
    await removeContainerFiles(store, record);
    // -v: its anonymous volumes go with it (named ones stay, as in Docker).
    if (options.volumes === true && record.anonymousVolumes !== undefined) await removeAnonymousVolumes(store, record.anonymousVolumes);
    return record;
  } finally {
    lock.release();
  }
}

/**
 * `burrow pause` / `unpause`: the freezer of the container's own cgroup (v2's
 * cgroup.freeze, v1's freezer hierarchy), foreground and detached containers alike.
 */
export async function pauseContainer(store: Store, query: string, paused: boolean): Promise<void> {
  const record = findContainer(store, query);
  const state = containerState(store, record);
  if (state.status !== 'running') throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running`);
  if (record.cgroup === undefined) throw noCgroupError(record, paused ? 'pause' : 'unpause');
  if (state.paused === paused) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is ${paused ? 'already paused' : 'not paused'}`);
  await setFrozen(record.cgroup, paused, record.name);
}

/**
 * `burrow wait`: blocks until the container is not running; its exit status. As
 * Docker's (its default condition, "not-running"), a container that was created and
 * never started is not running: 0 at once, not an error. One whose `run` or `start`
 * is still setting it up (it reads as created until its monitor exists) is waited for.
 */
export async function waitContainer(store: Store, query: string, signal?: AbortSignal): Promise<number> {
  const record = findContainer(store, query);
  for (;;) {
    if (!existsSync(containerDir(store, record.id))) throw new BurrowError('NOT_FOUND', `no such container: ${query} (removed while waiting)`);
    const state = containerState(store, record);
    if (state.status === 'exited') return state.exitCode ?? -1;
    if (state.status === 'created' && !(await startUnderWay(store, record))) {
      // Read again: a start may have ended between the two reads.
      const settled = containerState(store, record);
      if (settled.status === 'created') return settled.exitCode ?? 0;
      continue;
    }
    if (signal?.aborted === true) throw new BurrowError('INTERRUPTED', 'interrupted');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether another command is starting the container now (a `run`'s start claim, or a `start` holding its lock). */
async function startUnderWay(store: Store, record: ContainerRecord): Promise<boolean> {
  if (startClaimed(containerDir(store, record.id))) return true;
  let lock;
  try {
    lock = await lockContainer(store, record.id, 0);
  } catch (error) {
    if (isBurrowError(error, 'LOCKED')) return true;
    throw error;
  }
  lock.release();
  return false;
}

export async function renameContainer(store: Store, query: string, name: string): Promise<void> {
  if (!VALID_NAME.test(name)) throw new BurrowError('INVALID_ARGUMENT', `invalid container name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const record = findContainer(store, query);
  const lock = await lockContainer(store, record.id);
  try {
    stillThere(store, record);
    writeNamedRecord(store, { ...record }, name);
  } finally {
    lock.release();
  }
}

/**
 * `container prune`: every container that is not running. One another command holds
 * (a `run` or `start` still setting it up reads as `created` until its monitor
 * exists) is left alone, never removed under it: its lock is tried, not waited for,
 * and its state read again under the lock.
 */
export async function pruneContainers(store: Store): Promise<string[]> {
  const removed: string[] = [];
  for (const { record, state } of listContainers(store, true)) {
    if (state.status === 'running') continue;
    let lock;
    try {
      lock = await lockContainer(store, record.id, 0);
    } catch (error) {
      if (isBurrowError(error, 'LOCKED')) continue;
      throw error;
    }
    try {
      if (readRecord(store, record.id) === undefined || containerState(store, record).status === 'running') continue;
      await removeContainerFiles(store, record);
      removed.push(record.id);
    } finally {
      lock.release();
    }
  }
  return removed;
}

/** The container's confinement in Docker's `SecurityOpt` spelling. */
function securityOpt(record: ContainerRecord): string[] {
  const seccomp = record.plan.security.seccomp;
  const profile = seccomp.kind === 'file' ? seccomp.path : seccomp.kind === 'unconfined' ? 'unconfined' : 'builtin';
  return ['no-new-privileges', `seccomp=${profile}`];
}

/** burrow's `State.Cgroup`: the route, the directories (one, or one per v1 hierarchy) and the controllers enforced. */
function cgroupInfo(cgroup: ContainerCgroup): Record<string, unknown> {
  return {
    Route: cgroup.route,
    ...('v2' in cgroup.dirs ? { Path: cgroup.dirs.v2 } : { Paths: cgroup.dirs.v1 }),
    Controllers: cgroup.controllers,
    ...(cgroup.systemd === undefined ? {} : { Unit: cgroup.systemd.unit }),
  };
}

/**
 * Docker's resource fields of HostConfig: what was asked (0 or "" where nothing
 * was, as Docker), except PidsLimit, which is what is in force (the default
 * fork-bomb guard included; null where none is, e.g. pids not delegated).
 */
function resourcesConfig(record: ContainerRecord, state: ContainerState): Record<string, unknown> {
  const asked: Limits = record.limits ?? {};
  // In force: the last run's cgroup's; a run without a cgroup had none; never started: what will be asked.
  const pids = record.cgroup !== undefined ? record.limitsInForce?.pidsLimit : state.startedAt !== undefined ? undefined : asked.pidsLimit;
  return {
    Memory: asked.memory ?? 0,
    MemorySwap: asked.memorySwap ?? 0,
    MemoryReservation: asked.memoryReservation ?? 0,
    NanoCpus: asked.nanoCpus ?? 0,
    CpuShares: asked.cpuShares ?? 0,
    CpuWeight: asked.cpuWeight ?? 0,
    CpusetCpus: asked.cpusetCpus ?? '',
    PidsLimit: pids === undefined || pids <= 0 ? null : pids,
    BlkioWeight: asked.ioWeight ?? 0,
    CgroupsMode: limitModeOf(record).disabled ? 'disabled' : 'enabled',
  };
}

/** Docker's `inspect` shape for a container. */
export function inspectContainer(store: Store, record: ContainerRecord): Record<string, unknown> {
  const state = containerState(store, record);
  return {
    Id: record.id,
    Name: `/${record.name}`,
    Created: record.created,
    Path: record.plan.process.args[0],
    Args: record.plan.process.args.slice(1),
    State: {
      Status: state.status,
      Running: state.status === 'running',
      Paused: state.paused,
      Pid: state.sandbox?.pid ?? 0,
      ExitCode: state.exitCode ?? 0,
      StartedAt: state.startedAt ?? '0001-01-01T00:00:00Z',
      FinishedAt: state.finishedAt ?? '0001-01-01T00:00:00Z',
      RestartCount: state.restarts,
      Restarting: false,
      OOMKilled: state.oomKilled,
      Dead: false,
      Error: state.lost ? 'the monitor of this container died without recording an exit status' : '',
      // burrow's own: the cgroup the container runs in (while it runs), where it came from and what it enforces.
      Cgroup: state.status === 'running' && record.cgroup !== undefined ? cgroupInfo(record.cgroup) : null,
      ...healthField(store, record, state),
    },
    Image: record.image.id,
    ImageName: record.image.name,
    RestartCount: state.restarts,
    Driver: record.plan.rootfs.driver,
    Platform: 'linux',
    LogPath: join(containerDir(store, record.id), 'ctr.log'),
    HostConfig: {
      AutoRemove: record.autoRemove, RestartPolicy: { Name: record.restart }, NetworkMode: networkModeName(record.plan.network, (id) => containerName(store, id)), ReadonlyRootfs: record.plan.rootfs.readOnly, CapAdd: record.plan.capabilities,
      Privileged: record.plan.security.privileged, SecurityOpt: securityOpt(record),
      // Podman's spelling: "" for the default mapping (the caller is root inside).
      UsernsMode: record.userns === undefined ? '' : 'keep-id',
      ...resourcesConfig(record, state),
      ...portsConfig(record),
    },
    NetworkSettings: networkSettings(store, record, state.status === 'running'),
    Mounts: record.plan.mounts.map((mount) => inspectMount(store, mount)),
    Config: {
      Hostname: record.plan.hostname,
      User: `${record.plan.process.uid}:${record.plan.process.gid}`,
      Env: record.plan.process.env,
      Cmd: record.plan.process.args,
      Image: record.image.name,
      WorkingDir: record.plan.process.cwd,
      Labels: record.labels,
      StopSignal: record.stopSignal,
      // Docker shows StopTimeout only when --stop-timeout was given.
      ...(record.stopTimeout === undefined ? {} : { StopTimeout: record.stopTimeout }),
      Tty: record.tty,
      ...exposedConfig(record),
      ...(record.plan.healthcheck === undefined ? {} : { Healthcheck: inspectHealthcheck(record.plan.healthcheck) }),
    },
    GraphDriver: { Name: record.plan.rootfs.driver, Data: { LowerDir: record.plan.rootfs.lowers.join(':'), UpperDir: record.plan.rootfs.upper, WorkDir: record.plan.rootfs.work } },
  };
}

/** One of Mounts, Docker's shape: a named volume's bind is Type volume with its Name. */
function inspectMount(store: Store, mount: SetupPlan['mounts'][number]): Record<string, unknown> {
  if (mount.kind !== 'bind') return { Type: 'tmpfs', Source: '', Destination: mount.target, Mode: '', RW: true, Propagation: '' };
  const volume = volumeNameOf(store, mount.source);
  if (volume !== undefined) return { Type: 'volume', Name: volume, Source: mount.source, Destination: mount.target, Driver: 'local', Mode: '', RW: !mount.readOnly, Propagation: '' };
  return { Type: 'bind', Source: mount.source, Destination: mount.target, Mode: '', RW: !mount.readOnly, Propagation: 'rprivate' };
}

/** State.Health, Docker's shape, for a container with a health check that has been started (left out otherwise, as Docker). */
function healthField(store: Store, record: ContainerRecord, state: ContainerState): Record<string, unknown> {
  const health = readHealth(store, record, state);
  return health === undefined ? {} : { Health: health };
}

/** HostConfig's PortBindings (-p as asked) and PublishAllPorts (-P). */
function portsConfig(record: ContainerRecord): Record<string, unknown> {
  const network = record.plan.network;
  return network.mode === 'private' ? { PortBindings: inspectPortBindings(network.ports), PublishAllPorts: network.publishAll } : { PortBindings: {}, PublishAllPorts: false };
}

/** Config.ExposedPorts (the image's, --expose's, -p's), left out when there are none, as Docker does. */
function exposedConfig(record: ContainerRecord): Record<string, unknown> {
  const network = record.plan.network;
  if (network.mode !== 'private') return {};
  const exposed = inspectExposedPorts(network.exposedPorts, network.ports);
  return Object.keys(exposed).length === 0 ? {} : { ExposedPorts: exposed };
}

/** A `container:ID` plan's container by name, as Docker shows it (the id when it is gone). */
function containerName(store: Store, id: string): string {
  try {
    return findContainer(store, id).name;
  } catch {
    return id;
  }
}

/**
 * Docker's NetworkSettings from the last start's DIR/network.json (a private
 * network), empty otherwise. burrow's own: NetworkHelper (pasta, slirp4netns, or
 * null after the fallback to none) and HelperError (a helper that died early).
 */
function networkSettings(store: Store, record: ContainerRecord, running: boolean): Record<string, unknown> {
  const state = running ? readNetworkState(store, record.id) : undefined;
  return {
    IPAddress: state?.address ?? '',
    Gateway: state?.gateway ?? '',
    MacAddress: state?.mac ?? (record.plan.network.mode === 'private' ? record.plan.network.mac ?? '' : ''),
    // Each exposed or -p port, with this start's bindings while it runs (null: exposed, not published); {} when it does not run, as Docker shows it.
    Ports: running && record.plan.network.mode === 'private' ? inspectPorts(record.plan.network.exposedPorts, state?.ports ?? []) : {},
    NetworkHelper: state?.helper ?? null,
    Networks: inspectAttachments(record),
    ...(state?.helperError === undefined ? {} : { HelperError: state.helperError }),
  };
}
