import { createReadStream, existsSync, lstatSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CONTAINER_ID, containerDir, readRecord, RETIRED_CONTAINER, type ContainerRecord } from '../container/record.js';
import { containerState, readSandbox } from '../container/state.js';
import { signalProcess } from '../container/identity.js';
import { leftoverHelper } from '../network/helpers.js';
import { startClaimed } from '../container/start-claim.js';
import { isRunning } from '../util/process-identity.js';
import { fsError } from '../errors.js';
import { loadLocalImage, type LocalImage } from '../image/local.js';
import { readLayerInfo, type LayerSummary } from '../unpack/layer-info.js';
import { removeAllInUserNamespace } from '../unpack/remove.js';
import { summarizeLayer } from '../unpack/summary.js';
import { layerPath, layerScratchOwnerGone, layersDir } from '../unpack/paths.js';
import { ensureLayers } from '../unpack/unpack.js';
import { idMapping, type IdMapping } from '../userns/idmap.js';
import { hasherFor } from '../util/hash.js';
import { acquireLock } from './flock.js';
import { reachableBlobs } from './gc.js';
import { containerLayers, imageLayers, listLayerEntries, orphanContainerDirs, retireLayer, tryLockLayer, type ContainerLayers } from './layers.js';
import type { ImageRecord } from './records.js';
import { scratchOwnerGone } from './scratch.js';
import type { Store } from './store.js';

/**
 * `burrow system check`: is everything in the store what it says it is?
 *
 * - every blob hashes to its name;
 * - every image record's manifest, config and layer blobs are there and readable;
 * - every container's record reads, and the layers its root is made of are there;
 * - every unpacked layer has its info file, and a walk of the directory inside
 *   the user namespace (`summarizeLayer`) finds what the info file says.
 *
 * What processes that are gone left behind (partial downloads, scratch
 * directories, a layer's info file without its layer, a removal cut short,
 * content nothing uses) is garbage, not damage: listed, and the check passes;
 * `system prune` removes it. With `repair`, what is damaged is removed (a blob
 * that does not hash to its name, an image record whose content is missing, a
 * layer that does not match its info file: layers are unpacked again from
 * blobs) and each removal says why. A damaged layer that a container needs is
 * unpacked again at once when an image in the store has its blob; one a running
 * container uses is left alone (its files are under the container now).
 */

export type FindingKind = 'blob' | 'image' | 'container' | 'layer' | 'leftover';

export interface Finding {
  kind: FindingKind;
  /** A digest, an image or container name, or a path relative to the store. */
  subject: string;
  /** What is wrong (a problem, garbage), or why it was removed (a repair). */
  detail: string;
}

export interface Repair extends Finding {
  action: 'removed' | 'unpacked again' | 'ended';
}

export interface CheckReport {
  root: string;
  /** No problem remains (garbage does not count). */
  ok: boolean;
  checked: { blobs: number; images: number; containers: number; layers: number };
  /** Damage left in the store. */
  problems: Finding[];
  /** Leftovers `system prune` removes. */
  garbage: Finding[];
  /** What `repair` did, in order. */
  repaired: Repair[];
}

export interface CheckOptions {
  repair?: boolean;
  /** The id mapping layers were unpacked with (default: the user's, from /etc/subuid). */
  mapping?: IdMapping;
  signal?: AbortSignal | undefined;
}

async function hashFile(path: string, digest: string): Promise<string> {
  const hash = hasherFor(digest);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `${digest.slice(0, digest.indexOf(':'))}:${hash.digest('hex')}`;
}

const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

function sameSummary(a: LayerSummary, b: LayerSummary): boolean {
  return a.entries === b.entries && a.bytes === b.bytes && a.digest === b.digest;
}

function summaryDifference(recorded: LayerSummary, found: LayerSummary): string {
  const parts: string[] = [];
  if (recorded.entries !== found.entries) parts.push(`${found.entries} entries, not ${recorded.entries}`);
  if (recorded.bytes !== found.bytes) parts.push(`${found.bytes} bytes of files, not ${recorded.bytes}`);
  if (parts.length === 0) parts.push('entries differ in name, type, mode, owner, size or link target');
  return parts.join(', ');
}

