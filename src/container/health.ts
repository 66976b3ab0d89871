import { quoteForTerminal } from '../util/printable.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { BurrowError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { withLockFileSync } from '../store/lockfile.js';
import type { Store } from '../store/store.js';
import type { ProcessIdentity } from '../util/process-identity.js';
import { runningSandbox, spawnExec } from './exec.js';
import { checkArgv, formatDuration, nextCheckDelayMs, type HealthConfig } from './health-config.js';
import { containerDir, findContainer, readRecord, type ContainerRecord } from './record.js';
import { containerState, readRunFile, type ContainerState } from './state.js';

export type { HealthConfig } from './health-config.js';

/**
 * Health checks without a daemon (Docker's HEALTHCHECK, Podman's `healthcheck run`).
 *
 * Who runs them: for a detached container its monitor (native/burrow-monitor.c)
 * keeps the schedule and starts `burrow healthcheck run ID` when a check is due,
 * as Podman's systemd timer does, so no Node process stays resident; for a
 * foreground `burrow run`, that process's own timer (`healthTimer`). Either way a
 * check is one exec in the container (container/exec.ts: the same cgroup entry,
 * user, capabilities, no_new_privs and seccomp filter as `burrow exec`), its
 * output captured and capped at 4 KiB, killed at its timeout, and its result
 * folded into DIR/health.json (Docker's rules) under a lock, written atomically.
 */

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One check's result, as Docker's `State.Health.Log` entries. */
export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** Docker's `State.Health`. */
export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  /** The last five results, oldest first. */
  Log: HealthLogEntry[];
}

/** DIR/health.json: the state, and which run it belongs to (the `startedAt` of the monitor file). */
interface HealthFile extends HealthState {
  Run: string;
}

const HEALTH_FILE = 'health.json';
const FULL_ID = /^[a-f0-9]{64}$/;
/** Docker's: results kept, and bytes of output kept of each. */
const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT = 4096;

function readHealthFile(dir: string): HealthFile | undefined {
  const text = readRunFile(join(dir, HEALTH_FILE));
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as HealthFile;
    return typeof parsed.Status === 'string' && Array.isArray(parsed.Log) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The health of the container's current (or last) run, as `State.Health`; undefined
 * when it has no health check or has never been started. A run no check has
 * reported on yet is `starting` with the last run's log kept (Docker resets the
 * status and streak at each start, not the log): nothing is written at a start,
 * so a start costs nothing for health checks.
 */
export function readHealth(store: Store, record: ContainerRecord, state: ContainerState = containerState(store, record)): HealthState | undefined {
  if (record.plan.healthcheck === undefined || state.startedAt === undefined) return undefined;
  const file = readHealthFile(containerDir(store, record.id));
  if (file !== undefined && file.Run === state.startedAt) return { Status: file.Status, FailingStreak: file.FailingStreak, Log: file.Log };
  return { Status: 'starting', FailingStreak: 0, Log: file?.Log ?? [] };
}

/** What a check printed (stdout and stderr as they came), up to 4 KiB, then "..." as Docker marks a cut. */
class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private cut = false;

  add(chunk: Buffer): void {
    const room = MAX_OUTPUT - this.size;
    if (chunk.length > room) this.cut = true;
    if (room <= 0) return;
    const kept = chunk.subarray(0, room);
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return `${Buffer.concat(this.chunks).toString('utf8')}${this.cut ? '...' : ''}`;
  }
}

/** The pids of a process's children (Linux's /proc/PID/task/PID/children). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Ends a check for good: burrow-init on the host (`child`) and the command it
 * forked in the container, with that command's process group (it leads one:
 * burrow-init's setsid). Killing burrow-init alone would leave the command
 * running in the container (a check that hangs would pile up one process per
 * interval), and burrow-init does not pass SIGKILL on. It is stopped first, so
 * that it cannot fork the command between the look at its children and its end.
 * The user owns the container's user namespace, so it may signal any process in it.
 */
