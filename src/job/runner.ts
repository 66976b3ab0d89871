/**
 * `runJob`: a job file's job, as GitHub Actions runs a container job with
 * services, without a daemon:
 *
 *   pull      the job's and the services' images (layers unpacked as they arrive)
 *   network   a user-defined network of the job's own (or the one the file names)
 *   services  each replica a detached container `JOB-SVC-N` on it, with the
 *             service's name as its network alias (so every replica answers
 *             behind one name: each is a line for that name in the peers'
 *             /etc/hosts); then every replica healthy (or running, without a
 *             health check), else an error with the service's last log lines
 *   steps     one job container, started once with a command that waits, and
 *             each step exec'd in it: files and installed packages carry from
 *             step to step (GitHub's container jobs do the same). Every service
 *             must stay up for the whole job (fail fast): one already exited when
 *             the steps would start fails the job with its exit status and last
 *             log lines; one found exited before a later step, or after the
 *             last, skips the remaining steps and fails the job, and the result
 *             names it (`serviceExits`)
 *   teardown  containers, processes, switch and network, whatever ended the job;
 *             then the workspace is given back to the caller (reclaimOwnership)
 *
 * Nothing here prints: progress and output are JobEvents for the caller.
 */
import { quoteForTerminal } from '../util/printable.js';
import { readFileSync, statSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { BurrowError, EXIT_BURROW_ERROR, isBurrowError } from '../errors.js';
import { createContainer, resolveImage, type CreateOptions, type MountRequest } from '../container/create.js';
import { execInContainer } from '../container/exec.js';
import { readLogs } from '../container/ops.js';
import { findContainer, readRecord, type ContainerRecord } from '../container/record.js';
import { startDetached } from '../container/start.js';
import { containerState } from '../container/state.js';
import { createNetwork, requireNetwork, type NetworkRecord } from '../network/records.js';
import type { Store } from '../store/store.js';
import { idMapping } from '../userns/idmap.js';
import { randomBytes } from '../util/random.js';
import { readPeaks } from './peaks.js';
import { tearDown, type JobResources } from './teardown.js';
import { waitHealthy } from '../container/health.js';
import { reclaimOwnership } from '../userns/reclaim.js';
import type { JobDefinition, JobEvent, JobHealthCheck, JobPhase, JobResult, RunJobOptions, ServiceDefinition, ServiceExit, StepDefinition, StepResult } from './types.js';

/** How long a step that got SIGTERM at its timeout (or on cancellation) has before its process group is killed. */
const STOP_GRACE_MS = 5_000;
/** A timed-out step's exit status, as timeout(1) gives it. */
export const TIMEOUT_EXIT = 124;
/** Log lines of a service quoted when it never becomes healthy. */
const LOG_LINES = 10;
/** The job container's command: it only waits, the steps are exec'd beside it (GitHub's `tail -f /dev/null`). */
const WAIT_FOREVER = ['sh', '-c', 'while :; do sleep 3600; done'];


class Reporter {
  constructor(private readonly emit: (event: JobEvent) => void) {}
  note(text: string): void {
    this.emit({ kind: 'note', text });
  }
  async phase<T>(phase: JobPhase, name: string, body: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.emit({ kind: 'phase-start', phase, name });
    try {
      const value = await body();
      this.emit({ kind: 'phase-end', phase, name, durationMs: Date.now() - started });
      return value;
    } catch (error) {
      this.emit({ kind: 'phase-end', phase, name, durationMs: Date.now() - started, error: (error as Error).message });
      throw error;
    }
  }
  event(event: JobEvent): void {
    this.emit(event);
  }
}

/** A name part made of what container and network names allow. */
function slug(text: string): string {
  return text.replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/^[^a-zA-Z0-9]+/, '').slice(0, 40) || 'job';
}

function checkWorkspace(path: string): string {
  const workspace = resolve(path);
  let isDirectory = false;
  try {
    isDirectory = statSync(workspace).isDirectory();
  } catch {
    // Reported below.
  }
  if (!isDirectory) throw new BurrowError('INVALID_ARGUMENT', `the workspace ${workspace} is not a directory: create it, or give another with --workspace`);
  if (workspace === '/') throw new BurrowError('INVALID_ARGUMENT', 'the workspace cannot be /: give the directory the job works in');
  return workspace;
}

