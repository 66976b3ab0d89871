import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';
import { BurrowError } from '../errors.js';
import { findRecords, loadLocalImage, type LocalImage } from '../image/local.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Store } from '../store/store.js';
import { bwrapArgs } from '../sandbox/bwrap.js';
import { DEFAULT_CAPABILITIES, type MountPlan, type RootfsDriverName, type SetupPlan } from '../sandbox/plan.js';
import { ensureLayers, layersDir } from '../unpack/unpack.js';
import { removeInUserNamespace } from '../unpack/remove.js';
import { idMapping, unshareArgs, type IdMapping } from '../userns/idmap.js';
import { generatedName, newContainerId, VALID_NAME } from './names.js';
import { resolveUser } from './user.js';

export const INIT_BINARY = fileURLToPath(new URL('../native/burrow-init', import.meta.url));
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface RunOptions {
  image: string;
  command: string[];
  entrypoint?: string[] | undefined;
  env: string[];
  workdir?: string | undefined;
  user?: string | undefined;
  name?: string | undefined;
  hostname?: string | undefined;
  network: 'none' | 'host';
  volumes: MountPlan[];
  readOnly: boolean;
  init: boolean;
  interactive: boolean;
  tty: boolean;
  remove: boolean;
  capAdd: string[];
  capDrop: string[];
  labels: Record<string, string>;
  storageDriver?: RootfsDriverName | undefined;
  signal?: AbortSignal | undefined;
  onNote?: (note: string) => void;
}

export interface ContainerRecord {
  id: string;
  name: string;
  image: { id: string; name: string };
  created: string;
  state: 'created' | 'running' | 'exited';
  exitCode?: number;
  labels: Record<string, string>;
  plan: SetupPlan;
}

export function containerDir(store: Store, id: string): string {
  return join(store.paths.containers, id);
}

function containerNames(store: Store): Set<string> {
  const names = new Set<string>();
  if (!existsSync(store.paths.containers)) return names;
  for (const id of readdirSync(store.paths.containers)) {
    try {
      names.add((JSON.parse(readFileSync(join(store.paths.containers, id, 'container.json'), 'utf8')) as ContainerRecord).name);
    } catch {
      // Being created or removed.
    }
  }
  return names;
}

function normalizeCap(cap: string): string {
  const upper = cap.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

function capabilities(add: string[], drop: string[]): string[] {
  const set = new Set(DEFAULT_CAPABILITIES);
  for (const cap of drop.map(normalizeCap)) {
    if (cap === 'CAP_ALL') set.clear();
    else set.delete(cap);
  }
  for (const cap of add.map(normalizeCap)) {
    if (cap === 'CAP_ALL') throw new BurrowError('INVALID_ARGUMENT', '--cap-add ALL is not supported: name the capabilities');
    set.add(cap);
  }
  return [...set];
}

function mergeEnv(imageEnv: string[], extra: string[], defaults: Record<string, string>): string[] {
  const env = new Map<string, string>();
  for (const [key, value] of Object.entries(defaults)) env.set(key, value);
  for (const entry of [...imageEnv, ...extra]) {
    const at = entry.indexOf('=');
    if (at < 0) {
      // `-e NAME` passes the caller's value, as Docker does.
      const value = process.env[entry];
      if (value !== undefined) env.set(entry, value);
      continue;
    }
    env.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return [...env].map(([key, value]) => `${key}=${value}`);
}

/** Writes /etc/hosts, /etc/hostname and /etc/resolv.conf for the container. */
function writeNetworkFiles(dir: string, hostname: string, network: 'none' | 'host'): Array<{ source: string; target: string }> {
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`);
  const hostnameFile = join(dir, 'hostname');
  writeFileSync(hostnameFile, `${hostname}\n`);
  const resolv = join(dir, 'resolv.conf');
  let resolvConf = '';
  try {
    resolvConf = network === 'host' ? readFileSync('/etc/resolv.conf', 'utf8') : '';
  } catch {
    resolvConf = '';
  }
  writeFileSync(resolv, resolvConf);
  return [
    { source: hosts, target: '/etc/hosts' },
    { source: hostnameFile, target: '/etc/hostname' },
    { source: resolv, target: '/etc/resolv.conf' },
  ];
}

export async function resolveImage(store: Store, reference: string, signal: AbortSignal | undefined, onNote: (note: string) => void): Promise<LocalImage> {
  const found = findRecords(store, reference)[0];
  if (found !== undefined) return loadLocalImage(store, found);
  onNote(`Unable to find image '${reference}' locally`);
  const { pullImage } = await import('../copy/pull.js');
  const { loadConfig } = await import('../config/config.js');
  const pulled = await pullImage(reference, { store, config: loadConfig(), signal });
  return loadLocalImage(store, findRecords(store, pulled.name)[0]!);
}

/**
 * The mount step in the container's user and mount namespaces, then bubblewrap.
 * Lower directories are given relative to the layers directory so the option
 * string stays under the kernel's page-size limit for long layer stacks.
 * `auto` tries the kernel's overlayfs and falls back to fuse-overlayfs. A failure
 * here is reported on fd 3, so it is never mistaken for the job's exit status.
 * fuse-overlayfs is a process in the container's mount namespace: it would keep
 * that namespace alive, so it is unmounted once bwrap returns.
 */
const LAUNCH_SCRIPT = `driver="$1"; layers="$2"; lowers="$3"; upper="$4"; work="$5"; merged="$6"; shift 6
fail() { printf '{"burrow-error":"%s"}\\n' "$1" >&3; exit 125; }
cd "$layers" || fail "cannot enter $layers"
kernel() { mount -n -t overlay overlay -o "lowerdir=$lowers,upperdir=$upper,workdir=$work,userxattr" "$merged" 2>/dev/null; }
fuse() { command -v fuse-overlayfs >/dev/null 2>&1 && fuse-overlayfs -o "lowerdir=$lowers,upperdir=$upper,workdir=$work" "$merged" </dev/null >/dev/null 2>&1; }
case "$driver" in
  overlay) kernel || fail "the kernel refused an overlay mount in a user namespace (try --storage-driver fuse-overlayfs)" ;;
  fuse-overlayfs) fuse || fail "fuse-overlayfs failed: install it (apt-get install fuse-overlayfs) and make /dev/fuse usable (mode 0666)" ;;
  auto) if kernel; then driver=overlay; elif fuse; then driver=fuse-overlayfs; else fail "no-overlay"; fi ;;
  copy) ;;