class Checker {
  readonly report: CheckReport;
  /** Blobs found damaged (and, with repair, removed): records that need them are damaged too. */
  private readonly damagedBlobs = new Set<string>();

  constructor(private readonly store: Store, private readonly options: CheckOptions, private readonly mapping: IdMapping) {
    this.report = { root: store.root, ok: true, checked: { blobs: 0, images: 0, containers: 0, layers: 0 }, problems: [], garbage: [], repaired: [] };
  }

  private get repair(): boolean {
    return this.options.repair === true;
  }

  private problem(kind: FindingKind, subject: string, detail: string): void {
    this.report.problems.push({ kind, subject, detail });
  }

  private garbage(kind: FindingKind, subject: string, detail: string): void {
    this.report.garbage.push({ kind, subject, detail });
  }

  private repaired(action: Repair['action'], kind: FindingKind, subject: string, detail: string): void {
    this.report.repaired.push({ action, kind, subject, detail });
  }

  private relative(path: string): string {
    return path.slice(this.store.root.length + 1);
  }

  /** Every file under blobs/ hashes to its name. */
  async blobs(): Promise<void> {
    const root = this.store.paths.blobs;
    if (!existsSync(root)) return;
    for (const algorithm of readdirSync(root)) {
      const dir = join(root, algorithm);
      if (!(algorithm in HEX_LENGTH) || !statSync(dir).isDirectory()) {
        await this.damagedEntry('blob', dir, 'not a digest algorithm burrow writes (sha256, sha512)');
        continue;
      }
      for (const hex of readdirSync(dir)) {
        this.options.signal?.throwIfAborted();
        const path = join(dir, hex);
        const digest = `${algorithm}:${hex}`;
        if (!new RegExp(`^[0-9a-f]{${HEX_LENGTH[algorithm]}}$`).test(hex) || !lstatSync(path).isFile()) {
          await this.damagedEntry('blob', path, 'not a blob: its name is not a digest, or it is not a regular file');
          continue;
        }
        this.report.checked.blobs++;
        const actual = await hashFile(path, digest);
        if (actual === digest) continue;
        this.damagedBlobs.add(digest);
        const why = `its content hashes to ${actual}`;
        if (!this.repair) {
          this.problem('blob', digest, `${why} (damaged: --repair removes it; pull the images that need it again)`);
          continue;
        }
        rmSync(path, { force: true });
        this.repaired('removed', 'blob', digest, why);
      }
    }
  }

  /** A damaged entry that repair removes (a tree may hold files of subordinate ids). */
  private async damagedEntry(kind: FindingKind, path: string, why: string): Promise<void> {
    if (!this.repair) {
      this.problem(kind, this.relative(path), `${why} (--repair removes it)`);
      return;
    }
    await removeAllInUserNamespace([path], this.mapping);
    this.repaired('removed', kind, this.relative(path), why);
  }

  /** The first reason the record's content is not whole, or undefined. */
  private recordDamage(record: ImageRecord): string | undefined {
    const present = (digest: string): boolean => this.store.hasBlob(digest) && !this.damagedBlobs.has(digest);
    const state = (digest: string): string => (this.damagedBlobs.has(digest) ? 'damaged' : 'missing');
    if (!present(record.manifest.digest)) return `its manifest ${record.manifest.digest} is ${state(record.manifest.digest)}`;
    let image: LocalImage;
    try {
      image = loadLocalImage(this.store, record);
    } catch (error) {
      return (error as Error).message.replace(/: remove the image.*$/, '');
    }
    if (!present(image.id)) return `its config ${image.id} is ${state(image.id)}`;
    const layer = image.manifest.layers.find((descriptor) => !present(descriptor.digest));
    if (layer !== undefined) return `its layer blob ${layer.digest} is ${state(layer.digest)}`;
    return undefined;
  }

