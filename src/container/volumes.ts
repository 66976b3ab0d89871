import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
// util/random.ts, not node:crypto: every start imports this module, and node:crypto costs a start its load.
import { randomBytes } from '../util/random.js';
import { isAbsolute, join } from 'node:path';
import type { MountPlan } from '../sandbox/plan.js';
import { parseByteSize } from './specs.js';
import { BurrowError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Store } from '../store/store.js';
import { removeInUserNamespace } from '../unpack/remove.js';
import { idMapping } from '../userns/idmap.js';
import { listRecords } from './record.js';

/** Named volumes live in the store (`volumes/<name>/_data`), outlive containers and can be shared. */
export interface VolumeRecord {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  /** The local driver's options (`volume create -o`): type=tmpfs or type=none,o=bind,device=PATH; absent: a directory in the store. */
  Options?: Record<string, string> | null | undefined;
}

/**
 * `volume create -o KEY=VALUE` (repeatable), Docker's local driver: `type`,
 * `device`, `o`. `-o type=tmpfs,device=tmpfs,o=size=64m` in one is read as the
 * three (a comma starts a new option only before one of those keys).
 */
export function parseVolumeOptions(specs: readonly string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const spec of specs) {
    let key: string | undefined;
    for (const piece of spec.split(',')) {
      const at = piece.indexOf('=');
      const named = at > 0 ? piece.slice(0, at) : '';
      if (['type', 'device', 'o'].includes(named) || key === undefined) {
        if (at <= 0) throw new BurrowError('INVALID_ARGUMENT', `invalid volume option "${spec}": expected KEY=VALUE (type, device or o)`);
        key = named;
        options[key] = piece.slice(at + 1);
      } else options[key] = `${options[key]},${piece}`;
    }
  }
  for (const key of Object.keys(options)) {
    if (!['type', 'device', 'o'].includes(key)) throw new BurrowError('INVALID_ARGUMENT', `unknown volume option "${key}": the local driver takes type, device and o`);
  }
  const type = options.type;
  if (type === undefined) {
    if (Object.keys(options).length > 0) throw new BurrowError('INVALID_ARGUMENT', 'volume options need type=tmpfs, or type=none with o=bind and device=/host/path');
  } else if (type === 'tmpfs') {
    for (const part of (options.o ?? '').split(',').filter(Boolean)) {
      if (!/^(size=\d+[kmg]?|mode=[0-7]{3,4}|nr_inodes=\d+[kmg]?|uid=\d+|gid=\d+)$/i.test(part)) throw new BurrowError('INVALID_ARGUMENT', `unsupported tmpfs option "${part}": use size=…, mode=… (o=size=64m,mode=1777)`);
    }
  } else if (type === 'none' && (options.o ?? '').split(',').some((part) => part === 'bind' || part === 'rbind')) {
    if (options.device === undefined || !isAbsolute(options.device)) throw new BurrowError('INVALID_ARGUMENT', 'a bind volume (type=none,o=bind) needs device=/absolute/host/path');
  } else {
    throw new BurrowError('INVALID_ARGUMENT', `volume type "${type}" needs a mount on the host, which a rootless burrow cannot make: use type=tmpfs, or type=none,o=bind,device=/host/path`);
  }
  return options;
}

/**
 * Where a container gets a volume: its directory in the store, bound; a tmpfs
 * volume is a tmpfs of the container's own (a rootless burrow cannot mount one on
 * the host to share, so its contents live as long as the container's run, not the
 * volume); a bind volume binds its device path.
 */
export function volumeMount(volume: VolumeRecord, target: string, readOnly: boolean): MountPlan {
  const options = volume.Options ?? {};
  if (options.type === 'tmpfs') {
    const parts = (options.o ?? '').split(',');
    const value = (key: string): string | undefined => parts.find((part) => part.startsWith(`${key}=`))?.slice(key.length + 1);
    // bubblewrap takes the size in bytes; Docker's o=size=64m is a byte size with a unit.
    const size = value('size');
    return { kind: 'tmpfs', target, size: size === undefined ? undefined : String(parseByteSize(size)), mode: value('mode'), volume: volume.Name };
  }
  if (options.type === 'none' && options.device !== undefined) {
    if (!existsSync(options.device)) throw new BurrowError('INVALID_ARGUMENT', `volume ${volume.Name}: its device ${options.device} does not exist`);
    return { kind: 'bind', source: options.device, target, readOnly, volume: volume.Name };
  }
  return { kind: 'bind', source: volume.Mountpoint, target, readOnly };
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Docker's mark of an anonymous volume (one made for `-v /path` or an image's
 * VOLUME, named by a random id): the only kind `volume prune` removes without
 * --all (Docker 23 and later). A volume without it was named by the user: data.
 */
