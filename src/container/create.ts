import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { BurrowError, isBurrowError } from '../errors.js';
import { findRecords, loadLocalImage, type LocalImage } from '../image/local.js';
import type { Store } from '../store/store.js';
import { ALL_CAPABILITIES, containerCapabilities } from '../sandbox/capabilities.js';
import type { MountPlan, RootfsDriverName, SetupPlan } from '../sandbox/plan.js';
import { containerSeccompFilter } from '../sandbox/seccomp-filter.js';
import { SECCOMP_FILE } from '../sandbox/handoff.js';
import { DEFAULT_SECURITY, type SecurityOptions } from '../sandbox/security.js';
import { ensureLayers } from '../unpack/unpack.js';
import { containerIdMapping, idMapping, type IdMapping } from '../userns/idmap.js';
import type { KeepId, UsernsOption } from '../userns/keep-id.js';
import { trace } from '../util/trace.js';
import { newContainerId, VALID_NAME } from './names.js';
import { containerDir, findContainer, writeNamedRecord, type ContainerRecord, type RestartPolicy } from './record.js';
import { callerEnv, imageRuntimeConfig } from './image-config.js';
import { mergeEnv } from './environment.js';
import { resolveHealthcheck, type HealthConfig } from './health-config.js';
import { resolveUser } from './user.js';
import { createVolume } from './volumes.js';
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
export type MountRequest = MountPlan | { kind: 'volume'; name: string; target: string; readOnly: boolean };

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
  readOnly: boolean;
  init: boolean;
  interactive: boolean;
  tty: boolean;
  remove: boolean;
  restart?: RestartPolicy | undefined;
  logMaxSize?: number | undefined;
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
export async function resolveImage(store: Store, reference: string, signal: AbortSignal | undefined, onNote: (note: string) => void, mapping?: IdMapping): Promise<LocalImage> {
  const found = findRecords(store, reference)[0];
  if (found !== undefined) return loadLocalImage(store, found);
  onNote(`Unable to find image '${reference}' locally`);
  const { pullImage } = await import('../copy/pull.js');
  const { loadConfig } = await import('../config/config.js');
  const { UnpackWhilePulling } = await import('../unpack/stream.js');
  const config = loadConfig();
  const unpacking = mapping === undefined ? undefined : new UnpackWhilePulling(store, mapping, config.maxLayerSize, reference);
  trace('pull: code loaded');
  let pulled: Awaited<ReturnType<typeof pullImage>>;
  try {
    pulled = await pullImage(reference, { store, config, signal, layerSink: unpacking?.sink, onPlan: () => trace('pull: manifest read') });
  } catch (error) {
    await unpacking?.settle(false);
    throw error;
  }
  trace('pull: blobs stored');
  await unpacking?.settle(true);
  for (const note of unpacking?.notes ?? []) onNote(note);
  return loadLocalImage(store, findRecords(store, pulled.name)[0]!);
}

/** keep-id's ids: the caller's own unless uid=/gid= say otherwise (Podman's keep-id). */
function keepIdFor(userns: UsernsOption | undefined): KeepId | undefined {
  if (userns === undefined || userns.mode === 'default') return undefined;
  return { mode: 'keep-id', uid: userns.uid ?? process.getuid!(), gid: userns.gid ?? process.getgid!() };
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

export async function createContainer(store: Store, options: CreateOptions): Promise<ContainerRecord> {
  const note = options.onNote ?? (() => {});
  if (options.name !== undefined && !VALID_NAME.test(options.name)) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid container name "${options.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
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
  const image = await resolveImage(store, options.image, options.signal, note, mapping);
  trace('image found');
  if (mapping.single) note(`mapping only your own uid into the container: ${mapping.reason}`);
  const lowers = await ensureLayers(store, image, mapping, note);
  trace('layers ready');

  const config = imageRuntimeConfig(image.config.config, image.record.name);
  const extraEnv = callerEnv(options.env);
  // Podman's order: -u, else the image's User, else (keep-id) the caller's kept ids.
  const user = resolveUser(options.user ?? config.user ?? (keepId === undefined ? undefined : `${keepId.uid}:${keepId.gid}`), lowers);
  const entrypoint = options.entrypoint ?? config.entrypoint ?? [];
  const command = options.command.length > 0 ? options.command : options.entrypoint !== undefined ? [] : (config.cmd ?? []);
  const args = [...entrypoint, ...command];
  if (args.length === 0) throw new BurrowError('INVALID_ARGUMENT', `no command specified: ${image.record.name} has no Cmd or Entrypoint; give one after the image name`);
  const healthcheck = resolveHealthcheck(config.healthcheck, options.healthcheck);
  const workdir = options.workdir ?? config.workingDir ?? '/';
  if (!isAbsolute(workdir)) throw new BurrowError('INVALID_ARGUMENT', `the working directory "${workdir}" is invalid: it needs to be an absolute path`);
  for (const volume of options.volumes) {
    if (volume.kind === 'bind' && !existsSync(volume.source)) {
      throw new BurrowError('INVALID_ARGUMENT', `invalid mount: bind source path does not exist: ${volume.source}`);
    }
  }
  // Named volumes are created on first use, as Docker does.
  const mounts: MountPlan[] = options.volumes.map((volume) => {
    if (volume.kind !== 'volume') return volume;
    return { kind: 'bind', source: createVolume(store, volume.name).Mountpoint, target: volume.target, readOnly: volume.readOnly };
  });

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
      env: mergeEnv([config.env, extraEnv], { PATH: DEFAULT_PATH, HOSTNAME: hostname, HOME: user.home, ...(options.tty ? { TERM: 'xterm' } : {}) }),
      cwd: workdir,
      uid: user.uid,
      gid: user.gid,
      groups: user.groups,
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
    stopSignal: config.stopSignal ?? 'SIGTERM',
    tty: options.tty,
    logMaxSize: options.logMaxSize,
    ...(asksForLimits(limits) ? { limits } : {}),
    ...(limitMode.disabled || limitMode.ignoreMissing ? { limitMode } : {}),
    plan,
    ...(keepId === undefined ? {} : { userns: keepId }),
  };
  try {
    writeNamedRecord(store, record, options.name);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  trace('container created');
  return record;
}
