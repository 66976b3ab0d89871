import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadLocalImage } from '../image/local.js';
import { rootfsCopied } from '../rootfs/copy.js';
import { readLayerInfo } from '../unpack/layer-info.js';
import { isLayerScratch, layerInfoPath, layersDir } from '../unpack/paths.js';
import { randomBytes } from '../util/random.js';
import { treeSize } from '../util/tree-size.js';
import { acquireLock, type Lock } from './flock.js';
import { CONTAINER_ID, RETIRED_CONTAINER } from '../container/record.js';
import type { Store } from './store.js';

/**
 * The store's side of unpacked layers (`layers/`, written by src/unpack/): what
 * is there, who needs it, and taking a layer out of use. Garbage collection,
 * `system df` and `system check` share it.
 */

const LAYER_NAME = /^[0-9a-f]{64}$/;
const INFO_NAME = /^([0-9a-f]{64})\.json$/;
/**
 * A layer being removed: renamed first (one atomic step), then deleted. A
 * removal cut short (a killed prune) leaves a tree under this name, never a
 * half-deleted `layers/<hex>` that a run would take for a whole layer.
 */
const RETIRED_PREFIX = '.removing-';

export interface LayerEntries {
  /** Hex digests of layer directories (`layers/<hex>`). */
  layers: string[];
  /** Hex digests of info files (`layers/<hex>.json`). */
  infos: string[];
  /** Unpacking scratch directories (`layers/.unpacking-…`), by name. */
  scratch: string[];
  /** Layers taken out of use and not yet deleted (`layers/.removing-…`), by name. */
  retired: string[];
  /** Anything else, by name. */
  other: string[];
}

export function listLayerEntries(store: Store): LayerEntries {
  const entries: LayerEntries = { layers: [], infos: [], scratch: [], retired: [], other: [] };
  const dir = layersDir(store);
  if (!existsSync(dir)) return entries;
  for (const name of readdirSync(dir)) {
    if (LAYER_NAME.test(name)) entries.layers.push(name);
    else if (INFO_NAME.test(name)) entries.infos.push(name.slice(0, 64));
    else if (isLayerScratch(name)) entries.scratch.push(name);
    else if (name.startsWith(RETIRED_PREFIX)) entries.retired.push(name);
    else entries.other.push(name);
  }
  return entries;
}

/** The lock an unpack holds while it makes `layers/<hex>` (unpack/layer.ts names it after the diff_id). */
function layerLockPath(store: Store, hex: string): string {
  return join(store.paths.locks, `layer-sha256-${hex}.lock`);
}

/** The layer's lock if no unpack holds it now, else undefined: a layer being unpacked is never touched. */
export async function tryLockLayer(store: Store, hex: string): Promise<Lock | undefined> {
  let busy = false;
  return acquireLock(layerLockPath(store, hex), { onWait: () => { busy = true; }, shouldStop: () => busy });
}

/** The fields of `containers/<id>/container.json` (container/record.ts) that say which layers it needs, read as untrusted JSON. */
interface ContainerFile {
  name?: string;
  plan?: { rootfs?: { driver?: string; lowers?: unknown[] } };
}

/** What a container needs of `layers/`. */
export interface ContainerLayers {
  id: string;
  name: string;
  /** Hex digests of the layers its root is made of; none once the copy driver has copied them. */
  layers: string[];
}

/**
 * The layers each container needs: those its plan mounts (`plan.rootfs.lowers`),
 * whether or not its image is still in the store (`rmi -f` keeps a container
 * running on its layers). The copy driver needs them only until it has copied
 * them into the container's own directory. `only`: the one container of that id.
 */