esac
printf '{"burrow-driver":"%s"}\\n' "$driver" >&3
if [ "$driver" = fuse-overlayfs ]; then
  bwrap "$@"; status=$?
  umount -n "$merged" 2>/dev/null || fusermount3 -u "$merged" 2>/dev/null || fusermount -u "$merged"
  exit $status
fi
exec bwrap "$@"
`;

export interface RunResult {
  id: string;
  name: string;
  exitCode: number;
}

export async function runContainer(store: Store, options: RunOptions): Promise<RunResult> {
  const note = options.onNote ?? (() => {});
  if (options.name !== undefined && !VALID_NAME.test(options.name)) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid container name "${options.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  const image = await resolveImage(store, options.image, options.signal, note);
  const mapping = idMapping();
  if (mapping.single) note(`mapping only your own uid into the container: ${mapping.reason}`);
  const lowers = await ensureLayers(store, image, mapping, note);

  const names = containerNames(store);
  if (options.name !== undefined && names.has(options.name)) {
    throw new BurrowError('INVALID_ARGUMENT', `the container name "${options.name}" is already in use: remove that container or choose another name`);
  }
  const config = image.config.config ?? {};
  const user = resolveUser(options.user ?? (config.User || undefined), lowers);
  const entrypoint = options.entrypoint ?? config.Entrypoint ?? [];
  const command = options.command.length > 0 ? options.command : options.entrypoint !== undefined ? [] : (config.Cmd ?? []);
  const args = [...entrypoint, ...command];
  if (args.length === 0) throw new BurrowError('INVALID_ARGUMENT', `no command specified: ${image.record.name} has no Cmd or Entrypoint; give one after the image name`);
  const workdir = options.workdir ?? (config.WorkingDir || '/');
  if (!isAbsolute(workdir)) throw new BurrowError('INVALID_ARGUMENT', `the working directory "${workdir}" is invalid: it needs to be an absolute path`);
  for (const volume of options.volumes) {
    if (volume.kind === 'bind' && !existsSync(volume.source)) {
      throw new BurrowError('INVALID_ARGUMENT', `invalid mount: bind source path does not exist: ${volume.source}`);
    }
  }

  // Everything checked: only now does the container get a directory.
  const id = newContainerId();
  const name = options.name ?? generatedName((candidate) => names.has(candidate));
  const hostname = options.hostname ?? id.slice(0, 12);
  const dir = containerDir(store, id);
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const merged = join(dir, 'merged');
  for (const path of [upper, work, merged]) mkdirSync(path, { recursive: true, mode: 0o755 });

  const plan: SetupPlan = {
    rootfs: { driver: options.storageDriver ?? 'auto', lowers, upper, work, merged, readOnly: options.readOnly },
    hostname,
    network: options.network,
    files: writeNetworkFiles(dir, hostname, options.network),
    mounts: options.volumes,
    capabilities: capabilities(options.capAdd, options.capDrop),
    process: {
      args,
      env: mergeEnv(config.Env ?? [], options.env, { PATH: DEFAULT_PATH, HOSTNAME: hostname, HOME: user.home, ...(options.tty ? { TERM: 'xterm' } : {}) }),
      cwd: workdir,
      uid: user.uid,
      gid: user.gid,
      groups: user.groups,
      init: options.init,
      stdin: options.interactive,
      tty: options.tty,
    },
  };
  const record: ContainerRecord = { id, name, image: { id: image.id, name: image.record.name }, created: new Date().toISOString(), state: 'running', labels: options.labels, plan };
  writeFileAtomic(join(dir, 'container.json'), JSON.stringify(record, null, 2));

  let exitCode = 125;
  try {
    if (plan.rootfs.driver === 'copy') await flatten(plan, mapping);
    try {
      exitCode = await launch(plan, mapping, layersDir(store), options.signal);
    } catch (error) {
      if (!(error instanceof BurrowError && error.code === 'NO_DRIVER')) throw error;
      // Neither overlay can be mounted here: the copy driver, once, with a word why.
      note('neither the kernel\'s overlayfs nor fuse-overlayfs can mount here (install fuse-overlayfs; make /dev/fuse mode 0666): copying the layers instead, which is slower');
      plan.rootfs.driver = 'copy';
      await flatten(plan, mapping);
      exitCode = await launch(plan, mapping, layersDir(store), options.signal);
    }
  } finally {
    if (options.remove) await removeInUserNamespace(dir, mapping);
    else writeFileAtomic(join(dir, 'container.json'), JSON.stringify({ ...record, state: 'exited', exitCode }, null, 2));
  }
  return { id, name, exitCode };
}

const FLATTEN = fileURLToPath(new URL('../unpack/flatten.js', import.meta.url));

/** The copy driver: the layers copied into the container's own directory. */
async function flatten(plan: SetupPlan, mapping: IdMapping): Promise<void> {
  const result = await execa('unshare', [...unshareArgs(mapping), '--', process.execPath, FLATTEN, plan.rootfs.merged, ...plan.rootfs.lowers], { reject: false });
  if (result.exitCode !== 0) throw new BurrowError('IO', `cannot copy the image's layers (copy driver): ${String(result.stderr).trim()}`);
}

