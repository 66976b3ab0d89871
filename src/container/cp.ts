import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BurrowError, type ErrorCode } from '../errors.js';
import { holderScript, prepareRootfs, rootfsFailure } from '../rootfs/index.js';
import { rootfsArgs } from '../rootfs/shell.js';
import type { Store } from '../store/store.js';
import { containerIdMapping, unshareArgs } from '../userns/idmap.js';
import { notInstalled, RUN_DOCTOR, unshareProgram } from '../util/host-tools.js';
import { hostEnv } from '../util/spawn.js';
import { rootfsSite } from './launcher.js';
import { findContainer, type ContainerRecord } from './record.js';
import { containerState, waitForSandbox } from './state.js';

/**
 * `burrow cp`: the copy itself is done by `cp-worker.ts` (confined with openat2,
 * streamed), started inside the container's user namespace so that it can read
 * any root file system (a fuse-overlayfs mount answers only processes of its own
 * user namespace) and the files of the container's other users:
 *
 * - a running container: `nsenter --user` into its namespace, the worker opening
 *   /proc/PID/root of its PID 1;
 * - a stopped one: a holder (a fresh user and mount namespace) in which the
 *   container's driver mounts its root, the worker runs there, and the holder
 *   undoes the mount after it (`rootfs/index.ts: holderScript`).
 *
 * The worker's standard input is a pipe from this process: it ends when the copy
 * is done, fails, is interrupted, or burrow is killed, and the worker (then the
 * holder) ends with it, so no helper outlives `burrow cp`.
 */
const WORKER = fileURLToPath(new URL('../container/cp-worker.js', import.meta.url));

export function parseCpPath(text: string): { container?: string; path: string } {
  const colon = text.indexOf(':');
  if (colon > 0 && !text.startsWith('/') && !text.startsWith('.')) return { container: text.slice(0, colon), path: text.slice(colon + 1) || '/' };
  return { path: text };
}

/** The command that runs the worker (its arguments after ROOT) where it can reach the container's root. */
async function workerCommand(store: Store, record: ContainerRecord, args: string[]): Promise<string[]> {
  const state = containerState(store, record);
  const pid = state.status === 'running' ? state.sandbox?.pid : undefined;
  if (pid !== undefined) {
    await waitForSandbox(pid);
    // Under keep-id the user is not root inside: nsenter makes the worker root of the namespace (uid and gid 0).
    const credentials = record.userns === undefined ? ['--preserve-credentials'] : [];
    return ['nsenter', '--target', String(pid), '--user', ...credentials, '--', process.execPath, WORKER, `/proc/${pid}/root`, ...args];
  }
  const mapping = containerIdMapping(record.userns);
  const site = rootfsSite(store, record, mapping);
  await prepareRootfs(site);
  return [unshareProgram(), ...unshareArgs(mapping), '--', '/bin/sh', '-c', holderScript(site.rootfs.driver), 'burrow-cp', ...rootfsArgs(site), process.execPath, WORKER, '.', ...args];
}

/** How a holder's or the worker's failure reads. */
function failure(stderr: string, record: ContainerRecord): BurrowError {
  const holder = rootfsFailure(stderr, record.plan.rootfs.driver, `cannot reach the root of ${record.name}`);
  if (holder !== undefined) return holder;
  const lines = stderr.trim().split('\n');
  for (const line of lines.reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      const { code, message } = JSON.parse(line) as { code: ErrorCode; message: string };
      return new BurrowError(code, message);
    } catch {
      // Not the worker's.
    }
  }
  return new BurrowError('IO', `burrow cp failed: ${lines[0] || 'its helper exited'}`);
}

export async function copy(store: Store, sourceText: string, targetText: string, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  const source = parseCpPath(sourceText);
  const target = parseCpPath(targetText);
  if ((source.container === undefined) === (target.container === undefined)) {
    throw new BurrowError('INVALID_ARGUMENT', 'burrow cp copies between a container and the host: give exactly one CONTAINER:PATH');
  }
  const out = source.container !== undefined;
  const record = findContainer(store, (source.container ?? target.container)!);
  // Host paths as this process sees them: the worker's working directory is the container's root.
  // Under keep-id the worker is the namespace's root, not the caller: what it copies out goes to
  // the kept ids, which are the caller's on the host (cp-worker.ts).
  const owner = record.userns === undefined ? [] : [`${record.userns.uid}:${record.userns.gid}`];
  const args = out ? ['out', source.path, resolve(target.path), record.name, ...owner] : ['in', target.path, resolve(source.path), record.name];
  const [command, ...rest] = await workerCommand(store, record, args);
  const child = spawn(command!, rest, { stdio: ['pipe', 'ignore', 'pipe'], env: hostEnv() });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  // The lifeline: ending it stops the worker (an interrupted copy).
  const stop = (): void => { child.stdin!.destroy(); };
  options.signal?.addEventListener('abort', stop);
  try {
    const status = await new Promise<number | null>((done, fail) => {
      child.on('error', (error: NodeJS.ErrnoException) => fail(new BurrowError('IO', error.code === 'ENOENT' ? `cannot copy: ${notInstalled(command!)}; ${RUN_DOCTOR}` : `cannot start ${command}: ${error.message}`)));
      child.on('close', (code) => done(code));
    });
    if (options.signal?.aborted === true) throw new BurrowError('INTERRUPTED', `burrow cp ${sourceText} ${targetText} interrupted`);
    if (status !== 0) throw failure(stderr, record);
  } finally {
    options.signal?.removeEventListener('abort', stop);
    child.stdin!.destroy();
  }
}
