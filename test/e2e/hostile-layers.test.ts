import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, busyboxLayerTar } from '../helpers/bed.js';
import { expectOneLineError, removeAllContainers, run, sandbox, type Sandbox } from '../helpers/cli.js';
import { hostileCorpus, writeHostileArchive } from '../helpers/hostile-corpus.js';

/**
 * The escape suite's hostile layer corpus (issue 8), run under each of the three
 * storage drivers: every image is an attempt to reach the host through its
 * layers. Checked from the host each time: the sentinel tree the corpus aims at
 * hashes the same and its victims are still there, the store holds no
 * half-written layer and no leftover container; and from inside, the container
 * sees what overlayfs semantics say, whatever the driver.
 */
const DRIVERS = ['overlay', 'fuse-overlayfs', 'copy'] as const;

// The host directory the corpus aims at: created before the cases are named, since they name it.
const sentinel = mkdtempSync(join(tmpdir(), 'burrow-sentinel-'));
const scratch = mkdtempSync(join(tmpdir(), 'burrow-corpus-'));
const corpus = hostileCorpus(sentinel, scratch);

/** Every name, type, mode, size, time, link target and content under `dir`. */
function hashTree(dir: string): string {
  const hash = createHash('sha256');
  const walk = (path: string): void => {
    const stat = lstatSync(path);
    hash.update(`${path.slice(dir.length)}\0${stat.mode}\0${stat.uid}:${stat.gid}\0${stat.size}\0${stat.mtimeMs}\0`);
    if (stat.isSymbolicLink()) hash.update(readlinkSync(path));
    else if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
    else if (stat.isFile()) hash.update(readFileSync(path));
  };
  walk(dir);
  return hash.digest('hex');
}

let box: Sandbox;
let sentinelHash: string;
/** The busybox layer's directory and its hash: a layer outside the hostile ones. */
let baseLayer: { dir: string; hash: string };

