import { lstatSync, realpathSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { BurrowError } from '../errors.js';
import { DEFAULT_HOST_PATH, unshareProgram } from '../util/host-tools.js';
import { start } from '../util/spawn.js';
import { userNamespaceFailure } from './failure.js';
import { idMapping, unshareArgs } from './idmap.js';

/**
 * The workspace stays the runner's. A job that runs as a non-root user of its
 * image (`-u 1000`, or an image whose User is `node`) leaves files in a mounted
 * workspace that belong, on the host, to a subordinate id: the runner user can
 * neither remove them nor empty a directory the job made read-only. Only root of
 * burrow's user namespace can give them back.
 */

/**
 * GNU find, as root of burrow's user namespace (default mapping: 0 inside is the
 * user): every entry owned by another id is given to 0:0, and each such directory made
 * rwx for its owner; each changed entry is printed (NUL-terminated) for the count.
 * Entries the caller owns already (uid 0 inside) are left exactly as they are, their
 * group and mode too: a workspace may hold read-only trees of the runner's own (a Go
 * module cache) and files of the runner's other groups, which are not the job's.
 *
 * No symlink is ever followed out of the tree: find walks without following
 * links (-P, the default), `chown -h` changes a link itself, -xdev stays on the
 * tree's file system (a mount inside it is not the job's), and -execdir runs each
 * command from the entry's own directory with `./NAME`, never through a path
 * re-resolved from the top, so a directory swapped for a link between the walk
 * and the command cannot redirect it (find's documented answer to that race; the
 * job has ended by now anyway). An entry of an id the namespace does not map
 * (another host user's file) cannot be changed and is left alone.
 */
const FIND_SCRIPT = [
  'find', '-P', 'DIR', '-xdev', '!', '-uid', '0', '(',
  '-printf', '%p\\0',
  ',', '-execdir', 'chown', '-h', '0:0', '--', '{}', '+',
  ',', '-type', 'd', '-execdir', 'chmod', 'u+rwx', '--', '{}', '+',
  ')',
];

/** What chown, chmod or find say about an entry that is not the namespace's to change. */
const NOT_OURS = /(Operation not permitted|Permission denied)$/;

/**
 * Inside burrow's user namespace, as its root, gives every file under `dir` that
 * belongs to a subordinate id back to the caller (uid and gid 0 inside) and makes
 * every directory writable by its owner, so the caller can delete everything.
 * Returns how many entries were changed. `dir` itself is resolved first (a
 * symlink given as `dir` is followed once, as the caller named it); nothing
 * below it is followed.
 */
export async function reclaimOwnership(dir: string, options: { signal?: AbortSignal | undefined } = {}): Promise<{ changed: number }> {
  let root: string;
  try {
    root = realpathSync(dir);
    if (!lstatSync(root).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new BurrowError('INVALID_ARGUMENT', `cannot reclaim ${dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (error as Error).message}`);
  }
  const args = [...unshareArgs(idMapping()), '--', ...FIND_SCRIPT.map((word) => (word === 'DIR' ? root : word))];
  // find refuses -execdir with a relative directory on PATH: a fixed one.
  const { child, finished } = start(unshareProgram(), args, ['ignore', 'pipe', 'pipe'], { env: { PATH: DEFAULT_HOST_PATH }, ownGroup: true });
  const onAbort = (): void => { child.kill('SIGTERM'); };
  options.signal?.addEventListener('abort', onAbort);
  let result;
  try {
    result = await finished;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (options.signal?.aborted === true) throw new BurrowError('INTERRUPTED', `reclaiming ${dir} was interrupted`);
  const complaints = result.stderr.split('\n').filter((line) => line.trim() !== '');
  const refused = complaints.filter((line) => NOT_OURS.test(line));
  const other = complaints.filter((line) => !NOT_OURS.test(line));
  if (result.error !== undefined || other.length > 0 || (result.exitCode !== 0 && refused.length === 0)) {
    const why = userNamespaceFailure(result.stderr) ?? other[0] ?? result.error?.message ?? `exit status ${result.exitCode}`;
    throw new BurrowError('IO', `cannot reclaim ${dir}: ${why}`);
  }
  const matched = result.stdout.split('\0').filter((path) => path !== '').length;
  return { changed: Math.max(0, matched - refused.length) };
}

/**
 * `burrow unshare CMD...` (Podman's `podman unshare`): CMD as root of burrow's user
 * namespace, with the mapping every container of the default mapping has, and
 * the caller's terminal and environment (it is the caller's own command, not a
 * container's). Resolves to CMD's exit status (128+N for a signal).
 */
export async function runInUserNamespace(argv: string[], options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal | undefined } = {}): Promise<number> {
  if (argv.length === 0) throw new BurrowError('INVALID_ARGUMENT', 'burrow unshare needs a command to run');
  const args = [...unshareArgs(idMapping()), '--', ...argv];
  const child = spawn(unshareProgram(), args, { stdio: 'inherit', env: options.env ?? process.env });
  const onAbort = (): void => { child.kill('SIGTERM'); };
  options.signal?.addEventListener('abort', onAbort);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', (error) => reject(new BurrowError('IO', `cannot run unshare: ${error.message}`)));
      child.on('close', (code, signal) => resolve(code ?? (signal === null ? 125 : 128 + (constants.signals[signal] ?? 0))));
    });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
