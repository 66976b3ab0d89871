import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, chmodSync, lstatSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BurrowError, isBurrowError, type ErrorCode } from '../errors.js';
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
 * A host path made absolute as Docker's CLI makes it (`resolveLocalPath`): a
 * trailing `/.` (the directory's contents, not the directory) or `/` (it must be
 * a directory) is kept, which `resolve` alone would drop.
 */
export function hostPath(text: string, cwd = process.cwd()): string {
  const absolute = resolve(cwd, text);
  if ((text === '.' || text.endsWith('/.')) && !absolute.endsWith('/.')) return `${absolute.replace(/\/$/, '')}/.`;
  if (text.endsWith('/') && !absolute.endsWith('/')) return `${absolute}/`;
  return absolute;
}

/**
 * Docker's check of a host destination before a copy out (docker/cli
 * `ValidateOutputPath`): its directory must exist, and an existing destination
 * must be a directory or a regular file. `cp CTR:/f /dev/stdout` is refused, never
 * written to the device: `-` is the one way to standard output.
 */
export function checkOutputPath(path: string): void {
  const parent = posix.dirname(posix.normalize(path));
  if (statSync(parent, { throwIfNoEntry: false }) === undefined) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid output path: directory "${parent}" does not exist`);
  }
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat !== undefined && !stat.isDirectory() && !stat.isFile()) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid output path: "${path}" must be a directory or a regular file (use - for a tar archive on standard output)`);
  }
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
async function workerCommand(store: Store, record: ContainerRecord, args: string[], imageOnly = false): Promise<string[]> {
  const state = containerState(store, record);
  const pid = state.status === 'running' ? state.sandbox?.pid : undefined;
  // Not running: a path in a volume or bind mount is copied there (as Docker does), in a user
  // namespace of the container's mapping with the mount's source as the worker's root.
  // (`imageOnly`, a volume's copy-up: the root file system's own files, under the mounts.)
  const mount = pid === undefined && !imageOnly ? mountHolding(record, args[1]!) : undefined;
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
  /**
   * -a, as docker does it (moby `applyTarCopyUserOptions`): what is copied in
   * belongs to the container's user when it has one (--user, the image's USER,
   * keep-id's); without -a, or without a user, it keeps the uid and gid it has
   * (a host file's numeric owner, a tar entry's ids).
   */
  archive?: boolean | undefined;
  /** -L: a symlink as the source's last component is followed (the copy takes the link's name). */
  followLink?: boolean | undefined;
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
  const host = hostPath(out ? target.path : source.path);
  if (out) checkOutputPath(host);
  const args = out ? ['out', source.path, host, record.name] : ['in', target.path, host, record.name];
  await runWorker(store, record, args, options, `burrow cp ${sourceText} ${targetText}`, options.followLink === true ? ['follow-link'] : []);
}

/** A tar entry's path as the path under the directory it is unpacked into (node-tar drops a leading `/`, `./`). */
export function archiveKey(path: string): string {
  return posix.normalize(`/${path}`).slice(1).replace(/\/$/, '');
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

/**
 * The decompressors docker's daemon runs on `cp -`'s stream (go-archive
 * `DecompressStream`) that node-tar lacks, by their magic bytes; gzip (and what
 * else node-tar knows) is left to node-tar. Run on the host, as this user, before
 * anything reaches the container: the container's own programs are never run.
 */
const DECOMPRESSORS: ReadonlyArray<{ magic: Buffer; program: string }> = [
  { magic: Buffer.from('BZh'), program: 'bzip2' },
  { magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), program: 'xz' },
  { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), program: 'zstd' },
];

/** `input` as a plain or gzip'd tar for node-tar, and the end of the decompressor if one was needed. */
async function decompressed(input: NodeJS.ReadableStream): Promise<{ stream: NodeJS.ReadableStream; finished: Promise<void> }> {
  const chunks = (input as Readable)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  while (length < 6) {
    const next = await chunks.next();
    if (next.done === true) break;
    const chunk = Buffer.from(next.value as Buffer);
    head.push(chunk);
    length += chunk.length;
  }
  const first = Buffer.concat(head);
  const whole = Readable.from((async function* rest(): AsyncGenerator<Buffer> {
    yield first;
    for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) yield Buffer.from(next.value as Buffer);
  })());
  const found = DECOMPRESSORS.find(({ magic }) => first.subarray(0, magic.length).equals(magic));
  if (found === undefined) return { stream: whole, finished: Promise.resolve() };
  const child = spawn(found.program, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'], env: hostEnv() });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const fed = pipeline(whole, child.stdin).catch(() => undefined);
  const finished = new Promise<void>((done, fail) => {
    child.on('error', (error: NodeJS.ErrnoException) => fail(new BurrowError('INVALID_ARGUMENT', error.code === 'ENOENT'
      ? `cp -: standard input is ${found.program}-compressed and ${notInstalled(found.program)}`
      : `cp -: cannot start ${found.program}: ${error.message}`)));
    child.on('close', (code, signal) => {
      // SIGPIPE, a broken pipe: node-tar stopped reading (its own error says why), not a fault of the stream.
      const stopped = signal === 'SIGPIPE' || /broken pipe/i.test(stderr);
      void fed.then(() => (code === 0 || stopped ? done() : fail(new BurrowError('INVALID_ARGUMENT', `cp -: standard input is not a ${found.program}-compressed archive burrow can read: ${stderr.trim().split('\n')[0] || `${found.program} exited ${code}`}`))));
    });
  });
  return { stream: child.stdout, finished };
}

