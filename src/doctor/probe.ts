/**
 * What doctor proves by doing it, the way burrow does it: a user namespace made
 * by the program and with the id mapping a container start uses, and, inside it,
 * a kernel overlayfs mount and a fuse-overlayfs mount (one burrow-userns, one short
 * shell script); bubblewrap's version. Each is a few milliseconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { userNamespaceFailure } from '../userns/failure.js';
import { idMapping, unshareArgs } from '../userns/idmap.js';
import { start, type Finished } from '../util/spawn.js';
import { unshareProgram } from '../util/host-tools.js';

export interface UsernsProbe {
  /** The program that made it (setup's copy of burrow-userns, or the one built with burrow). */
  program: string;
  ok: boolean;
  /** How many ids the namespace maps (1: only the user's own). */
  mapped: number;
  /** Why it could not be made (burrow's own words where it knows the cause, else the program's). */
  error?: string | undefined;
  /** The kernel's overlayfs in it: 'ok', or what mount said. */
  overlay?: string | undefined;
  /** fuse-overlayfs in it: 'ok', 'not installed', or what it said. */
  fuseOverlayfs?: string | undefined;
}

/** `sh -c` body; $1 is a scratch directory of the caller's, removed here from inside (the overlay's work directory is mode 000). */
const PROBE_SCRIPT = `d=$1
echo "map $(wc -l < /proc/self/uid_map)"
mkdir "$d/l" "$d/u" "$d/w" "$d/m" "$d/fu" "$d/fw" "$d/fm" && echo x > "$d/l/f" || { echo "overlay cannot make its directories in $d"; exit 0; }
one() { printf %s "$1" | tr '\\n' ' '; }
if why=$(mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w,userxattr" "$d/m" 2>&1); then echo "overlay ok"; umount "$d/m"; else echo "overlay $(one "$why")"; fi
if command -v fuse-overlayfs >/dev/null 2>&1; then
  if why=$(fuse-overlayfs -o "lowerdir=$d/l,upperdir=$d/fu,workdir=$d/fw" "$d/fm" 2>&1); then
    echo "fuse ok"; umount "$d/fm" 2>/dev/null || fusermount3 -u "$d/fm" 2>/dev/null || fusermount -u "$d/fm" 2>/dev/null
  else echo "fuse $(one "$why")"; fi
else echo "fuse not installed"; fi
rm -rf "$d"/*
`;

/**
 * A program run to its end in a process group of its own, killed as a whole
 * when it exits (util/spawn.ts: nothing it forked may hold the pipes open after
 * it), and killed after `timeoutMs` whatever happens.
 */
async function run(file: string, args: string[], timeoutMs = 10_000): Promise<Finished> {
  const { child, finished } = start(file, args, ['ignore', 'pipe', 'pipe'], { ownGroup: true });
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, timeoutMs);
  try {
    return await finished;
  } finally {
    clearTimeout(timer);
  }
}

/** A scratch directory on the store's file system when the store is there (overlay's answer depends on it), else in the temporary directory. */
function scratch(storeRoot: string | undefined): string {
  if (storeRoot !== undefined) {
    try {
      return mkdtempSync(join(storeRoot, '.doctor-'));
    } catch {
      // No store yet, or not writable: the temporary directory.
    }
  }
  return mkdtempSync(join(tmpdir(), 'burrow-doctor-'));
}

/** A user namespace as a container start makes it, and the two overlays in it. */
export async function probeUserNamespace(storeRoot: string | undefined): Promise<UsernsProbe> {
  const program = unshareProgram();
  const mapping = idMapping();
  let args: string[];
  try {
    args = unshareArgs(mapping);
  } catch (error) {
    return { program, ok: false, mapped: 0, error: (error as Error).message };
  }
  const dir = scratch(storeRoot);
  try {
    const result = await run(program, [...args, '--', '/bin/sh', '-c', PROBE_SCRIPT, 'burrow-doctor', dir]);
    const line = (key: string): string | undefined => new RegExp(`^${key} (.*)$`, 'm').exec(result.stdout)?.[1]?.trim();
    const mapped = Number(line('map'));
    if (result.exitCode !== 0 || !Number.isInteger(mapped)) {
      const error = result.error?.code === 'ENOENT' ? `${program} does not exist (burrow-userns is built with burrow: npm run build, or reinstall burrow)` : userNamespaceFailure(result.stderr)?.replace(/; run 'burrow doctor'$/, '') ?? (result.stderr.trim().split('\n')[0] || `${program} exited with ${result.exitCode ?? result.signal ?? 'no status'}`);
      return { program, ok: false, mapped: 0, error };
    }
    return { program, ok: true, mapped: mapped === 1 ? 1 : 1 + Math.min(mapping.uidRange?.count ?? 0, mapping.gidRange?.count ?? 0), overlay: line('overlay'), fuseOverlayfs: line('fuse') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `bwrap --version`'s answer ("bubblewrap 0.8.0"), or why there is none. */
export async function probeBwrap(): Promise<{ version: string } | { error: string }> {
  const result = await run('bwrap', ['--version']);
  if (result.error?.code === 'ENOENT') return { error: 'bwrap is not installed or not on PATH' };
  const version = result.stdout.trim();
  if (result.exitCode !== 0 || version === '') return { error: `bwrap --version failed: ${result.stderr.trim() || `exit ${result.exitCode ?? result.signal ?? 'no status'}`}` };
  return { version };
}