  /** Every image record's manifest, config and layer blobs are there (and hashed right, above). */
  async images(): Promise<void> {
    const doomed: Array<{ name: string; why: string }> = [];
    for (const record of this.store.records()) {
      this.report.checked.images++;
      const why = this.recordDamage(record);
      if (why === undefined) continue;
      if (this.repair) doomed.push({ name: record.name, why });
      else this.problem('image', record.name, `${why} (--repair removes the record; pull the image again)`);
    }
    if (doomed.length === 0) return;
    const names = new Set(doomed.map((entry) => entry.name));
    await this.store.updateRecords((records) => {
      for (let at = records.length - 1; at >= 0; at--) if (names.has(records[at]!.name)) records.splice(at, 1);
    });
    for (const { name, why } of doomed) this.repaired('removed', 'image', name, `${why}; pull it again`);
  }

  /**
   * Every unpacked layer matches its info file. A damaged one is removed by
   * repair unless a running container uses it or an unpack holds its lock.
   */
  async layers(containers: ContainerLayers[], running: Set<string>): Promise<void> {
    const entries = listLayerEntries(this.store);
    const used = imageLayers(this.store);
    const users = new Map<string, string[]>();
    for (const container of containers) for (const hex of container.layers) users.set(hex, [...(users.get(hex) ?? []), container.name]);
    const retired: string[] = [];
    for (const hex of entries.layers) {
      this.options.signal?.throwIfAborted();
      this.report.checked.layers++;
      const diffId = `sha256:${hex}`;
      const subject = `layers/${hex}`;
      const damage = await this.layerDamage(hex);
      if (damage === undefined) {
        if (!used.has(hex) && !users.has(hex)) this.garbage('layer', subject, 'no image or container uses it');
        continue;
      }
      const runningUsers = (users.get(hex) ?? []).filter((name) => running.has(name));
      if (!this.repair) {
        this.problem('layer', subject, `${damage} (--repair removes it; it is unpacked again from its blob when needed)`);
        continue;
      }
      if (runningUsers.length > 0) {
        this.problem('layer', subject, `${damage}; left in place: running container ${runningUsers.join(', ')} uses it (stop it, then run system check --repair again)`);
        continue;
      }
      const lock = await tryLockLayer(this.store, hex);
      if (lock === undefined) {
        this.problem('layer', subject, `${damage}; left in place: another burrow is unpacking ${diffId} (run system check --repair again)`);
        continue;
      }
      try {
        retired.push(retireLayer(this.store, hex));
      } finally {
        lock.release();
      }
      this.repaired('removed', 'layer', diffId, damage);
    }
    await removeAllInUserNamespace(retired, this.mapping);
    await this.layerLeftovers(entries.layers, entries.infos, entries.scratch, entries.retired, entries.other);
  }

  /** Why the layer directory is not whole, or undefined. */
  private async layerDamage(hex: string): Promise<string | undefined> {
    const diffId = `sha256:${hex}`;
    const info = readLayerInfo(this.store, diffId);
    if (info === undefined) return 'its info file is missing or unreadable (damaged, or unpacked by a burrow before info files)';
    let found: LayerSummary;
    try {
      found = await summarizeLayer(layerPath(this.store, diffId), this.mapping);
    } catch (error) {
      return `its files cannot be read (${(error as Error).message})`;
    }
    return sameSummary(info.summary, found) ? undefined : `its files do not match its info file: ${summaryDifference(info.summary, found)}`;
  }

  private async layerLeftovers(layers: string[], infos: string[], scratch: string[], retired: string[], other: string[]): Promise<void> {
    const present = new Set(layers);
    for (const hex of infos) {
      if (present.has(hex)) continue;
      // Written before the layer appears, under the layer's lock: an unpack in progress, or a killed one's.
      const lock = await tryLockLayer(this.store, hex);
      if (lock === undefined) continue;
      lock.release();
      if (!existsSync(layerPath(this.store, `sha256:${hex}`))) this.garbage('leftover', `layers/${hex}.json`, 'an info file without its layer (left by an unpack that was killed)');
    }
    for (const name of scratch) {
      if (layerScratchOwnerGone(name)) this.garbage('leftover', `layers/${name}`, 'left by an unpack that was killed');
    }
    for (const name of retired) this.garbage('leftover', `layers/${name}`, 'a layer whose removal was cut short');
    for (const name of other) {
      // A writer's temporary file (store/atomic.ts) is in progress or a tiny leftover; anything else is not burrow's to delete.
      if (!/^\..*\.tmp$/.test(name)) this.problem('layer', `layers/${name}`, 'not a layer, an info file or a scratch directory: burrow never writes it; remove it by hand');
    }
  }

