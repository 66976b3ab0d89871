import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, chmodSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { createRequire } from 'node:module';
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

/**
 * The bind mount (a volume, a `-v` host path) that holds `path` in the container,
 * the innermost one, and the path inside it: for a container that is not running,
 * whose mounts exist only in the plan.
 */
function mountHolding(record: ContainerRecord, path: string): { source: string; rest: string; readOnly: boolean } | undefined {
  const clean = posix.normalize(`/${path}`);
  let best: { source: string; rest: string; readOnly: boolean; depth: number } | undefined;
  for (const mount of record.plan.mounts) {
    if (mount.kind !== 'bind' || mount.device === true) continue;
    const target = posix.normalize(mount.target).replace(/(.)\/$/, '$1');
    if (clean !== target && !clean.startsWith(`${target}/`)) continue;
    if (best === undefined || target.length > best.depth) best = { source: mount.source, rest: clean.slice(target.length) || '/', readOnly: mount.readOnly, depth: target.length };
  }
  return best === undefined ? undefined : { source: best.source, rest: best.rest, readOnly: best.readOnly };
}

/** The command that runs the worker (its arguments after ROOT) where it can reach the container's root. */
async function workerCommand(store: Store, record: ContainerRecord, args: string[]): Promise<string[]> {
  const state = containerState(store, record);
  const pid = state.status === 'running' ? state.sandbox?.pid : undefined;
  // Not running: a path in a volume or bind mount is copied there (as Docker does), in a user
  // namespace of the container's mapping with the mount's source as the worker's root.
  const mount = pid === undefined ? mountHolding(record, args[1]!) : undefined;
  if (mount !== undefined) {
    if (mount.readOnly && args[0] === 'in') throw new BurrowError('INVALID_ARGUMENT', `cannot copy into ${record.name}:${args[1]}: it is a read-only mount`);
    return [unshareProgram(), ...unshareArgs(containerIdMapping(record.userns)), '--', process.execPath, WORKER, mount.source, args[0]!, mount.rest, ...args.slice(2)];
  }
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

export interface CopyOptions {
  signal?: AbortSignal | undefined;
  /** -a: files copied in keep their owner's uid and gid (as numbers inside the container); else they belong to the container's root. */
  archive?: boolean | undefined;
  /** `cp - CONTAINER:DIR`: the tar archive to unpack into DIR. */
  input?: NodeJS.ReadableStream | undefined;
  /** `cp CONTAINER:PATH -`: where the tar archive of PATH goes. */
  output?: NodeJS.WritableStream | undefined;
}

/**
 * `burrow cp SOURCE TARGET`, one of them CONTAINER:PATH; `-` as the host side is a
 * tar archive on `options.input` or `options.output`, as Docker's. The archive
 * passes through a private directory of this user (unpacked by node-tar, which
 * keeps every entry inside it), so the copy into or out of the container is the
 * same confined worker as for a host path.
 */
export async function copy(store: Store, sourceText: string, targetText: string, options: CopyOptions = {}): Promise<void> {
  const source = parseCpPath(sourceText);
  const target = parseCpPath(targetText);
  if ((source.container === undefined) === (target.container === undefined)) {
    throw new BurrowError('INVALID_ARGUMENT', 'burrow cp copies between a container and the host: give exactly one CONTAINER:PATH');
  }
  if (source.container === undefined && source.path === '-') return copyArchiveIn(store, target.container!, target.path, options);
  if (target.container === undefined && target.path === '-') return copyArchiveOut(store, source.container!, source.path, options);
  const out = source.container !== undefined;
  const record = findContainer(store, (source.container ?? target.container)!);
  // Host paths as this process sees them: the worker's working directory is the container's root.
  const args = out ? ['out', source.path, resolve(target.path), record.name] : ['in', target.path, resolve(source.path), record.name];
  await runWorker(store, record, args, options, `burrow cp ${sourceText} ${targetText}`);
}

/** node-tar, loaded only by the archive forms (the CLI's bundle keeps packages outside it: createRequire). */
const loadTar = (): typeof import('tar') => createRequire(import.meta.url)('tar') as typeof import('tar');

/** A private scratch directory for an archive's files, and its removal (read-only directories opened first). */
function scratch(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'burrow-cp-'));
  const open = (path: string): void => {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory() !== true) return;
    chmodSync(path, 0o700);
    for (const name of readdirSync(path)) open(join(path, name));
  };
  return { dir, remove: () => { try { open(dir); } catch { /* removed below as far as it can be */ } rmSync(dir, { recursive: true, force: true }); } };
}

async function copyArchiveIn(store: Store, container: string, path: string, options: CopyOptions): Promise<void> {
  if (options.input === undefined) throw new BurrowError('INVALID_ARGUMENT', 'cp - CONTAINER:DIR reads a tar archive from standard input: none was given');
  const record = findContainer(store, container);
  const { x: extract } = loadTar();
  const place = scratch();
  try {
    try {
      await pipeline(options.input, extract({ cwd: place.dir, strict: true, preserveOwner: false }));
    } catch (error) {
      throw new BurrowError('INVALID_ARGUMENT', `cp -: standard input is not a tar archive burrow can read: ${(error as Error).message}`);
    }
    for (const name of readdirSync(place.dir)) {
      await runWorker(store, record, ['in', path, join(place.dir, name), record.name], options, `burrow cp - ${container}:${path}`, ['into-directory']);
    }
  } finally {
    place.remove();
  }
}

async function copyArchiveOut(store: Store, container: string, path: string, options: CopyOptions): Promise<void> {
  if (options.output === undefined) throw new BurrowError('INVALID_ARGUMENT', 'cp CONTAINER:PATH - writes a tar archive to standard output: none was given');
  const record = findContainer(store, container);
  const { c: createTar } = loadTar();
  const place = scratch();
  try {
    await runWorker(store, record, ['out', path, place.dir, record.name], options, `burrow cp ${container}:${path} -`);
    // Written, not piped: the caller's stream (burrow's stdout) stays open after the archive.
    for await (const chunk of createTar({ cwd: place.dir, portable: true }, readdirSync(place.dir)) as AsyncIterable<Buffer>) {
      if (!options.output.write(chunk)) await once(options.output, 'drain');
    }
  } finally {
    place.remove();
  }
}

/** The worker with `args` (in|out, container path, host path, name) and its flags (cp-worker.ts: into-directory, archive). */
async function runWorker(store: Store, record: ContainerRecord, args: string[], options: CopyOptions, what: string, flags: string[] = []): Promise<void> {
  // -a: the worker sees the caller's own files as root's (it runs as root of the container's namespace): it is told the caller's ids.
  const all = [...flags, ...(options.archive === true ? [`archive:${process.getuid!()}:${process.getgid!()}`] : [])];
  // Under keep-id the worker is the namespace's root, not the caller: what it copies out goes to
  // the kept ids, which are the caller's on the host (cp-worker.ts).
  if (args[0] === 'out' && record.userns !== undefined) all.push(`owner:${record.userns.uid}:${record.userns.gid}`);
  const [command, ...rest] = await workerCommand(store, record, [...args, all.length === 0 ? '-' : all.join(',')]);
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
    if (options.signal?.aborted === true) throw new BurrowError('INTERRUPTED', `${what} interrupted`);
    if (status !== 0) throw failure(stderr, record);
  } finally {
    options.signal?.removeEventListener('abort', stop);
    child.stdin!.destroy();
  }
}