export function containerLayers(store: Store, only?: string): ContainerLayers[] {
  if (!existsSync(store.paths.containers)) return [];
  const result: ContainerLayers[] = [];
  for (const id of only === undefined ? readdirSync(store.paths.containers) : [only]) {
    if (!CONTAINER_ID.test(id)) continue;
    const dir = join(store.paths.containers, id);
    let record: ContainerFile;
    try {
      record = JSON.parse(readFileSync(join(dir, 'container.json'), 'utf8')) as ContainerFile;
    } catch {
      // Not a container directory, or one whose record is still being written (create, after its layers are ready).
      continue;
    }
    const planned = record.plan?.rootfs?.lowers;
    const lowers = Array.isArray(planned) ? planned : [];
    const copied = record.plan?.rootfs?.driver === 'copy' && rootfsCopied(dir);
    result.push({
      id,
      name: record.name ?? id.slice(0, 12),
      layers: copied ? [] : lowers.filter((path): path is string => typeof path === 'string').map((path) => basename(path)).filter((name) => LAYER_NAME.test(name)),
    });
  }
  return result;
}

/** The layers each image record names (its config's diff_ids), by hex digest; a record whose content is unreadable names none. */
export function imageLayers(store: Store): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const record of store.records()) {
    try {
      for (const diffId of loadLocalImage(store, record).config.rootfs.diff_ids) {
        const hex = diffId.slice(diffId.indexOf(':') + 1);
        users.set(hex, [...(users.get(hex) ?? []), record.name]);
      }
    } catch {
      // A record whose manifest or config is gone keeps nothing alive (system check reports it).
    }
  }
  return users;
}

/** Every layer an image record or a container needs. */
export function neededLayers(store: Store, containers: ContainerLayers[] = containerLayers(store)): Set<string> {
  const needed = new Set(imageLayers(store).keys());
  for (const container of containers) for (const hex of container.layers) needed.add(hex);
  return needed;
}

/** Leftovers of a killed create kept this long: a create writes its record milliseconds after its directory. */
const ORPHAN_CONTAINER_KEEP_MS = 60 * 60 * 1000;

/**
 * Container directories without a record (`container.json`), older than an
 * hour: what a create killed between making the directory and writing the
 * record leaves (nothing can name or remove such a container).
 */
export function orphanContainerDirs(store: Store, now = Date.now()): string[] {
  if (!existsSync(store.paths.containers)) return [];
  return readdirSync(store.paths.containers)
    .filter((id) => CONTAINER_ID.test(id))
    .map((id) => join(store.paths.containers, id))
    .filter((dir) => {
      try {
        return !existsSync(join(dir, 'container.json')) && now - statSync(dir).mtimeMs > ORPHAN_CONTAINER_KEEP_MS;
      } catch {
        return false;
      }
    });
}

/** Container directories whose removal was cut short (`containers/.removing-…`): nothing names them, they go whole. */
export function retiredContainerDirs(store: Store): string[] {
  if (!existsSync(store.paths.containers)) return [];
  return readdirSync(store.paths.containers)
    .filter((name) => RETIRED_CONTAINER.test(name))
    .map((name) => join(store.paths.containers, name));
}

/** What a layer directory holds: its info file's count (cheap), else what lstat sees from the host. */
export function layerBytes(store: Store, hex: string): number {
  return readLayerInfo(store, `sha256:${hex}`)?.summary.bytes ?? treeSize(join(layersDir(store), hex));
}

/**
 * Takes `layers/<hex>` out of use: renamed to `.removing-<hex>.<random>` (so no
 * run ever sees it half-deleted), then its info file removed. Returns the new
 * path, which the caller deletes (`removeAllInUserNamespace`, several at once).
 * The caller holds the layer's lock.
 */
export function retireLayer(store: Store, hex: string): string {
  const dir = layersDir(store);
  const retired = join(dir, `${RETIRED_PREFIX}${hex}.${randomBytes(3).toString('hex')}`);
  renameSync(join(dir, hex), retired);
  rmSync(layerInfoPath(store, `sha256:${hex}`), { force: true });
  return retired;
}

/** The path of an entry of `layers/`. */
export function layerEntryPath(store: Store, name: string): string {
  return join(layersDir(store), name);
}

/** `layers/…` relative to the store, as reports name it. */
export function storeRelative(store: Store, path: string): string {
  return path.startsWith(`${store.root}/`) ? path.slice(store.root.length + 1) : join(basename(dirname(path)), basename(path));
}