function killCheck(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(pid, 'SIGSTOP');
  } catch {
    return;
  }
  for (let waited = 0; waited < 200 && !['T', 't', 'Z', undefined].includes(processState(pid)); waited++) Atomics.wait(pause, 0, 0, 1);
  for (const job of childrenOf(pid)) {
    for (const target of [-job, job]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Gone already, or no group of its own yet.
      }
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/** One-line text of an error, for a Log entry's Output. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}

/**
 * Runs the check once in the container of `sandbox`: its result as a Log entry.
 * Exit status 0 is a success, anything else a failure; one that runs past the
 * timeout is killed and recorded as -1 with Docker's "Health check exceeded
 * timeout" text, as is a check burrow could not start (with the reason).
 */
async function probe(store: Store, record: ContainerRecord, sandbox: ProcessIdentity, config: HealthConfig, signal: AbortSignal | undefined): Promise<HealthLogEntry> {
  const start = new Date();
  const entry = (exitCode: number, output: string): HealthLogEntry => ({ Start: start.toISOString(), End: new Date().toISOString(), ExitCode: exitCode, Output: output });
  let started: ReturnType<typeof spawnExec>;
  try {
    started = spawnExec(store, record, sandbox, { command: checkArgv(config), env: [], tty: false }, ['ignore', 'pipe', 'pipe']);
  } catch (error) {
    return entry(-1, oneLine((error as Error).message));
  }
  const { child } = started;
  const output = new CappedOutput();
  child.stdout?.on('data', (chunk: Buffer) => output.add(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.add(chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killCheck(child);
  }, config.timeoutMs);
  const onAbort = (): void => killCheck(child);
  signal?.addEventListener('abort', onAbort);
  if (signal?.aborted === true) onAbort();
  try {
    const [code, killedBy, spawnError] = await new Promise<[number | null, NodeJS.Signals | null, Error | undefined]>((resolve) => {
      child.on('error', (error) => resolve([null, null, error]));
      child.on('close', (exitCode, sig) => resolve([exitCode, sig, undefined]));
    });
    if (spawnError !== undefined) return entry(-1, `cannot start the health check: ${spawnError.message}`);
    const text = output.text();
    if (timedOut) return entry(-1, `Health check exceeded timeout (${formatDuration(config.timeoutMs)})${text === '' ? '' : `: ${text}`}`);
    const failure = started.failure(code);
    if (failure !== undefined) return entry(-1, oneLine(failure.message));
    if (code !== null) return entry(code, text);
    return entry(-1, `the health check was killed by ${killedBy ?? 'a signal'}${text === '' ? '' : `: ${text}`}`);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Folds one result into the run's health, by Docker's rules: a success makes it
 * healthy and ends the failing streak; a failure adds to the streak (except while
 * the container is still starting within its start period) and makes it unhealthy
 * at `retries` in a row. Under a lock, so that two checks at once (the monitor's
 * and a manual `healthcheck run`) both count.
 */
function recordResult(store: Store, record: ContainerRecord, config: HealthConfig, run: string, result: HealthLogEntry): HealthState {
  const dir = containerDir(store, record.id);
  return withLockFileSync(join(dir, 'health.lock'), () => {
    const file = readHealthFile(dir);
    const current: HealthState = file !== undefined && file.Run === run ? file : { Status: 'starting', FailingStreak: 0, Log: file?.Log ?? [] };
    const next: HealthState = { Status: current.Status, FailingStreak: current.FailingStreak, Log: [...current.Log, result].slice(-MAX_LOG_ENTRIES) };
    if (result.ExitCode === 0) {
      next.Status = 'healthy';
      next.FailingStreak = 0;
    } else {
      const withinStartPeriod = current.Status === 'starting' && Date.parse(result.Start) - Date.parse(run) < config.startPeriodMs;
      if (!withinStartPeriod) {
        next.FailingStreak++;
        if (next.FailingStreak >= config.retries) next.Status = 'unhealthy';
      }
    }
    writeFileAtomic(join(dir, HEALTH_FILE), `${JSON.stringify({ ...next, Run: run } satisfies HealthFile)}\n`, 0o644, { durable: false });
    return next;
  });
}

function healthConfigOf(record: ContainerRecord): HealthConfig {
  const config = record.plan.healthcheck;
  if (config === undefined) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} has no health check: create it with --health-cmd, or from an image with a HEALTHCHECK`);
  return config;
}

/**
 * One check now (`burrow healthcheck run`, and what the monitor starts when a
 * check is due): the container's health afterwards. The last Log entry is this
 * check's (ExitCode 0: it passed). A container that is not running or is
 * paused, or that has no health check, is a one-line error, as Podman's.
 */
export async function runHealthCheck(store: Store, query: string, options: { signal?: AbortSignal | undefined } = {}): Promise<HealthState> {
  // The monitor and the foreground timer name the container by its full id: its record at once, not a scan of every record.
  const record = (FULL_ID.test(query) ? readRecord(store, query) : undefined) ?? findContainer(store, query);
  const config = healthConfigOf(record);
  const sandbox = await runningSandbox(store, record);
  const run = containerState(store, record).startedAt;
  if (run === undefined) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running: start it first`);
  const result = await probe(store, record, sandbox, config, options.signal);
  // Called off (the foreground job has ended): a check killed for that is no result.
  if (options.signal?.aborted === true) throw new BurrowError('INTERRUPTED', `the health check of container ${record.name} was interrupted`);
  // Stopped (or started again) meanwhile: the result belongs to no run, as Docker drops it.
  const after = containerState(store, record);
  if (after.status !== 'running' || after.startedAt !== run || !existsSync(containerDir(store, record.id))) {
    throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} stopped during its health check`);
  }
  return recordResult(store, record, config, run, result);
}

/** The last check's result in a few words, for an error line. */
function lastCheck(health: HealthState): string {
  const last = health.Log.at(-1);
  if (last === undefined) return 'no check has run yet';
  const output = last.Output.trim();
  // Quoted: what the container printed reaches a terminal only as escaped text (no control sequences).
  return `the last check exited ${last.ExitCode}${output === '' ? '' : `: ${quoteForTerminal(output.length > 200 ? `${output.slice(0, 200)}...` : output)}`}`;
}

/**
 * Resolves once the container is healthy. Throws a one-line BurrowError when it
 * becomes unhealthy, exits (or is removed) first, has no health check, or
 * `timeoutMs` passes (TIMEOUT); the caller adds log lines.
 */
export async function waitHealthy(store: Store, query: string, options: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<void> {
  const record = findContainer(store, query);
  healthConfigOf(record);
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (!existsSync(join(containerDir(store, record.id), 'container.json'))) throw new BurrowError('NOT_FOUND', `container ${record.name} was removed before it became healthy`);
    const state = containerState(store, record);
    if (state.status === 'created') throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running: start it first`);
    if (state.status === 'exited') throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} exited (code ${state.exitCode ?? -1}) before it became healthy`);
    const health = readHealth(store, record, state);
    if (health?.Status === 'healthy') return;
    if (health?.Status === 'unhealthy') throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is unhealthy: its health check failed ${health.FailingStreak} times in a row; ${lastCheck(health)}`);
    if (options.signal?.aborted === true) throw new BurrowError('INTERRUPTED', `interrupted while waiting for container ${record.name} to become healthy`);
    if (Date.now() >= deadline) {
      throw new BurrowError('TIMEOUT', `container ${record.name} did not become healthy within ${formatDuration(options.timeoutMs)}: ${health === undefined ? 'no check has run yet' : `still ${health.Status}; ${lastCheck(health)}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The checks of a container that runs in the foreground (`burrow run` without
 * -d): this process is its monitor, so its own timer keeps the schedule
 * (health-config.ts: nextCheckDelayMs) from `start()` (the sandbox is up) to
 * `stop()` (the job has ended), which kills a check still running. The timer
 * never keeps the process alive.
 */
export function healthTimer(store: Store, record: ContainerRecord): { start(): void; stop(): Promise<void> } {
  const config = healthConfigOf(record);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let startedAt = 0;
  let succeeded = false;
  let stopped = false;
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(tick, nextCheckDelayMs(config, Date.now() - startedAt, succeeded));
    timer.unref();
  };
  const tick = (): void => {
    running = runHealthCheck(store, record.id, { signal: controller.signal })
      .then((health) => { succeeded ||= health.Log.at(-1)?.ExitCode === 0; })
      // Paused, stopping, or a store being removed: the next tick tries again, and the job's end stops the timer.
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
        schedule();
      });
  };
  return {
    start: () => {
      if (startedAt !== 0) return;
      startedAt = Date.now();
      schedule();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
      await running;
    },
  };
}

/** Docker's `ps` STATUS suffix of a running container: ` (healthy)`, ` (unhealthy)`, ` (health: starting)`, or nothing. */
export function healthSuffix(store: Store, record: ContainerRecord, state: ContainerState): string {
  // Docker shows a paused container's pause, not its health.
  if (state.status !== 'running' || state.paused) return '';
  const health = readHealth(store, record, state);
  if (health === undefined) return '';
  return health.Status === 'starting' ? ' (health: starting)' : ` (${health.Status})`;
}

const HEALTH_FILTER_VALUES = ['starting', 'healthy', 'unhealthy', 'none'];

/** `ps --filter health=starting|healthy|unhealthy|none` (none: no health check, or never started), as Docker's. */
export function matchesHealthFilter(store: Store, record: ContainerRecord, state: ContainerState, value: string): boolean {
  if (!HEALTH_FILTER_VALUES.includes(value)) throw new BurrowError('INVALID_ARGUMENT', `invalid filter "health=${value}": use starting, healthy, unhealthy or none`);
  return (readHealth(store, record, state)?.Status ?? 'none') === value;
}
