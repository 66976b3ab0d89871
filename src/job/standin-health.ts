/**
 * STAND-IN, to be deleted at merge: the parts of the "Health checks" contract
 * (/work/notes/i12-interfaces.md, src/container/health.ts, built by the health
 * helper) that the job runner uses: `waitHealthy(store, query, { timeoutMs,
 * signal })`, and the container's configured check (after the merge:
 * `record.plan.healthcheck`, filled by create from `CreateOptions.healthcheck`
 * over the image's `Healthcheck`). Until then nothing runs checks for a detached
 * container, so this waits by running them itself, with Docker's rules: the
 * first check one interval after the start, failures during the start period
 * do not count, one success is healthy, `retries` failures in a row unhealthy.
 * A check is an exec in the container (its output captured), ended at its
 * timeout. The image's own Healthcheck is not read here (the real create does).
 */
import type { ChildProcess } from 'node:child_process';
import { BurrowError } from '../errors.js';
import { execInContainer } from '../container/exec.js';
import { findContainer, type ContainerRecord } from '../container/record.js';
import { containerState } from '../container/state.js';
import type { Store } from '../store/store.js';
import { sleep } from '../util/sleep.js';
import { HEALTH_DEFAULTS } from './load.js';
import type { JobHealthCheck } from './types.js';

const configured = new Map<string, JobHealthCheck>();

/** What `CreateOptions.healthcheck` will carry into the record; kept here by container name until then. */
export function rememberHealthCheck(name: string, check: Partial<JobHealthCheck> | 'none' | undefined): void {
  if (check === undefined || check === 'none' || check.test === undefined || check.test[0] === 'NONE') return;
  configured.set(name, { ...HEALTH_DEFAULTS, ...check, test: check.test });
}

/** The container's health check (after the merge: `record.plan.healthcheck`). */
export function configuredHealthCheck(record: ContainerRecord): JobHealthCheck | undefined {
  return configured.get(record.name);
}

interface CheckRun { exitCode: number; output: string }

async function runCheck(store: Store, name: string, check: JobHealthCheck): Promise<CheckRun> {
  const command = check.test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', check.test[1]!] : check.test.slice(1);
  let child: ChildProcess | undefined;
  let output = '';
  const timer = setTimeout(() => child?.kill('SIGKILL'), check.timeoutMs);
  try {
    const exitCode = await execInContainer(store, name, {
      command, env: [], interactive: false, tty: false, output: 'pipe',
      onSpawn: (spawned) => {
        child = spawned;
        for (const stream of [spawned.stdout, spawned.stderr]) stream?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4096); });
      },
    });
    return { exitCode, output };
  } catch (error) {
    return { exitCode: -1, output: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once the container is healthy; a one-line BurrowError when it turns unhealthy, exits or the time runs out. */
export async function waitHealthy(store: Store, query: string, options: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<void> {
  const record = findContainer(store, query);
  const check = configuredHealthCheck(record);
  if (check === undefined) return;
  const started = Date.now();
  let streak = 0;
  let last: CheckRun | undefined;
  for (;;) {
    await sleep(check.intervalMs, options.signal);
    if (options.signal?.aborted === true) throw new BurrowError('INTERRUPTED', 'interrupted');
    const state = containerState(store, record);
    if (state.status !== 'running') throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} exited (status ${state.exitCode ?? -1}) before it was healthy`);
    last = await runCheck(store, record.name, check);
    if (last.exitCode === 0) return;
    if (Date.now() - started >= check.startPeriodMs) streak++;
    if (streak >= Math.max(1, check.retries)) {
      throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is unhealthy: its health check failed ${streak} times in a row (last exit status ${last.exitCode}${last.output.trim() === '' ? '' : `: ${last.output.trim().split('\n').pop()}`})`);
    }
    if (Date.now() - started > options.timeoutMs) throw new BurrowError('TIMEOUT', `container ${record.name} was not healthy after ${Math.round(options.timeoutMs / 1000)} s`);
  }
}