beforeAll(async () => {
  box = sandbox();
  expect((await run(box, ['pull', '-q', `${bed().registries.anon}/busybox:latest`])).exitCode).toBe(0);
  // Victims a delete or a write through a symlink would reach.
  writeFileSync(join(sentinel, 'victim'), 'original');
  mkdirSync(join(sentinel, 'keep', 'nested'), { recursive: true });
  writeFileSync(join(sentinel, 'keep', 'nested', 'deep'), 'deep');
  symlinkSync('victim', join(sentinel, 'link'));
  mkdirSync(join(sentinel, 'etc'));
  writeFileSync(join(sentinel, 'etc', 'passwd'), 'hostuser:x:4242:4242::/host-home:/bin/sh\n');
  chmodSync(sentinel, 0o755);
  sentinelHash = hashTree(sentinel);

  const base = busyboxLayerTar();
  for (const image of corpus) {
    const archive = await writeHostileArchive(image, base, join(box.dir, 'corpus'));
    const loaded = await run(box, ['load', '-q', '-i', archive]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
  }
  // Unpack the base once, so its layer is there to be checked.
  expect((await run(box, ['run', '--rm', `${bed().registries.anon}/busybox:latest`, 'true'])).exitCode).toBe(0);
  const layers = join(box.root, 'layers');
  const [hex] = readdirSync(layers).filter((name) => !name.endsWith('.json'));
  baseLayer = { dir: join(layers, hex!), hash: hashTree(join(layers, hex!)) };
}, 300_000);

afterAll(async () => {
  await removeAllContainers(box);
  rmSync(sentinel, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/** What must hold after every attempt, whatever it did. */
function expectNothingOutsideChanged(): void {
  expect(hashTree(sentinel)).toBe(sentinelHash);
  expect(readFileSync(join(sentinel, 'victim'), 'utf8')).toBe('original');
  expect(readFileSync(join(sentinel, 'keep', 'nested', 'deep'), 'utf8')).toBe('deep');
  expect(hashTree(baseLayer.dir)).toBe(baseLayer.hash);
}

/** The store stays consistent: only whole layers (named by their digest, each with its info file), no scratch left, no container left. */
function expectStoreConsistent(): void {
  const layers = readdirSync(join(box.root, 'layers'));
  expect(layers.filter((name) => !/^[0-9a-f]{64}(\.json)?$/.test(name))).toEqual([]);
  const directories = layers.filter((name) => !name.endsWith('.json'));
  expect(layers.filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length)).sort()).toEqual(directories.sort());
  const containers = join(box.root, 'containers');
  expect(existsSync(containers) ? readdirSync(containers) : []).toEqual([]);
}

/** Images whose layers some run has unpacked: only that run notes what it skipped. */
const unpacked = new Set<string>();

for (const driver of DRIVERS) {
  describe(`hostile layers under --storage-driver ${driver}`, () => {
    for (const image of corpus) {
      it(image.title, async () => {
        const result = await run(box, ['run', '--rm', '--storage-driver', driver, ...(image.flags ?? []), image.tag, 'sh', '-c', image.check?.script ?? 'true'], { env: image.env, timeout: 120_000 });
        // The host first: that is the promise.
        expectNothingOutsideChanged();
        expectStoreConsistent();
        if (image.error !== undefined) {
          expect(expectOneLineError(result)).toMatch(image.error);
        } else {
          expect(result.exitCode, result.stderr).toBe(0);
          expect(result.stdout).toBe(image.check!.stdout);
          if (!unpacked.has(image.tag)) for (const note of image.notes ?? []) expect(result.stderr).toMatch(note);
          unpacked.add(image.tag);
          // Named as the image names them, never by the unpacker's scratch directory.
          expect(result.stderr).not.toMatch(/\/rootfs\//);
        }
      }, 180_000);
    }

    it('a job that replaces /etc and a volume\'s parent in its writable layer by links through /oldroot, then is started again', async () => {
      const name = `relink-${driver}`;
      const climb = '../'.repeat(12);
      // First start: plant the links (the image has no /etc of its own, so bubblewrap made
      // one in the writable layer and the job can rename it, under every driver). Second:
      // show where /etc/hosts and the volume landed.
      const job = [
        'if [ -L /etc ]; then ls /etc | tr "\\n" " "; echo; cat /data/vol/in-volume;',
        `else mv /etc /etc.old && ln -s /oldroot${sentinel} /etc && mv /data /data.old && ln -s ${climb}oldroot${sentinel} /data && readlink /etc && readlink /data; fi`,
      ].join(' ');
      try {
        const planted = await run(box, ['run', '--name', name, '--storage-driver', driver, '-v', `${join(scratch, 'volume')}:/data/vol`, 'hostile/no-etc:latest', 'sh', '-c', job]);
        expect(planted.exitCode, planted.stderr).toBe(0);
        expect(planted.stdout).toBe(`/oldroot${sentinel}\n${climb}oldroot${sentinel}`);
        const again = await run(box, ['start', '-a', name]);
        expectNothingOutsideChanged();
        expect(again.exitCode, again.stderr).toBe(0);
        // Both links lead to the same directory of the container's own: /etc's files and the volume's mount point.
        expect(again.stdout).toBe('hostname hosts resolv.conf vol \nvolume content');
      } finally {
        await run(box, ['rm', '-f', name]);
      }
      expectStoreConsistent();
    }, 120_000);
  });
}

describe('hostile layers: the store afterwards', () => {
  it('lists the images that unpacked and keeps no layer of those that were refused', async () => {
    const images = await run(box, ['images']);
    expect(images.exitCode, images.stderr).toBe(0);
    for (const image of corpus) expect(images.stdout).toContain(image.tag.split(':')[0]);
    // One directory per unpacked layer: busybox's and those of the images that ran.
    const layers = readdirSync(join(box.root, 'layers'));
    expect(layers.length).toBeGreaterThan(1);
    expectStoreConsistent();
  });
});