  /** Every container's record reads, and the layers its root needs are there. */
  async containers(records: ContainerRecord[], containers: ContainerLayers[], running: Set<string>): Promise<void> {
    const byId = new Map(records.map((record) => [record.id, record]));
    for (const container of containers) {
      const missing = container.layers.filter((hex) => !existsSync(join(layersDir(this.store), hex)));
      if (missing.length === 0) continue;
      const record = byId.get(container.id);
      if (this.repair && record !== undefined && !running.has(container.name)) {
        const restored = await this.restore(record, missing);
        if (restored.length > 0) this.repaired('unpacked again', 'container', container.name, `its layer${restored.length > 1 ? 's' : ''} ${restored.map((hex) => hex.slice(0, 12)).join(', ')} from the image's blobs`);
        missing.splice(0, missing.length, ...missing.filter((hex) => !restored.includes(hex)));
        if (missing.length === 0) continue;
      }
      this.problem('container', container.name, `its root needs layer ${missing.map((hex) => `sha256:${hex}`).join(', ')}, which is not in the store and no image in the store can unpack it again: remove the container (burrow rm -f ${container.name})`);
    }
  }

  /**
   * Processes a killed burrow left behind for a container that is not running: a network
   * helper (pasta outlives its agent) or a sandbox of another uid (its PID 1 outlives a
   * killed foreground CLI: architecture step 7). The container's rm or next start ends
   * them; listed as leftovers, ended by repair (by identity: never a process that took the pid).
   */
  async processes(records: ContainerRecord[]): Promise<void> {
    for (const record of records) {
      const state = containerState(this.store, record);
      if (state.monitor !== undefined) continue;
      const dir = containerDir(this.store, record.id);
      // A container another command is starting has its network helper before its monitor:
      // not a leftover. Its start claim or its lock (tried, never waited for) says so.
      if (startClaimed(dir)) continue;
      const held = await acquireLock(join(this.store.paths.locks, `container-${record.id}.lock`), { timeoutMs: 0 }).catch(() => undefined);
      if (held === undefined) continue;
      held.release();
      const helper = leftoverHelper(dir);
      const sandbox = readSandbox(dir);
      const leftovers = [
        ...(helper === undefined ? [] : [{ what: 'network helper', identity: helper }]),
        ...(sandbox !== undefined && isRunning(sandbox) ? [{ what: 'sandbox (its PID 1)', identity: sandbox }] : []),
      ];
      for (const { what, identity } of leftovers) {
        const detail = `its ${what}, pid ${identity.pid}, still runs: left by a burrow that was killed`;
        if (this.repair) {
          signalProcess(identity, 'SIGKILL');
          this.repaired('ended', 'container', record.name, detail);
        } else this.garbage('leftover', `containers/${record.name}`, `${detail} (burrow rm or start of the container ends it, system check --repair too)`);
      }
    }
  }

  /** Unpacks a container's missing layers again from any image in the store that has their blobs; returns those restored. */
  private async restore(record: ContainerRecord, missing: string[]): Promise<string[]> {
    const images: LocalImage[] = [];
    for (const imageRecord of this.store.records()) {
      try {
        const image = loadLocalImage(this.store, imageRecord);
        const diffIds = image.config.rootfs.diff_ids.map((diffId) => diffId.slice(diffId.indexOf(':') + 1));
        const sameImage = image.id === record.image.id;
        if (sameImage || diffIds.some((hex) => missing.includes(hex))) images.push(image);
      } catch {
        // Damaged (reported above).
      }
    }
    for (const image of images) {
      try {
        await ensureLayers(this.store, image, this.mapping);
      } catch {
        // A blob missing or damaged: this image cannot help.
      }
    }
    return missing.filter((hex) => existsSync(join(layersDir(this.store), hex)));
  }

