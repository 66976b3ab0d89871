import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

function volumesDir(store: Store): string {
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

export function createVolume(store: Store, name: string, labels: Record<string, string> = {}): VolumeRecord {
  if (!VOLUME_NAME.test(name)) throw new BurrowError('INVALID_ARGUMENT', `invalid volume name "${name}": use [a-zA-Z0-9][a-zA-Z0-9_.-]+`);
  const existing = readVolume(store, name);
  if (existing !== undefined) return existing;
  const dir = join(volumesDir(store), name);
  mkdirSync(join(dir, '_data'), { recursive: true, mode: 0o755 });
  const record: VolumeRecord = { Name: name, Driver: 'local', Mountpoint: join(dir, '_data'), CreatedAt: new Date().toISOString(), Labels: labels };
  writeFileAtomic(join(dir, 'volume.json'), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

export function listVolumes(store: Store): VolumeRecord[] {
  if (!existsSync(volumesDir(store))) return [];
  return readdirSync(volumesDir(store)).map((name) => readVolume(store, name)).filter((volume): volume is VolumeRecord => volume !== undefined);
}

/** Containers (any state) whose plan binds the volume. */
export function volumeUsers(store: Store, volume: VolumeRecord): string[] {
  return listRecords(store).filter((record) => record.plan.mounts.some((mount) => mount.kind === 'bind' && mount.source === volume.Mountpoint)).map((record) => record.name);
}

export async function removeVolume(store: Store, name: string, force = false): Promise<void> {
  const volume = readVolume(store, name);
  if (volume === undefined) throw new BurrowError('NOT_FOUND', `no such volume: ${name}`);
  const users = volumeUsers(store, volume);
  if (users.length > 0 && !force) throw new BurrowError('IN_USE', `volume ${name} is in use by container ${users.join(', ')}: remove the container first, or use --force`);
  await removeInUserNamespace(join(volumesDir(store), name), idMapping());
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
