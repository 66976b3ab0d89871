import { signalProcess } from './identity.js';
import { chmodSync, closeSync, existsSync, openSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpawnStdio } from '../util/posix-spawn.js';
import { notInstalled, onPath, RUN_DOCTOR } from '../util/host-tools.js';
import { start, startLight } from '../util/spawn.js';
import { trace } from '../util/trace.js';
import { BurrowError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Store } from '../store/store.js';
import { removeInUserNamespace } from '../unpack/remove.js';
import { containerIdMapping, type IdMapping } from '../userns/idmap.js';
import { AUTO_NOTE_FILE, autoFallbackNote, copyFallbackNote } from '../rootfs/auto.js';
import { NoOverlayError, prepareRootfs, type RootfsSite } from '../rootfs/index.js';
import { writeEnvironmentFile } from '../sandbox/handoff.js';
import { launcherArgv, launchInfo, MONITOR_BINARY, rootfsSite } from './launcher.js';
import { prepareNetwork, type StartNetwork } from './network.js';
import { killLeftoverHelper } from '../network/helpers.js';
import { cgroupDirs, entryArgv, oomKilled, removeContainerCgroup, type ContainerCgroup } from '../cgroup/index.js';
import { removeCgroupsOf } from './resources.js';
import { cgroupForStart } from './resources.js';
import { monitorHealthArgs } from './health-config.js';
import { containerDir, containersDir, lockContainer, readRecord, writeRecord, type ContainerRecord } from './record.js';
import { randomBytes } from '../util/random.js';
import { releaseStartClaim } from './start-claim.js';
import { containerState, monitorFile, readRunFile, readSandbox, sandboxPidFile, waitForSandbox } from './state.js';
import { bootId, isRunning, type ProcessIdentity } from '../util/process-identity.js';

/** Run-time state files: re-derived after a crash, so not worth an fsync each. */
const RUNTIME = { durable: false };
/** A foreground run's room for its exit file (see runForeground). */
const EXIT_RESERVE = 'exit.reserve';
const CLI = fileURLToPath(new URL('../../bin/burrow.js', import.meta.url));

/**
 * A sandbox whose monitor died without writing `exit` (a SIGKILLed `burrow run` in the
 * foreground) can outlive it: bwrap's parent-death signal reaches a PID 1 that switched
 * to another user (`-u 1000`) only as a signal from the dying bwrap, which holds no
 * CAP_KILL and so may not send it. Killed here by its recorded identity (pid and start
 * time, never a reused pid), and its pid namespace with it, before the container's
 * files go or it starts again: nothing of a removed container keeps running.
 */
function killOrphanedSandbox(dir: string): void {
  const sandbox = readSandbox(dir);
  if (sandbox !== undefined && isRunning(sandbox)) signalProcess(sandbox, 'SIGKILL');
}