  /** The containers whose records read; a record that does not is damaged, a directory without one a killed create's leftover. */
  async containerRecords(): Promise<ContainerRecord[]> {
    const records: ContainerRecord[] = [];
    if (!existsSync(this.store.paths.containers)) return records;
    const orphans = new Set(orphanContainerDirs(this.store));
    for (const id of readdirSync(this.store.paths.containers)) {
      const dir = containerDir(this.store, id);
      if (RETIRED_CONTAINER.test(id)) {
        this.garbage('leftover', `containers/${id}`, 'a container whose removal was cut short (it is no longer listed)');
        continue;
      }
      if (!CONTAINER_ID.test(id)) {
        this.problem('container', `containers/${id}`, 'not a container directory: burrow never writes it; remove it by hand');
        continue;
      }
      let record: ContainerRecord | undefined;
      try {
        record = readRecord(this.store, id);
      } catch {
        record = undefined;
      }
      if (record !== undefined && typeof record.plan?.rootfs === 'object') {
        this.report.checked.containers++;
        records.push(record);
        continue;
      }
      if (!existsSync(join(dir, 'container.json'))) {
        // A create writes its record last: without one, a create in progress, or a killed one's leftover.
        if (orphans.has(dir)) this.garbage('leftover', `containers/${id}`, 'a container directory without a record (left by a create that was killed)');
        continue;
      }
      this.report.checked.containers++;
      await this.damagedEntry('container', dir, 'its record (container.json) is unreadable: nothing can use or remove the container');
    }
    return records;
  }

  /** Partial downloads and scratch directories of processes that are gone. */
  async tmp(): Promise<void> {
    const tmp = this.store.paths.tmp;
    if (!existsSync(tmp)) return;
    for (const name of readdirSync(tmp)) {
      const path = join(tmp, name);
      if (name.endsWith('.partial')) {
        let busy = false;
        const lock = await acquireLock(join(this.store.paths.locks, `blob-${name.slice(0, -'.partial'.length)}.lock`), { onWait: () => { busy = true; }, shouldStop: () => busy });
        if (lock === undefined) continue;
        lock.release();
        this.garbage('leftover', `tmp/${name}`, 'a download cut short (the next pull of its image resumes it)');
        continue;
      }
      let mtime = 0;
      try {
        mtime = statSync(path).mtimeMs;
      } catch {
        continue;
      }
      if (scratchOwnerGone(name, mtime)) this.garbage('leftover', `tmp/${name}`, 'a scratch directory of a load or save that is gone');
    }
  }

  /** Blobs no image record names. */
  unreferencedBlobs(): void {
    const reachable = reachableBlobs(this.store);
    const root = this.store.paths.blobs;
    if (!existsSync(root)) return;
    for (const algorithm of readdirSync(root)) {
      if (!(algorithm in HEX_LENGTH)) continue;
      for (const hex of readdirSync(join(root, algorithm))) {
        const digest = `${algorithm}:${hex}`;
        if (!reachable.has(digest) && !this.damagedBlobs.has(digest)) this.garbage('blob', digest, 'no image uses it');
      }
    }
  }
}

/**
 * Checks the store (see above). Holds the store lock shared (exclusive to
 * repair), so a garbage collection is never halfway through what it reads.
 */
export async function checkStore(store: Store, options: CheckOptions = {}): Promise<CheckReport> {
  const lock = await store.lockStore(options.repair === true ? 'exclusive' : 'shared', options.signal);
  try {
    const checker = new Checker(store, options, options.mapping ?? idMapping());
    await checker.blobs();
    await checker.images();
    const records = await checker.containerRecords();
    const containers = containerLayers(store);
    const running = new Set(records.filter((record) => containerState(store, record).status === 'running').map((record) => record.name));
    await checker.layers(containers, running);
    await checker.containers(records, containers, running);
    await checker.processes(records);
    await checker.tmp();
    checker.unreferencedBlobs();
    checker.report.ok = checker.report.problems.length === 0;
    return checker.report;
  } catch (error) {
    throw fsError(error, 'checking the store');
  } finally {
    lock.release();
  }
}