async function copyArchiveIn(store: Store, container: string, path: string, options: CopyOptions): Promise<void> {
  if (options.input === undefined) throw new BurrowError('INVALID_ARGUMENT', 'cp - CONTAINER:DIR reads a tar archive from standard input: none was given');
  const record = findContainer(store, container);
  const { x: extract } = loadTar();
  const place = scratch();
  try {
    const tree = join(place.dir, 'tree');
    mkdirSync(tree);
    // Unpacked as this user (node-tar keeps every entry inside `tree`); the entries' own ids,
    // which Docker keeps, go to the worker beside it, which gives them inside the container.
    const owners: Record<string, [number, number]> = {};
    const entryOwner = (entry: { path: string; uid?: number | undefined; gid?: number | undefined }): void => {
      const key = archiveKey(entry.path);
      if (key !== '' && entry.uid !== undefined && entry.gid !== undefined) owners[key] = [entry.uid, entry.gid];
    };
    const { stream, finished } = await decompressed(options.input);
    try {
      await pipeline(stream, extract({ cwd: tree, strict: true, preserveOwner: false, onReadEntry: entryOwner }));
    } catch (error) {
      // The decompressor's own failure (a corrupt stream, a missing program) says more than the tar's end.
      await finished;
      throw new BurrowError('INVALID_ARGUMENT', `cp -: standard input is not a tar archive burrow can read: ${(error as Error).message}`);
    }
    await finished;
    const manifest = join(place.dir, 'owners.json');
    writeFileSync(manifest, JSON.stringify({ root: tree, owners }));
    for (const name of readdirSync(tree)) {
      await runWorker(store, record, ['in', path, join(tree, name), record.name], options, `burrow cp - ${container}:${path}`, ['into-directory', `owners:${encodeURIComponent(manifest)}`]);
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

/**
 * The ids what is copied in gets (cp-worker.ts): `user:UID:GID` under -a in a
 * container with a user, else `keep:UID:GID`, the caller's host ids, which the
 * worker (root of the container's namespace, where the caller's own files show
 * as 0:0) gives back to the caller's files.
 */
function ownership(record: ContainerRecord, archive: boolean): string {
  const { uid, gid } = record.plan.process;
  // Docker's "the container has a user": --user given, or a user other than root from the image's USER or keep-id.
  const hasUser = record.command?.user !== undefined || uid !== 0 || gid !== 0;
  return archive && hasUser ? `user:${uid}:${gid}` : `keep:${process.getuid!()}:${process.getgid!()}`;
}

/**
 * Docker's copy-up: an empty volume about to be mounted on `target` (a directory of the
 * image's) gets the files there, with their owners and modes, and the directory's own
 * owner and mode; run by `create` for a container not started yet. Nothing to do when
 * the image has no directory there.
 */
export async function copyUp(store: Store, record: ContainerRecord, target: string, volumeDir: string, signal?: AbortSignal): Promise<void> {
  // Beside the volume's _data, in burrow's own directory of the volume: no container mounts it (cp-worker.ts: copyUpInto).
  const staging = mkdtempSync(join(dirname(volumeDir), '.copy-up-'));
  try {
    await runWorker(store, record, ['out', `${target.replace(/\/+$/, '')}/.`, staging, record.name], { signal }, `the copy of ${target} into its volume`, ['preserve', `into:${encodeURIComponent(volumeDir)}`], true);
  } catch (error) {
    // No such path in the image, or not a directory there: an empty volume, as Docker leaves it.
    if (isBurrowError(error, 'NOT_FOUND') || (isBurrowError(error, 'INVALID_ARGUMENT') && /not a directory/.test(error.message))) return;
    throw error;
  } finally {
    // The worker removes it whatever happens; left only when the worker never ran (empty, ours) or was killed (then `volume rm` takes it).
    try {
      rmSync(staging, { recursive: true, force: true });
    } catch {
      // Files of mapped ids from a killed worker: removed with the volume.
    }
  }
}

/** The worker with `args` (in|out, container path, host path, name) and its flags (cp-worker.ts: into-directory, owners, follow-link, preserve). */
async function runWorker(store: Store, record: ContainerRecord, args: string[], options: CopyOptions, what: string, flags: string[] = [], imageOnly = false): Promise<void> {
  const all = [...flags, ...(args[0] === 'in' ? [ownership(record, options.archive === true)] : [])];
  // Under keep-id the worker is the namespace's root, not the caller: what it copies out goes to
  // the kept ids, which are the caller's on the host (cp-worker.ts).
  if (args[0] === 'out' && record.userns !== undefined && !flags.includes('preserve')) all.push(`owner:${record.userns.uid}:${record.userns.gid}`);
  const [command, ...rest] = await workerCommand(store, record, [...args, all.length === 0 ? '-' : all.join(',')], imageOnly);
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