export const ANONYMOUS_VOLUME_LABEL = 'com.docker.volume.anonymous';

export function isAnonymousVolume(volume: VolumeRecord): boolean {
  return Object.hasOwn(volume.Labels ?? {}, ANONYMOUS_VOLUME_LABEL);
}

export function volumesDir(store: Store): string {
  return join(store.root, 'volumes');
}

export function isVolumeName(text: string): boolean {
  return VOLUME_NAME.test(text);
}

export function readVolume(store: Store, name: string): VolumeRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(volumesDir(store), name, 'volume.json'), 'utf8')) as VolumeRecord;
  } catch {
    return undefined;
  }
}

/** A name for `volume create` without one, as Docker's: 64 hex digits. */
export function anonymousVolumeName(): string {
  return randomBytes(32).toString('hex');
}

export function createVolume(store: Store, name: string, labels: Record<string, string> = {}, options: Record<string, string> = {}): VolumeRecord {
  if (!VOLUME_NAME.test(name)) throw new BurrowError('INVALID_ARGUMENT', `invalid volume name "${name}": use [a-zA-Z0-9][a-zA-Z0-9_.-]+`);
  const existing = readVolume(store, name);
  if (existing !== undefined) return existing;
  const dir = join(volumesDir(store), name);
  mkdirSync(join(dir, '_data'), { recursive: true, mode: 0o755 });
  const record: VolumeRecord = { Name: name, Driver: 'local', Mountpoint: join(dir, '_data'), CreatedAt: new Date().toISOString(), Labels: labels, Options: Object.keys(options).length === 0 ? null : options };
  writeFileAtomic(join(dir, 'volume.json'), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

export function listVolumes(store: Store): VolumeRecord[] {
  if (!existsSync(volumesDir(store))) return [];
  return readdirSync(volumesDir(store)).map((name) => readVolume(store, name)).filter((volume): volume is VolumeRecord => volume !== undefined);
}

/** Containers (any state) whose plan binds the volume. */
export function volumeUsers(store: Store, volume: VolumeRecord): string[] {
  return listRecords(store).filter((record) => record.plan.mounts.some((mount) => mount.volume === volume.Name || (mount.kind === 'bind' && mount.source === volume.Mountpoint))).map((record) => record.name);
}

export async function removeVolume(store: Store, name: string, force = false): Promise<void> {
  const volume = readVolume(store, name);
  if (volume === undefined) throw new BurrowError('NOT_FOUND', `no such volume: ${name}`);
  const users = volumeUsers(store, volume);
  if (users.length > 0 && !force) throw new BurrowError('IN_USE', `volume ${name} is in use by container ${users.join(', ')}: remove the container first, or use --force`);
  await removeInUserNamespace(join(volumesDir(store), name), idMapping());
}

/**
 * `rm -v` and `--rm`: the anonymous volumes made for a container (`-v /path`),
 * once the container is gone; one another container still uses (`--volumes-from`
 * does not exist here, but a `-v NAME:/x` of the 64-hex name can) is kept, as in Docker.
 */
export async function removeAnonymousVolumes(store: Store, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const volume = readVolume(store, name);
    if (volume === undefined || volumeUsers(store, volume).length > 0) continue;
    await removeInUserNamespace(join(volumesDir(store), name), idMapping());
  }
}

/**
 * `volume prune`: the anonymous volumes no container uses; with `all`, every volume
 * no container uses (named ones hold the user's data: only when asked).
 */
export async function pruneVolumes(store: Store, options: { all?: boolean } = {}): Promise<string[]> {
  const removed: string[] = [];
  for (const volume of listVolumes(store)) {
    if (options.all !== true && !isAnonymousVolume(volume)) continue;
    if (volumeUsers(store, volume).length > 0) continue;
    await removeVolume(store, volume.Name);
    removed.push(volume.Name);
  }
  return removed;
}

/** The named volume a bind mount's source is (`<store>/volumes/NAME/_data`), if it is one. */
export function volumeNameOf(store: Store, source: string): string | undefined {
  const prefix = `${volumesDir(store)}/`;
  if (!source.startsWith(prefix) || !source.endsWith('/_data')) return undefined;
  const name = source.slice(prefix.length, -'/_data'.length);
  return isVolumeName(name) ? name : undefined;
}