/** Files from an earlier run of the same container go before it starts again. */
function clearRunFiles(dir: string): void {
  killOrphanedSandbox(dir);
  for (const name of ['monitor', 'pid', 'exit', 'stopped', 'launch-error', AUTO_NOTE_FILE, EXIT_RESERVE]) {
    // unlink(2) alone: rmSync checks and retries first, 0.1 ms a file on every start.
    try {
      unlinkSync(join(dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** `auto` found neither overlay: the container is copied from now on (recorded, so every later start and `cp` agree). */
async function fallBackToCopy(store: Store, record: ContainerRecord, site: RootfsSite, why: string, onNote: ((note: string) => void) | undefined): Promise<void> {
  onNote?.(copyFallbackNote(why));
  record.plan.rootfs.driver = 'copy';
  writeRecord(store, record);
  await prepareRootfs(site);
}

/**
 * After a launch under `auto`: if the launcher fell back to fuse-overlayfs, say so
 * once and record it, as the fallback to copy is, so later starts neither try
 * the kernel's overlay again nor repeat the note.
 */
function recordAutoChoice(store: Store, record: ContainerRecord, dir: string, onNote: ((note: string) => void) | undefined): void {
  if (record.plan.rootfs.driver !== 'auto') return;
  const note = autoFallbackNote(dir);
  if (note === undefined) return;
  onNote?.(note);
  record.plan.rootfs.driver = 'fuse-overlayfs';
  writeRecord(store, record);
}

/**
 * The file attached clients of a --rm container hold (a shared flock, container/attach.ts:
 * holdForAttach) until they have its output and exit status; the monitor runs the
 * --rm clean-up only once it can lock it exclusively (native/burrow-monitor.c).
 */
export const ATTACH_HOLD_FILE = 'attach-hold';

/** Removes the container's directory (its writable layer holds files of mapped ids). */
export async function removeContainerFiles(store: Store, record: ContainerRecord, mapping: IdMapping = containerIdMapping(record.userns)): Promise<void> {
  // overlayfs leaves work/work (and, for a volatile mount, work/work/incompat and
  // its volatile/) at mode 000; opened up, a container whose job wrote only as
  // root (the user) is removed without entering a namespace (~10 ms saved).
  // A network helper that a crashed agent left running goes first: nothing outlives rm.
  const dir = containerDir(store, record.id);
  killLeftoverHelper(dir);
  killOrphanedSandbox(dir);
  // The cgroups before the directory: once the directory is gone the container's id is
  // unknown, and a cgroup of an unknown id may be another store's, so nothing would collect it.
  await removeContainerCgroup(record.cgroup);
  removeCgroupsOf(record.id);
  // Renamed first: from here on no command lists it, and a removal cut short leaves a
  // `.removing-…` tree that system prune finishes, never a container without its record.
  const retired = join(containersDir(store), `.removing-${record.id}.${randomBytes(4).toString('hex')}`);
  try {
    renameSync(dir, retired);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // removed meanwhile by another burrow
    throw error;
  }
  const work = join(retired, relative(dir, record.plan.rootfs.work), 'work');
  for (const dir of [work, join(work, 'incompat'), join(work, 'incompat', 'volatile')]) {
    try {
      chmodSync(dir, 0o700);
    } catch {
      // Not there (copy driver, fuse-overlayfs, not volatile) or not ours: the namespace route handles the rest.
      break;
    }
  }
  await removeInUserNamespace(retired, mapping);
}

/** Whether the kernel's OOM killer struck in the cgroup; a cgroup already gone tells nothing. */
function wasOomKilled(cgroup: ContainerCgroup | undefined): boolean {
  if (cgroup === undefined) return false;
  try {
    return oomKilled(cgroup);
  } catch {
    return false;
  }
}

/**
 * Runs the container attached to this process: its stdio is burrow's, signals to
 * burrow go to its PID 1, and the exit status is returned. The same state files
 * as a detached container's monitor are written, with burrow as the monitor.
 */
/** `run -a`: which of the caller's standard streams the job gets (the others: /dev/null). */
export interface AttachedStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export async function startForeground(store: Store, given: ContainerRecord, options: { signal?: AbortSignal | undefined; onNote?: (note: string) => void; fresh?: boolean; streams?: AttachedStreams | undefined } = {}): Promise<number> {
  // Until the job runs: a network connect meanwhile waits, then finds it running (startLocked).
  const { record, release } = await startLocked(store, given, options.fresh === true);
  try {
    return await runForeground(store, record, { ...options, onRunning: release });
  } finally {
    release();
  }
}

/**
 * The container's lock (as stop, rm and network connect take it) and its record read under
 * it, for a start until its job runs: `network connect` changes the record under the same
 * lock, so it either is in the record this start reads, or sees the container running and
 * joins it at once. `release` may be called more than once.
 */
async function startLocked(store: Store, given: ContainerRecord, fresh: boolean): Promise<{ record: ContainerRecord; release: () => void }> {
  // A container `run` has just created is started unlocked: no other command has acted on it
  // yet (its record appeared a moment ago), and the lock's first use loads koffi, a visible part
  // of a warm run. `run` holds the container's start claim instead (container/start-claim.ts),
  // which every other command that locks the container waits for: released here.
  if (fresh) {
    const dir = containerDir(store, given.id);
    let held = true;
    const release = (): void => {
      if (held) releaseStartClaim(dir);
      held = false;
    };
    return { record: given, release };
  }
  const lock = await lockContainer(store, given.id);
  let held = true;
  const release = (): void => {
    if (held) lock.release();
    held = false;
  };
  const record = readRecord(store, given.id);
  if (record === undefined) {
    release();
    throw new BurrowError('NOT_FOUND', `no such container: ${given.name} (removed by another burrow command)`);
  }
  return { record, release };
}

async function runForeground(store: Store, record: ContainerRecord, options: { signal?: AbortSignal | undefined; onNote?: (note: string) => void; onRunning: () => void; streams?: AttachedStreams | undefined }): Promise<number> {
  const dir = containerDir(store, record.id);
  const mapping = containerIdMapping(record.userns);
  clearRunFiles(dir);
  const site = rootfsSite(store, record, mapping);
  await prepareRootfs(site);
  writeEnvironmentFile(dir, record.plan);
  const network = await prepareNetwork(store, record, options.onNote);
  trace('network ready');
  // Its own cgroup, limits written, before anything of it runs; the launcher enters it first thing.
  const cgroup = await cgroupForStart(store, record, options.onNote);
  trace('cgroup ready');
  const entry = cgroup === undefined ? [] : entryArgv(cgroup);
  // Room for the exit file, kept aside before the job can fill the disk (its layer is on the
  // store's file system): freed just before the exit status is written.
  try {
    writeFileSync(join(dir, EXIT_RESERVE), Buffer.alloc(8192));
  } catch {
    // No room now: the exit file is written as before, if it can be.
  }
  const attempt = async (): Promise<number> => {
    writeFileAtomic(join(dir, 'monitor'), monitorFile(), 0o644, RUNTIME);
    return launchAttached(store, record, site, entry, network, options);
  };
  let exitCode = 125;
  try {
    try {
      exitCode = await attempt();
    } catch (error) {
      if (!(error instanceof NoOverlayError)) throw error;
      await fallBackToCopy(store, record, site, error.why, options.onNote);
      exitCode = await attempt();
    }
  } finally {
    rmSync(join(dir, 'pid'), { force: true });
    rmSync(join(dir, EXIT_RESERVE), { force: true });
    const oom = wasOomKilled(cgroup);
    writeFileAtomic(join(dir, 'exit'), JSON.stringify({ exitCode, finishedAt: new Date().toISOString(), ...(oom ? { oomKilled: true } : {}) }), 0o644, RUNTIME);
    // This process is the container's monitor: the cgroup goes with its run (the record keeps it for inspect until the next start).
    await removeContainerCgroup(cgroup);
    trace('cgroup removed');
  }
  return exitCode;
}

async function launchAttached(store: Store, record: ContainerRecord, site: RootfsSite, entry: string[], network: StartNetwork, options: { signal?: AbortSignal | undefined; onNote?: (note: string) => void; onRunning: () => void; streams?: AttachedStreams | undefined }): Promise<number> {
  const { signal } = options;
  const plan = record.plan;
  const launcher = launcherArgv(plan, site, network.network);
  // In the foreground this process is the monitor: its own timer runs the health checks while the job runs.
  const health = plan.healthcheck === undefined ? undefined : (await import('./health.js')).healthTimer(store, record);
  // Behind the cgroup entry (or the network agent) a missing launcher would only be an exec error: say it as a spawn's ENOENT would.
  if ((entry.length > 0 || network.agent.length > 0) && !onPath(launcher[0]!)) throw new BurrowError('IO', `cannot start the container: ${notInstalled(launcher[0]!)}; ${RUN_DOCTOR}`);
  // The network agent goes first: it and its helper stay out of the container's cgroup (limits, freezer, the cgroup's removal).
  const [command, ...args] = [...network.agent, ...entry, ...launcher];
  const pty = plan.process.tty ? (await import('./tty.js')).openPty() : undefined;
  const streams = options.streams ?? { stdin: true, stdout: true, stderr: true };
  const stdio: SpawnStdio[] = pty === undefined ? [plan.process.stdin && streams.stdin ? 'inherit' : 'ignore', streams.stdout ? 'inherit' : 'ignore', streams.stderr ? 'inherit' : 'ignore', 'pipe'] : [pty.slave, pty.slave, pty.slave, 'pipe'];
  trace('launcher');
  // posix_spawn (util/spawn.ts: startLight): no fork of this process on a run's path.
  const { child, finished } = startLight(command!, args, stdio);
  pty?.closeSlave();
  const detach = pty?.attach(process.stdin, process.stdout, plan.process.stdin);
  // bwrap reports the sandbox's PID 1 on fd 3; signals go straight to it.
  let info = '';
  let sandboxPid: number | undefined;
  let stateFailure: unknown;
  const pidFile = join(containerDir(store, record.id), 'pid');
  (child.stdio[3] as NodeJS.ReadableStream | null)?.on('data', (chunk: Buffer) => {
    info += chunk.toString();
    const pid = launchInfo(info, plan.rootfs.driver).pid;
    if (pid !== undefined && sandboxPid === undefined) {
      sandboxPid = pid;
      trace('sandbox up');
      try {
        writeFileAtomic(pidFile, sandboxPidFile(pid), 0o644, RUNTIME);
      } catch (error) {
        // The job may have filled the disk already (it starts before this line): it runs on,
        // and this process, which holds its pid, still stops it and records its exit.
        options.onNote?.(`burrow: note: cannot record the job's pid (${error instanceof Error ? error.message : String(error)}): other burrow commands see the container as starting until it ends`);
      }
      try {
        health?.start();
        options.onRunning();
        recordAutoChoice(store, record, site.dir, options.onNote);
      } catch (error) {
        // A job burrow cannot record (a full disk) is stopped, and the run says why in one line,
        // not with a stack trace from this event handler.
        stateFailure ??= error;
        forward('SIGKILL');
      }
    }
  });
  const forward = (sig: NodeJS.Signals): void => {
    if (sandboxPid !== undefined) {
      try { process.kill(sandboxPid, sig); } catch { /* already gone */ }
    } else child.kill(sig);
  };
  const onInt = (): void => forward('SIGINT');
  const onTerm = (): void => forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const onAbort = (): void => forward('SIGTERM');
  signal?.addEventListener('abort', onAbort);
  try {
    const result = await finished;
    trace('job exited');
    if (result.error !== undefined) throw new BurrowError('IO', `cannot start the container: ${result.error.message}`);
    // Let the last output of the job leave the terminal before letting go of it.
    if (detach !== undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    if (stateFailure !== undefined) throw stateFailure;
    const { failure } = launchInfo(info, plan.rootfs.driver);
    if (failure !== undefined) throw failure;
    // bwrap stops before starting the job (its own message is already on stderr).
    if (sandboxPid === undefined) throw new BurrowError('IO', `cannot set up the container: ${entry.length > 0 ? 'entering its cgroup, ' : ''}unshare, newuidmap or bubblewrap failed before the job started (see the message above); ${RUN_DOCTOR}`);
    if (result.exitCode !== null) return result.exitCode;
    if (result.signal !== null) return 128 + (constants.signals[result.signal] ?? 0);
    return 125;
  } finally {
    await health?.stop();
    detach?.();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Waits (up to 5 s) until a container's earlier monitor has finished. */
async function monitorGone(monitor: ProcessIdentity | undefined): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (isRunning(monitor) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function waitForStart(dir: string, timeoutMs: number): Promise<{ pid?: number; launchError?: string; exited?: boolean }> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const launchError = readRunFile(join(dir, 'launch-error'));
    if (launchError !== undefined) return { launchError };
    // Read, never checked then read: the monitor removes the file when the job ends.
    const sandbox = readSandbox(dir);
    if (sandbox !== undefined) {
      // As `docker run -d`: back once the job runs in its container, so an exec right after finds it whole.
      await waitForSandbox(sandbox.pid, Math.max(0, timeoutMs - (Date.now() - started)));
      return { pid: sandbox.pid };
    }
    if (existsSync(join(dir, 'exit'))) return { exited: true };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return {};
}

/**
 * Starts the container under its own monitor (native/burrow-monitor.c), which
 * outlives this process, and returns once the job runs (or has already ended).
 */
export interface DetachedStartOptions {
  onNote?: ((note: string) => void) | undefined;
  fresh?: boolean | undefined;
  /**
   * `start -a` of a container created with -i or -t: the monitor holds the job
   * until a client connects (at most ATTACH_WAIT_MS), and this connects it, once for
   * each monitor started (a fall-back from overlay starts a second one), before the
   * job is waited for; so the job's first output is not printed to nobody.
   */
  connectClient?: (() => Promise<void>) | undefined;
}

/** How long a monitor holds the job for a `start -a` client that never connects (killed before it could). */
export const ATTACH_WAIT_MS = 10_000;

export async function startDetached(store: Store, given: ContainerRecord, options: DetachedStartOptions = {}): Promise<void> {
  const { record, release } = await startLocked(store, given, options.fresh === true);
  try {
    await runDetached(store, record, options);
  } finally {
    release();
  }
}

async function runDetached(store: Store, record: ContainerRecord, options: DetachedStartOptions): Promise<void> {
  const dir = containerDir(store, record.id);
  const state = containerState(store, record);
  // As `docker start` of a running container: nothing to do, and no error (a second start that lost the race lands here).
  if (state.status === 'running') return;
  // The monitor of the last run removes that run's cgroup as it ends: not the one made now (restart).
  await monitorGone(state.monitor);
  const mapping = containerIdMapping(record.userns);
  clearRunFiles(dir);
  const plan = record.plan;
  const site = rootfsSite(store, record, mapping);
  await prepareRootfs(site);
  writeEnvironmentFile(dir, plan);
  const network = await prepareNetwork(store, record, options.onNote);
  const cleanup = record.autoRemove ? ['--cleanup', process.execPath, CLI, '--root', store.root, 'rm', '--force', '--volumes', record.id] : [];
  // Made before the monitor exists, so that its clean-up always looks for holders: an `attach` that comes later holds it too.
  // Appended to, never replaced: a `start -a` may hold it already.
  if (record.autoRemove) closeSync(openSync(join(dir, ATTACH_HOLD_FILE), 'a'));
  // The monitor keeps the health checks' schedule and starts burrow's own check when one is due: no Node stays resident.
  const waitAttach = options.connectClient === undefined ? [] : ['--wait-attach', String(ATTACH_WAIT_MS)];
  const health = monitorHealthArgs(plan.healthcheck, [process.execPath, CLI, '--root', store.root, 'healthcheck', 'run', record.id]);
  // The monitor runs the launcher after burrow has returned: a launcher that is not
  // there would only show as a container that exited 127.
  const launcher = launcherArgv(plan, site, network.network)[0]!;
  if (!onPath(launcher)) throw new BurrowError('IO', `cannot start the container: ${notInstalled(launcher)}; ${RUN_DOCTOR}`);
  /**
   * Its own cgroup, limits written, made for each launch: the monitor watches it
   * for the OOM killer and removes it when the container ends (after its last
   * restart); every launch of the job enters it before anything of it runs.
   */
  const launch = async (notes: ((note: string) => void) | undefined): Promise<void> => {
    const cgroup = await cgroupForStart(store, record, notes);
    const watch = cgroup === undefined ? [] : [...new Set(cgroupDirs(cgroup))].flatMap((path) => ['--cgroup', path]);
    const entry = cgroup === undefined ? [] : entryArgv(cgroup);
    const result = await start(MONITOR_BINARY, [dir, '--boot-id', bootId(), '--restart', record.restart, '--log-max-size', String(record.logMaxSize ?? 10 * 1024 * 1024), '--log-max-files', String(record.logMaxFiles ?? 2), ...(record.tty ? ['--tty'] : []), ...(record.logDriver === 'none' ? ['--no-log'] : []), ...(plan.process.stdin ? ['--stdin'] : []), ...waitAttach, ...watch, ...health, ...cleanup, '--', ...network.agent, ...entry, ...launcherArgv(plan, site, network.network)], 'ignore').finished;
    if (result.exitCode !== 0) {
      await removeContainerCgroup(cgroup);
      throw new BurrowError('IO', `cannot start the container's monitor (${MONITOR_BINARY}): ${result.error?.message ?? `exit ${result.exitCode}`}`);
    }
    // The monitor has bound its attach socket before it returned.
    await options.connectClient?.();
  };
  await launch(options.onNote);
  let outcome = await waitForStart(dir, 10_000);
  const failure = outcome.launchError === undefined ? undefined : launchInfo(outcome.launchError, plan.rootfs.driver).failure;
  if (failure instanceof NoOverlayError) {
    await fallBackToCopy(store, record, site, failure.why, options.onNote);
    // The first monitor removes its cgroup as it ends: wait for that before the next one is made.
    await monitorGone(containerState(store, record).monitor);
    clearRunFiles(dir);
    await launch(undefined);
    outcome = await waitForStart(dir, 10_000);
  }
  if (outcome.launchError !== undefined) throw launchInfo(outcome.launchError, plan.rootfs.driver).failure ?? new BurrowError('IO', 'cannot set up the container');
  recordAutoChoice(store, record, dir, options.onNote);
}
