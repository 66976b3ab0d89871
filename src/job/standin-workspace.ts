/**
 * STAND-IN, to be deleted at merge: `reclaimOwnership` of the "Workspace
 * ownership" contract (/work/notes/i12-interfaces.md), built by the keep-id
 * helper in src/userns/. Same signature; the runner imports it from here until
 * then. It does the least of what the contract says: inside burrow's user
 * namespace (as root of it) every file under `dir` becomes 0:0 inside (the
 * caller on the host), without following symlinks or leaving the file system
 * (`chown -h`, `find -xdev`), and directories get their owner's rwx back, so the
 * runner can delete what a job left there.
 */
import { runToEnd } from '../util/spawn.js';
import { BurrowError } from '../errors.js';
import { idMapping, unshareArgs } from '../userns/idmap.js';

export async function reclaimOwnership(dir: string, _options: { signal?: AbortSignal } = {}): Promise<{ changed: number }> {
  const mapping = idMapping();
  if (mapping.single) return { changed: 0 };
  const script = 'find "$1" -xdev \\( ! -user 0 -o ! -group 0 \\) -print -exec chown -h 0:0 {} + | wc -l; find "$1" -xdev -type d ! -perm -u=rwx -exec chmod u+rwx {} +';
  const result = await runToEnd('unshare', [...unshareArgs(mapping), '--', 'sh', '-c', script, 'reclaim', dir], { ownGroup: true });
  if (result.exitCode !== 0) throw new BurrowError('IO', `cannot give the files under ${dir} back to you: ${result.stderr.trim().split('\n')[0] ?? 'unshare failed'}`);
  return { changed: Number(result.stdout.trim().split('\n').pop() ?? 0) || 0 };
}