/** The options every container of a job shares. */
function baseOptions(signal: AbortSignal | undefined, reporter: Reporter, labels: Record<string, string>): Omit<CreateOptions, 'image' | 'command' | 'env' | 'volumes'> {
  return {
    readOnly: false, init: false, interactive: false, tty: false, remove: false,
    capAdd: [], capDrop: [], labels, signal, onNote: (text) => reporter.note(text),
  };
}

function interrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new BurrowError('INTERRUPTED', 'the job was interrupted');
}

/** The service's last log lines, for the error of a replica that never got healthy. */
function lastLogLines(store: Store, record: ContainerRecord): string {
  const lines = readLogs(store, record).map((entry) => entry.log.replace(/\n$/, '')).slice(-LOG_LINES);
  return lines.length === 0 ? '(it logged nothing)' : lines.map(quoteForTerminal).join(' ');
}

/** How long to wait for a replica: its start period and every retry with its timeout, and a minute for the image's own check. */
function healthDeadline(check: JobHealthCheck | undefined): number {
  if (check === undefined) return 0;
  return check.startPeriodMs + (check.retries + 2) * (check.intervalMs + check.timeoutMs) + 60_000;
}

async function startService(store: Store, service: ServiceDefinition, prefix: string, network: NetworkRecord, resources: JobResources, options: { signal?: AbortSignal | undefined; reporter: Reporter; labels: Record<string, string> }): Promise<ContainerRecord[]> {
  const records: ContainerRecord[] = [];
  for (let replica = 1; replica <= service.replicas; replica++) {
    interrupted(options.signal);
    const name = `${prefix}-${service.name}-${replica}`;
    const create: CreateOptions = {
      ...baseOptions(options.signal, options.reporter, { ...options.labels, 'burrow.job.service': service.name }),
      image: service.image,
      command: service.command,
      entrypoint: service.entrypoint,
      env: service.env,
      user: service.user,
      name,
      hostname: name,
      network: network.name,
      networkAliases: [service.name],
      ports: service.ports,
      volumes: service.volumes,
      healthcheck: service.healthcheck,
    };
    const record = await createContainer(store, { ...create, claimStart: true });
    resources.containers.push(record.id);
    await startDetached(store, record, { onNote: (text) => options.reporter.note(text), fresh: true });
    records.push(record);
  }
  return records;
}

/**
 * Every replica healthy (or running, without a health check); the first that is
 * not, with its log lines. One without a check that has exited reads as the
 * check before the steps says it (runJob), whichever of the two sees it first.
 */
