import { accessSync, constants as fsConstants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { BurrowError, isBurrowError } from '../errors.js';
import { findRecords, loadLocalImage, type LocalImage } from '../image/local.js';
import type { Store } from '../store/store.js';
import { ALL_CAPABILITIES, containerCapabilities } from '../sandbox/capabilities.js';
import type { MountPlan, RootfsDriverName, SetupPlan } from '../sandbox/plan.js';
import { containerSeccompFilter } from '../sandbox/seccomp-filter.js';
import { SECCOMP_FILE } from '../sandbox/handoff.js';
import { DEFAULT_SECURITY, type SecurityOptions } from '../sandbox/security.js';
import { ensureLayers } from '../unpack/unpack.js';
import { callerAccount, containerIdMapping, idMapping, type IdMapping } from '../userns/idmap.js';
import { needsEntry, type KeepId, type KeptUser, type UsernsOption } from '../userns/keep-id.js';
import { trace } from '../util/trace.js';
import { newContainerId, VALID_NAME } from './names.js';
import { containerDir, findContainer, writeNamedRecord, type ContainerRecord, type LogDriver, type RestartPolicy } from './record.js';
import { callerEnv, imageRuntimeConfig } from './image-config.js';
import { mergeEnv } from './environment.js';
import { resolveHealthcheck, type HealthConfig } from './health-config.js';
import { readImageFile, resolveGroups, resolveUser } from './user.js';
import { copyUpVolumes } from './copy-up.js';
import { ANONYMOUS_VOLUME_LABEL, anonymousVolumeName, createVolume, removeAnonymousVolumes, volumeMount, volumesDir } from './volumes.js';
import type { DeviceRequest, Ulimit } from './specs.js';
import { formatPlatform, platformMatches, type Platform } from '../image/platform.js';
import { networkPlan } from '../network/mode.js';
import { NO_NAMES, writeNameFiles } from '../network/files.js';
import { parseAddHost } from '../network/hosts.js';
import type { NameSettings, NetworkPlan, PortMapping } from '../network/types.js';
import { uniqueExposed, type ExposedPort } from '../network/ports.js';
import { asksForLimits, checkLimitMode } from './limits.js';
import { claimStart } from './start-claim.js';
import type { LimitMode, Limits } from '../cgroup/index.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A mount as asked for: a named volume becomes a bind of its directory at create time. */
/** noCopy: `-v NAME:/path:nocopy`, `--mount …,volume-nocopy`: no copy-up into the volume (copy-up.ts). */
export type MountRequest = MountPlan | { kind: 'volume'; name: string; target: string; readOnly: boolean; anonymous?: boolean | undefined; noCopy?: boolean | undefined };

/** The label Docker puts on an anonymous volume (`-v /path`); `volume prune` and `rm -v` go by it. */

/** `--pull`: when `run` and `create` pull the image (Docker's default: missing). */
export type PullPolicy = 'always' | 'missing' | 'never';

export interface CreateOptions {
  image: string;
  /**
   * The caller starts the container at once (`run`): it holds the start claim from
   * before the record exists until its start settles (container/start-claim.ts).
   */
  claimStart?: boolean | undefined;
  command: string[];
  entrypoint?: string[] | undefined;
  env: string[];
  workdir?: string | undefined;
  user?: string | undefined;
  name?: string | undefined;
  hostname?: string | undefined;
  /** --network as given (undefined: the default, a private network). */
  network?: string | undefined;
  /** -p (net-ports parses), -P. */
  ports?: PortMapping[] | undefined;
  publishAll?: boolean | undefined;
  /** --expose: ports -P publishes beside the image's ExposedPorts. */
  expose?: ExposedPort[] | undefined;
  macAddress?: string | undefined;
  /** --network-alias (for a user-defined network). */
  networkAliases?: string[] | undefined;
  /** --add-host, --dns, --dns-search, --dns-option. */
  names?: NameSettings | undefined;
  volumes: MountRequest[];
  /**
   * false: the image's VOLUMEs get no volume (a build's RUN steps, which keep what they write
   * there, as BuildKit's do); default: an anonymous volume each, as `docker run` gives.
   */
  imageVolumes?: boolean | undefined;
  readOnly: boolean;
  init: boolean;
  interactive: boolean;
  tty: boolean;
  remove: boolean;
  restart?: RestartPolicy | undefined;
  logMaxSize?: number | undefined;
  /** json-file files kept by rotation, the current one included (Docker's --log-opt max-file; 2 when not given). */
  logMaxFiles?: number | undefined;
  capAdd: string[];
  capDrop: string[];
  labels: Record<string, string>;
  storageDriver?: RootfsDriverName | undefined;
  /** Resource limits (container/limits.ts parses Docker's flags into them); kept for every start. */
  limits?: Limits | undefined;
  /** --cgroups disabled, --ignore-missing-limits. */
  limitMode?: LimitMode | undefined;
  /** Seccomp and --privileged (default: burrow's seccomp profile, Docker's confinement). */
  security?: SecurityOptions | undefined;
  /** --userns (userns/keep-id.ts: parseUserns); default: the user is root inside. */
  userns?: UsernsOption | undefined;

  /** --group-add: more supplementary groups (gids, or names from the image's /etc/group). */
  groupAdd?: string[] | undefined;
  /** --stop-signal over the image's StopSignal; --stop-timeout (seconds, -1: none) for stop and restart without -t. */
  stopSignal?: string | undefined;
  stopTimeout?: number | undefined;
  /** --pull (default missing), --platform (default this host's), -q (no notes about the pull). */
  pull?: PullPolicy | undefined;
  platform?: Platform | undefined;
  quiet?: boolean | undefined;
  /** --ulimit, --oom-score-adj: set by burrow-init for the job and each exec'd process. */
  ulimits?: Ulimit[] | undefined;
  oomScoreAdj?: number | undefined;
  /** --device: host device nodes bound into the container. */
  devices?: DeviceRequest[] | undefined;
  /** --log-driver: json-file (the default) or none (a detached container's output is dropped). */
  logDriver?: LogDriver | undefined;

  /** --health-* flags over the image's Healthcheck (health-config.ts: healthFromFlags), or 'none' (--no-healthcheck). */
  healthcheck?: Partial<HealthConfig> | 'none' | undefined;
  signal?: AbortSignal | undefined;
  onNote?: (note: string) => void;
}


/**
 * The image by name or id; pulled when missing, its layers unpacked as they
 * download when `mapping` says how (the run's first start then waits for the
 * slower of download and unpacking, not for both in turn).
 */
export async function resolveImage(store: Store, reference: string, signal: AbortSignal | undefined, onNote: (note: string) => void, mapping?: IdMapping, policy: { pull?: PullPolicy | undefined; platform?: Platform | undefined } = {}): Promise<LocalImage> {
  const pull = policy.pull ?? 'missing';
  const found = pull === 'always' ? undefined : findRecords(store, reference)[0];
  if (found !== undefined) {
    const image = loadLocalImage(store, found);
    if (policy.platform !== undefined) checkImagePlatform(image, policy.platform, reference);
    return image;
  }
  if (pull === 'never') throw new BurrowError('NOT_FOUND', `no such image: ${reference} (--pull never: pull it first, or use --pull missing)`);
  if (pull === 'missing') onNote(`Unable to find image '${reference}' locally`);
  const { pullImage } = await import('../copy/pull.js');
  const { loadConfig } = await import('../config/config.js');
  const { UnpackWhilePulling } = await import('../unpack/stream.js');
  const config = loadConfig();
  const unpacking = mapping === undefined ? undefined : new UnpackWhilePulling(store, mapping, config.maxLayerSize, reference);
  trace('pull: code loaded');
  // The first layer's inflater and extractor start now, while the registry is asked which layer it is.
  unpacking?.prepare();
  trace('pull: extractor started');
  let pulled: Awaited<ReturnType<typeof pullImage>>;
  try {
    pulled = await pullImage(reference, { store, config, signal, ...(policy.platform === undefined ? {} : { platform: policy.platform }), layerSink: unpacking?.sink, onPlan: () => trace('pull: manifest read') });
  } catch (error) {
    await unpacking?.settle(false);
    throw error;
  }
  trace('pull: blobs stored');
  await unpacking?.settle(true);
  for (const note of unpacking?.notes ?? []) onNote(note);
  return loadLocalImage(store, findRecords(store, pulled.name)[0]!);
}

/** --platform against a stored image: the image's own platform must be the one asked for (Docker refuses the mismatch). */
function checkImagePlatform(image: LocalImage, wanted: Platform, reference: string): void {
  const config = image.config as { os?: string; architecture?: string; variant?: string };
  if (config.os === undefined || config.architecture === undefined) return;
  const own = { os: config.os, architecture: config.architecture, variant: config.variant };
  if (!platformMatches(wanted, own)) {
    throw new BurrowError('INVALID_ARGUMENT', `image ${reference} is ${formatPlatform(own)}, not the --platform ${formatPlatform(wanted)} asked for: pull it with --platform ${formatPlatform(wanted)}, or use --pull always`);
  }
}

/** keep-id's ids: the caller's own unless uid=/gid= say otherwise (Podman's keep-id). */
function keepIdFor(userns: UsernsOption | undefined): KeepId | undefined {
  if (userns === undefined || userns.mode === 'default') return undefined;
  return { mode: 'keep-id', uid: userns.uid ?? process.getuid!(), gid: userns.gid ?? process.getgid!() };
}

/**
 * The caller as keep-id's /etc/passwd line shows it (Podman's): the host's user
 * and group names, and the host home where a mount shows it at the same path,
 * else `/`.
 */
function keptUser(mounts: readonly MountPlan[]): KeptUser {
  const account = callerAccount();
  const seen = mounts.some((mount) => mount.target === account.home || account.home.startsWith(`${mount.target.replace(/\/+$/, '')}/`));
  return { ...account, home: seen ? account.home : '/' };
}

/**
 * The root file system of a keep-id container is a copy (rootfs/copy.ts): the
 * shared layers are unpacked for the default mapping, where the image's root
 * files belong to the user, who is not root under keep-id; the copy gives them
 * the owners keep-id shows as the image's. An overlay over the shared layers
 * would show the image's root files as the caller's.
 */
function keepIdDriver(asked: RootfsDriverName | undefined): RootfsDriverName {
  if (asked === undefined || asked === 'auto' || asked === 'copy') return 'copy';
  throw new BurrowError('INVALID_ARGUMENT', `--storage-driver ${asked} cannot be used with --userns=keep-id: its container's root is a copy with keep-id's owners (leave --storage-driver out, or use copy)`);
}

/**
 * `burrow create`: the image (pulled when missing), its layers unpacked, the setup
 * plan, and the container's directory and record. Everything that can be wrong is
 * checked before the directory exists.
 */
function findContainerOrNone(store: Store, query: string): ContainerRecord | undefined {
  try {
    return findContainer(store, query);
  } catch (error) {
    if (isBurrowError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}

/**
 * Two mounts on one target: Docker refuses them (burrow took the last one before).
 * Targets are compared as cleaned paths, so `/data` and `/data/` are one.
 */
function checkMountTargets(volumes: readonly MountRequest[], devices: readonly DeviceRequest[]): void {
  const seen = new Set<string>();
  for (const target of [...volumes.map((volume) => volume.target), ...devices.map((device) => device.target)]) {
    const clean = cleanTarget(target);
    if (seen.has(clean)) throw new BurrowError('INVALID_ARGUMENT', `duplicate mount point: ${clean} (give each target one -v, --mount, --tmpfs or --device)`);
    seen.add(clean);
  }
}

/**
 * `--device`: the host's device node, bound in as it is. A user namespace cannot
 * make device nodes, nor open one the user may not open on the host: a node the
 * user can read or write is bound (the kernel still checks its mode at each
 * open); any other is refused here, in one line, rather than failing inside.
 */
function checkDevice(device: DeviceRequest): DeviceRequest {
  let stat;
  try {
    stat = statSync(device.source);
  } catch {
    throw new BurrowError('INVALID_ARGUMENT', `--device ${device.source}: no such device on this host`);
  }
  if (!stat.isCharacterDevice() && !stat.isBlockDevice()) throw new BurrowError('INVALID_ARGUMENT', `--device ${device.source}: not a device node`);
  const wanted = (device.permissions.includes('r') ? fsConstants.R_OK : 0) | (device.permissions.includes('w') ? fsConstants.W_OK : 0);
  try {
    accessSync(device.source, wanted === 0 ? fsConstants.R_OK : wanted);
  } catch {
    throw new BurrowError('INVALID_ARGUMENT', `--device ${device.source}: your user may not open it on the host, so a rootless container cannot either (add yourself to its group, or leave --device out)`);
  }
  return device;
}

/** A cleaned mount target: `/data/` and `/data` are one. */
function cleanTarget(target: string): string {
  return posix.normalize(target).replace(/(.)\/$/, '$1');
}

/**
 * The image's VOLUMEs as Docker mounts them: an anonymous volume for each one the
 * run mounts nothing on (a -v, --mount, --tmpfs or --device on the same target wins).
 */
function imageVolumes(volumes: readonly string[], given: readonly MountRequest[], devices: readonly DeviceRequest[]): MountRequest[] {
  const taken = new Set([...given.map((mount) => cleanTarget(mount.target)), ...devices.map((device) => cleanTarget(device.target))]);
  return volumes.filter((target) => !taken.has(target)).map((target) => ({ kind: 'volume', name: '', anonymous: true, target, readOnly: false }));
}

/**
 * Mounts in Docker's order: fewer path components first (stable otherwise), so a
 * mount inside another one's target (`-v a:/data/sub` with an image's VOLUME /data)
 * is made after it and stays visible, whatever order the flags came in.
 */
function sortByDepth<T extends { target: string }>(mounts: T[]): T[] {
  const depth = (mount: T): number => cleanTarget(mount.target).split('/').filter(Boolean).length;
  return mounts.map((mount, index) => ({ mount, index })).sort((a, b) => depth(a.mount) - depth(b.mount) || a.index - b.index).map(({ mount }) => mount);
}

export async function createContainer(store: Store, options: CreateOptions): Promise<ContainerRecord> {
  const note = options.onNote ?? (() => {});
  // Docker's names are shown with a leading slash (inspect's Name), and `--name /x` is accepted as x.
  const name = options.name?.replace(/^\//, '');
  if (name !== undefined && !VALID_NAME.test(name)) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid container name "${options.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  checkMountTargets(options.volumes, options.devices ?? []);
  const devices = (options.devices ?? []).map(checkDevice);
  trace('create');
  const keepId = keepIdFor(options.userns);
  // Checked before anything is pulled: keep-id needs the subordinate ranges.
  if (keepId !== undefined) {
    containerIdMapping(keepId);
    // A joined container's user namespace has that container's mapping, not keep-id's.
    if (options.network?.startsWith('container:') === true) throw new BurrowError('INVALID_ARGUMENT', '--userns=keep-id cannot be used with --network container:NAME: the container would join the other one\'s user namespace');
  }
  const storageDriver = keepId === undefined ? options.storageDriver : keepIdDriver(options.storageDriver);
  // Joining a keep-id container's namespaces: the user is not root there (and the launcher would have no capabilities).
  const joinedName = options.network?.startsWith('container:') === true ? options.network.slice('container:'.length) : '';
  // A name that finds nothing is left to networkPlan, which reports it after the flags' own conflicts (-p with container:), as Docker orders them.
  const joined = joinedName === '' ? undefined : findContainerOrNone(store, joinedName);
  if (joined?.userns !== undefined) throw new BurrowError('INVALID_ARGUMENT', `--network container:${joined.name} cannot join a container made with --userns=keep-id: its user namespace does not have burrow's default mapping`);
  // Layers are always unpacked for the default mapping (shared by every container).
  const mapping = idMapping();
  const image = await resolveImage(store, options.image, options.signal, options.quiet === true ? () => {} : note, mapping, { pull: options.pull, platform: options.platform });
  trace('image found');
  if (mapping.single) note(`mapping only your own uid into the container: ${mapping.reason}`);
  const lowers = await ensureLayers(store, image, mapping, note);
  trace('layers ready');

  const config = imageRuntimeConfig(image.config.config, image.record.name);
  const extraEnv = callerEnv(options.env);
  // Podman's order: -u, else the image's User, else (keep-id) the caller's kept ids.
  const user = resolveUser(options.user ?? config.user ?? (keepId === undefined ? undefined : `${keepId.uid}:${keepId.gid}`), lowers);
  const groups = [...new Set([...user.groups, ...resolveGroups(options.groupAdd ?? [], lowers)])];
  const entrypoint = options.entrypoint ?? config.entrypoint ?? [];
  const command = options.command.length > 0 ? options.command : options.entrypoint !== undefined ? [] : (config.cmd ?? []);
  const args = [...entrypoint, ...command];
  if (args.length === 0) throw new BurrowError('INVALID_ARGUMENT', `no command specified: ${image.record.name} has no Cmd or Entrypoint; give one after the image name`);
  const healthcheck = resolveHealthcheck(config.healthcheck, options.healthcheck, config.shell);
  const workdir = options.workdir ?? config.workingDir ?? '/';
  if (!isAbsolute(workdir)) throw new BurrowError('INVALID_ARGUMENT', `the working directory "${workdir}" is invalid: it needs to be an absolute path`);
  for (const volume of options.volumes) {
    if (volume.kind === 'bind' && !existsSync(volume.source)) {
      throw new BurrowError('INVALID_ARGUMENT', `invalid mount: bind source path does not exist: ${volume.source}`);
    }
  }
  // Named volumes are created on first use, as Docker does; an anonymous one is new, with a random name and Docker's label.
  const anonymousVolumes: string[] = [];
  const mounts: MountPlan[] = sortByDepth([...options.volumes, ...(options.imageVolumes === false ? [] : imageVolumes(config.volumes, options.volumes, devices))]).map((volume) => {
    if (volume.kind !== 'volume') return volume;
    if (volume.anonymous === true) {
      // Made once the record is written (below): a create that fails before leaves no volume behind.
      const name = anonymousVolumeName();
      anonymousVolumes.push(name);
      return { kind: 'bind', source: join(volumesDir(store), name, '_data'), target: volume.target, readOnly: volume.readOnly };
    }
    const mount = volumeMount(createVolume(store, volume.name), volume.target, volume.readOnly);
    return volume.noCopy === true && mount.kind === 'bind' ? { ...mount, noCopy: true } : mount;
  });
  for (const device of devices) mounts.push({ kind: 'bind', source: device.source, target: device.target, readOnly: false, device: true });

  const security = options.security ?? DEFAULT_SECURITY;
  // --privileged: every capability, as Docker gives it (inside burrow's user namespace).
  const caps = security.privileged ? [...ALL_CAPABILITIES] : containerCapabilities(options.capAdd, options.capDrop);
  const seccomp = await containerSeccompFilter(security.seccomp, caps);
  const limits = options.limits ?? {};
  const limitMode = options.limitMode ?? { disabled: false, ignoreMissing: false };
  checkLimitMode(limitMode, limits);
  if (asksForLimits(limits) && !limitMode.disabled && !limitMode.ignoreMissing) {
    // An asked limit this host cannot enforce is refused here already, as Docker does at create (each start checks again).
    const { detectCgroupHost, resolveLimits } = await import('../cgroup/index.js');
    resolveLimits(detectCgroupHost(), limits, limitMode);
  }

  // Everything else checked: only now does the container get a directory.
  const id = newContainerId();
  const names = options.names ?? NO_NAMES;
  for (const host of names.extraHosts) parseAddHost(host);
  // -P publishes the image's ExposedPorts and --expose's.
  const exposed = uniqueExposed([...config.exposedPorts, ...(options.expose ?? [])]);
  const hostname = options.hostname ?? id.slice(0, 12);
  const dir = containerDir(store, id);
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const merged = join(dir, 'merged');
  // The record holds the job's environment (-e values, tokens): other users of the host may not read it.
  // Made before the network is planned: a user network's address lease holds while this directory exists (network/records.ts),
  // so two creates at once never get one address.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Before the record: no other command can find the container unclaimed.
  if (options.claimStart === true) claimStart(dir);
  let network: NetworkPlan;
  try {
    network = networkPlan(store, { spec: options.network, ports: options.ports ?? [], publishAll: options.publishAll === true, mac: options.macAddress, aliases: options.networkAliases ?? [] }, exposed, id, (name) => findContainer(store, name).id, note);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  for (const path of [upper, work, merged]) mkdirSync(path, { mode: 0o755 });
  // keep-id: the kept user's /etc/passwd line, written into the copied root when the image has none
  // for its uid (rootfs/copy-worker.ts); running as that user, HOME is the line's home.
  const userns = keepId === undefined ? undefined : { ...keepId, user: keptUser(mounts) };
  const home = userns !== undefined && user.uid === userns.uid && needsEntry(readImageFile(lowers, 'etc/passwd') ?? '', userns.user.name, userns.uid) ? userns.user.home : user.home;
  if (seccomp !== undefined) writeFileSync(join(dir, SECCOMP_FILE), seccomp, { mode: 0o444 });

  const plan: SetupPlan = {
    rootfs: { driver: storageDriver ?? 'auto', lowers, upper, work, merged, readOnly: options.readOnly, volatile: options.remove },
    hostname,
    network,
    ...(names === NO_NAMES ? {} : { names }),
    // Written again at each start, for what it resolves (network/files.ts).
    files: writeNameFiles(dir, { hostname, network: network.mode === 'host' ? 'host' : 'none', names, nameservers: [] }),
    mounts,
    capabilities: caps,
    process: {
      args,
      env: mergeEnv([config.env, extraEnv], { PATH: DEFAULT_PATH, HOSTNAME: hostname, HOME: home, ...(options.tty ? { TERM: 'xterm' } : {}) }),
      cwd: workdir,
      uid: user.uid,
      gid: user.gid,
      groups,
      ...(options.ulimits === undefined || options.ulimits.length === 0 ? {} : { rlimits: options.ulimits }),
      ...(options.oomScoreAdj === undefined ? {} : { oomScoreAdj: options.oomScoreAdj }),
      init: options.init,
      stdin: options.interactive,
      tty: options.tty,
    },
    security,
    ...(healthcheck === undefined ? {} : { healthcheck }),
  };
  const record: ContainerRecord = {
    id,
    name: '',
    image: { id: image.id, name: image.record.name },
    created: new Date().toISOString(),
    labels: options.labels,
    autoRemove: options.remove,
    restart: options.restart ?? 'no',
    stopSignal: options.stopSignal ?? config.stopSignal ?? 'SIGTERM',
    ...(options.stopTimeout === undefined ? {} : { stopTimeout: options.stopTimeout }),
    ...(anonymousVolumes.length === 0 ? {} : { anonymousVolumes }),
    ...(options.logDriver === undefined || options.logDriver === 'json-file' ? {} : { logDriver: options.logDriver }),
    tty: options.tty,
    logMaxSize: options.logMaxSize,
    ...(options.logMaxFiles !== undefined ? { logMaxFiles: options.logMaxFiles } : {}),
    ...(asksForLimits(limits) ? { limits } : {}),
    ...(limitMode.disabled || limitMode.ignoreMissing ? { limitMode } : {}),
    plan,
    ...(userns === undefined ? {} : { userns }),
    command: { entrypoint, cmd: command, ...(options.user === undefined ? {} : { user: options.user }) },
  };
  try {
    writeNamedRecord(store, record, name);
    for (const volume of anonymousVolumes) createVolume(store, volume, { [ANONYMOUS_VOLUME_LABEL]: '' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    await removeAnonymousVolumes(store, anonymousVolumes);
    throw error;
  }
  try {
    await copyUpVolumes(store, record, options.signal);
  } catch (error) {
    // The copy mounted the root file system (its files are of mapped ids now): removed as rm removes it, then the volumes.
    try {
      const { removeContainerFiles } = await import('./start.js');
      await removeContainerFiles(store, record);
      await removeAnonymousVolumes(store, anonymousVolumes);
    } catch {
      // Left, under its id, to rm and system prune; the copy's own error is the one to show.
    }
    throw error;
  }
  trace('container created');
  return record;
}