async function launch(plan: SetupPlan, mapping: IdMapping, layers: string, signal: AbortSignal | undefined): Promise<number> {
  const relativeLowers = plan.rootfs.lowers.map((path) => path.slice(layers.length + 1)).reverse().join(':');
  const pty = plan.process.tty ? (await import('./tty.js')).openPty() : undefined;
  const stdio = (pty === undefined ? [plan.process.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit', 'pipe'] : [pty.slave, pty.slave, pty.slave, 'pipe']) as unknown as Options['stdio'];
  const child = execa('unshare', [
    ...unshareArgs(mapping), '--', '/bin/sh', '-c', LAUNCH_SCRIPT, 'burrow-launch',
    plan.rootfs.driver, layers, relativeLowers, plan.rootfs.upper, plan.rootfs.work, plan.rootfs.merged,
    ...bwrapArgs(plan, INIT_BINARY, 3),
  ], {
    stdio,
    reject: false,
    buffer: false,
  });
  pty?.closeSlave();
  const detach = pty?.attach(process.stdin, process.stdout, plan.process.stdin);
  // bwrap reports the sandbox's PID 1 on fd 3; signals go straight to it.
  let sandboxPid: number | undefined;
  let info = '';
  const pipe = child.stdio[3] as NodeJS.ReadableStream | null;
  pipe?.on('data', (chunk: Buffer) => {
    info += chunk.toString();
    const match = /"child-pid":\s*(\d+)/.exec(info);
    if (match !== null) sandboxPid = Number(match[1]);
  });
  const launchFailure = (): BurrowError | undefined => {
    const error = /"burrow-error":"([^"]*)"/.exec(info);
    if (error?.[1] === 'no-overlay') return new BurrowError('NO_DRIVER', 'no overlay driver can mount here');
    if (error !== null) return new BurrowError('IO', `cannot set up the container: ${error[1]}`);
    // bwrap stops before starting the job (its own message is already on stderr).
    if (sandboxPid === undefined) return new BurrowError('IO', 'cannot set up the container: bubblewrap failed before starting the job (see its message above)');
    return undefined;
  };
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
    const result = await child;
    // Let the last output of the job leave the terminal before letting go of it.
    if (detach !== undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    const failure = launchFailure();
    if (failure !== undefined) throw failure;
    if (result.exitCode !== undefined && result.exitCode !== null) return result.exitCode;
    if (result.signal !== undefined) return 128 + (constants.signals[result.signal as NodeJS.Signals] ?? 0);
    return 125;
  } finally {
    detach?.();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    signal?.removeEventListener('abort', onAbort);
  }
}