async function waitForService(store: Store, service: ServiceDefinition, records: ContainerRecord[], signal: AbortSignal | undefined): Promise<void> {
  await Promise.all(records.map(async (record) => {
    const check = record.plan.healthcheck;
    if (check === undefined) {
      const [exit] = exitedReplicas(store, [{ service: service.name, record }], []);
      if (exit !== undefined) throw new BurrowError('INVALID_ARGUMENT', describeExit(exit, 'before the steps started'));
      return;
    }
    try {
      await waitHealthy(store, record.id, { timeoutMs: healthDeadline(check), signal });
      const state = containerState(store, record);
      if (state.status !== 'running') throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} exited (status ${state.exitCode ?? -1})`);
    } catch (error) {
      if (isBurrowError(error, 'INTERRUPTED')) throw error;
      const why = (error as Error).message;
      throw new BurrowError('INVALID_ARGUMENT', `service ${service.name} did not become healthy: ${why}; its last log lines: ${lastLogLines(store, findContainer(store, record.id))}`);
    }
  }));
}

/** A started service replica. */
interface Replica {
  service: string;
  record: ContainerRecord;
}

/**
 * The replicas that are no longer running (beyond `known`, already reported),
 * each with its exit status and last log lines. docker compose's
 * `service_started` looks only at the start; a CI job needs its services for all
 * of its steps, and a step run against a service that is gone fails in a way that
 * names the wrong culprit (a refused connection), so the job names the service.
 */
function exitedReplicas(store: Store, replicas: readonly Replica[], known: readonly ServiceExit[]): ServiceExit[] {
  return replicas.flatMap(({ service, record }) => {
    const current = findContainer(store, record.id);
    if (known.some((exit) => exit.container === current.name)) return [];
    const state = containerState(store, current);
    if (state.status === 'running') return [];
    return [{ service, container: current.name, exitCode: state.exitCode ?? -1, lastLogLines: lastLogLines(store, current) }];
  });
}

/** One line for a replica that exited: the service, its container, its exit status and its last log lines. */
function describeExit(exit: ServiceExit, when: string): string {
  return `service ${exit.service} exited ${when} (container ${exit.container}, exit status ${exit.exitCode}); its last log lines: ${exit.lastLogLines}`;
}

/**
 * Ends a step: SIGTERM to burrow-init outside the container, which passes it to
 * the step's process group; after the grace, SIGKILL to that group directly (its
 * leader is burrow-init's only child: /proc/PID/task/PID/children). The step
 * runs in a user namespace of the caller's, so the caller may signal any of it.
 */
function stopStep(child: ChildProcess): () => void {
  try {
    child.kill('SIGTERM');
  } catch {
    // Gone already.
  }
  const timer = setTimeout(() => {
    const pid = child.pid;
    if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const leaders = (readProc(`/proc/${pid}/task/${pid}/children`) ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
    for (const leader of leaders) {
      try {
        process.kill(-leader, 'SIGKILL');
      } catch {
        try { process.kill(leader, 'SIGKILL'); } catch { /* gone */ }
      }
    }
  }, STOP_GRACE_MS);
  return () => clearTimeout(timer);
}

/** A procfs file's text, or undefined once the process is gone. */
function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function runStep(store: Store, container: string, step: StepDefinition, workspace: string, reporter: Reporter, signal: AbortSignal | undefined): Promise<{ exitCode: number; error?: string | undefined }> {
  let timedOut = false;
  let cancelStop: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const forward = (stream: 'stdout' | 'stderr') => (chunk: Buffer): void => reporter.event({ kind: 'output', stream, text: chunk.toString(), phase: 'step', name: step.name });
  try {
    const exitCode = await execInContainer(store, container, {
      command: step.argv,
      env: step.env,
      workdir: step.workingDirectory ?? workspace,
      interactive: false,
      tty: false,
      output: 'pipe',
      onSpawn: (child) => {
        child.stdout?.on('data', forward('stdout'));
        child.stderr?.on('data', forward('stderr'));
        if (step.timeoutMs !== undefined) {
          timer = setTimeout(() => {
            timedOut = true;
            cancelStop = stopStep(child);
          }, step.timeoutMs);
        }
        onAbort = (): void => { cancelStop ??= stopStep(child); };
        if (signal?.aborted === true) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      },
    });
    if (timedOut) return { exitCode: TIMEOUT_EXIT, error: `timed out after ${formatSeconds(step.timeoutMs!)}` };
    return { exitCode };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    cancelStop?.();
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * Runs the job. Resolves with the steps' results (exitCode: the first failed
 * step's, continue-on-error steps not counted); throws a BurrowError when the
 * job could not run (an image, a service that never got healthy, interrupted),
 * after everything it made is gone.
 */
export async function runJob(store: Store, job: JobDefinition, options: RunJobOptions = {}): Promise<JobResult> {
  const started = Date.now();
  const reporter = new Reporter(options.onEvent ?? (() => {}));
  const signal = options.signal;
  const workspace = checkWorkspace(options.workspace ?? job.workspace ?? process.cwd());
  const prefix = `${slug(job.name)}-${randomBytes(4).toString('hex')}`;
  const labels = { ...options.labels, 'burrow.job': prefix };
  const resources: JobResources = { containers: [] };
  const steps: StepResult[] = [];
  let imageDigest = '';
  let outcome: unknown;
  try {
    // Pull: the job's image, then each service's, once each (layers unpacked as they arrive).
    await reporter.phase('pull', job.image, async () => {
      const mapping = idMapping();
      const images = [job.image, ...job.services.map((service) => service.image)];
      for (const image of [...new Set(images)]) {
        interrupted(signal);
        const local = await resolveImage(store, image, signal, (text) => reporter.note(text), mapping);
        if (image === job.image) imageDigest = local.record.sourceDigest;
      }
    });
    interrupted(signal);
    const network = job.network === undefined ? createNetwork(store, prefix, { labels }) : requireNetwork(store, job.network);
    if (job.network === undefined) resources.network = network;

    const replicas: Replica[] = [];
    for (const service of job.services) {
      await reporter.phase('services', service.name, async () => {
        const records = await startService(store, service, prefix, network, resources, { signal, reporter, labels });
        replicas.push(...records.map((record) => ({ service: service.name, record })));
        await waitForService(store, service, records, signal);
      });
    }

    interrupted(signal);
    const jobName = `${prefix}-job`;
    const volumes: MountRequest[] = [...job.volumes, { kind: 'bind', source: workspace, target: workspace, readOnly: false }];
    const record = await createContainer(store, {
      ...baseOptions(signal, reporter, labels),
      claimStart: true,
      image: job.image,
      entrypoint: [],
      command: WAIT_FOREVER,
      // PID 1 reaps what the steps leave behind.
      init: true,
      env: job.env,
      user: job.user,
      name: jobName,
      network: network.name,
      workdir: workspace,
      volumes,
      limits: job.limits,
    });
    resources.containers.push(record.id);
    await startDetached(store, record, { onNote: (text) => reporter.note(text), fresh: true });
    const state = containerState(store, record);
    if (state.status !== 'running') {
      throw new BurrowError('INVALID_ARGUMENT', `the job container exited at once (status ${state.exitCode ?? -1}): its image needs sh and sleep to wait between steps; its last log lines: ${lastLogLines(store, record)}`);
    }

    // A service gone by now (one without a health check that exited a moment after it started) fails the job before any step.
    const gone = exitedReplicas(store, replicas, []);
    if (gone.length > 0) throw new BurrowError('INVALID_ARGUMENT', describeExit(gone[0]!, 'before the steps started'));

    let failed = false;
    let exitCode = 0;
    const serviceExits: ServiceExit[] = [];
    /** Services found exited since the last look: said now, and the job fails. */
    const checkServices = (): void => {
      const exited = exitedReplicas(store, replicas, serviceExits);
      for (const exit of exited) reporter.note(`error: ${describeExit(exit, 'during the steps')}`);
      serviceExits.push(...exited);
    };
    for (const step of job.steps) {
      if (!failed && serviceExits.length === 0) checkServices();
      if (failed || serviceExits.length > 0 || signal?.aborted === true) {
        steps.push({ name: step.name, exitCode: 0, durationMs: 0, outcome: 'skipped' });
        continue;
      }
      const stepStarted = Date.now();
      reporter.event({ kind: 'phase-start', phase: 'step', name: step.name });
      const result = await runStep(store, record.id, step, workspace, reporter, signal);
      const durationMs = Date.now() - stepStarted;
      const stepOutcome = result.exitCode === 0 ? 'success' : step.continueOnError ? 'continued' : 'failure';
      steps.push({ name: step.name, exitCode: result.exitCode, durationMs, outcome: stepOutcome, error: result.error });
      reporter.event({ kind: 'phase-end', phase: 'step', name: step.name, durationMs, exitCode: result.exitCode, outcome: stepOutcome, error: result.error });
      if (stepOutcome === 'failure') {
        failed = true;
        exitCode = result.exitCode;
      }
    }
    interrupted(signal);
    // One that died during the last step counts as much as one that died before it.
    if (serviceExits.length === 0) checkServices();
    if (serviceExits.length > 0 && exitCode === 0) exitCode = EXIT_BURROW_ERROR;
    const peaks = readPeaks(readRecord(store, record.id)?.cgroup);
    return { exitCode, durationMs: Date.now() - started, imageDigest, steps, ...(serviceExits.length === 0 ? {} : { serviceExits }), ...(peaks === undefined ? {} : { peaks }) };
  } catch (error) {
    outcome = error;
    throw error;
  } finally {
    await reporter.phase('teardown', 'teardown', async () => {
      const failures = await tearDown(store, resources, (text) => reporter.note(text));
      try {
        await reclaimOwnership(workspace);
      } catch (error) {
        failures.push(`workspace: ${(error as Error).message}`);
      }
      // A failed teardown is said; it does not hide why the job ended.
      if (failures.length > 0) {
        const message = `the job's clean-up failed: ${failures.join('; ')}`;
        if (outcome === undefined) throw new BurrowError('IO', message);
        reporter.note(`warning: ${message}`);
      }
    });
  }
}
