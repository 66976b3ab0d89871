import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, busyboxLayerTar, fixture } from '../helpers/bed.js';
import { burrow, expectOneLineError, run, sandbox, type CliResult } from '../helpers/cli.js';
import { FaultProxy, isBlobGet, type SeenRequest } from '../helpers/fault-proxy.js';
import { hostileCorpus, writeHostileArchive, type HostileImage } from '../helpers/hostile-corpus.js';
import { until } from '../helpers/poll.js';

/**
 * The cold run (issue 9): `burrow run` of an image that is not in the store
 * pulls it and unpacks each layer while it downloads. Checked here: that the
 * layer is really being written while its blob is still arriving, that a layer
 * goes into place only once its blob is stored and verified, and that the
 * hostile-layer defences hold on this path too (the corpus images pushed to the
 * test bed's registry, run straight from there).
 */
let proxy: FaultProxy;
const sentinel = mkdtempSync(join(tmpdir(), 'burrow-cold-sentinel-'));
const scratch = mkdtempSync(join(tmpdir(), 'burrow-cold-corpus-'));
const corpus = hostileCorpus(sentinel, scratch);
const hostile = (tag: string): HostileImage => corpus.find((image) => image.tag === `hostile/${tag}:latest`)!;

beforeAll(async () => {
  proxy = await new FaultProxy(bed().registries.anon).start();
  writeFileSync(join(sentinel, 'victim'), 'original');
  // The corpus images this file runs, pushed to the registry as `docker save` archives.
  const base = busyboxLayerTar();
  for (const tag of ['traversal', 'nul-name', 'bomb', 'bomb-trailer', 'own-whiteout', 'pax-loop', 'root-entry']) {
    const archive = await writeHostileArchive(hostile(tag), base, scratch);
    await execa('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${bed().registries.anon}/hostile/${tag}:latest`]);
  }
}, 300_000);

afterAll(async () => {
  await proxy.stop();
  rmSync(sentinel, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/** A run that pulls says so first ("Unable to find image … locally"), then fails with one line. */
function lastLineError(result: CliResult): string {
  expect(result.exitCode).not.toBe(0);
  const lines = result.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^Unable to find image '.*' locally$/);
  return expectOneLineError({ ...result, stderr: lines.slice(1).join('\n') });
}

/** `layers/` holds whole layers only, each with its info file; the store's tmp/ no partial download. */
function expectOnlyWholeLayers(root: string): string[] {
  const layers = existsSync(join(root, 'layers')) ? readdirSync(join(root, 'layers')) : [];
  expect(layers.filter((name) => !/^[0-9a-f]{64}(\.json)?$/.test(name))).toEqual([]);
  const directories = layers.filter((name) => !name.endsWith('.json'));
  expect(layers.filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -5)).sort()).toEqual([...directories].sort());
  return directories;
}

describe('a cold run unpacks each layer while it downloads', () => {
  it('writes the layer while its blob is still arriving, and puts it in place once the blob is verified', async () => {
    const box = sandbox();
    const layerDigest = fixture('busybox:latest').layers!.at(-1)!;
    // The layer blob trickles in, so the test can look at the store in the middle of it.
    proxy.setRule((request) => (isBlobGet(request) && request.path.endsWith(layerDigest) ? { kind: 'throttle', bytesPerSecond: 256 * 1024 } : undefined));
    try {
      const running = burrow(box, ['run', '--rm', `${proxy.address}/busybox:latest`, 'sh', '-c', 'echo from-the-layer; ls /bin/busybox']);
      const partial = (): string[] => (existsSync(join(box.root, 'tmp')) ? readdirSync(join(box.root, 'tmp')).filter((name) => name.endsWith('.partial')) : []);
      const unpacking = (): string[] => (existsSync(join(box.root, 'layers')) ? readdirSync(join(box.root, 'layers')).filter((name) => name.startsWith('.unpacking-')) : []);
      // Both at once: the blob not yet whole, its layer already being written.
      await until(() => partial().length > 0 && unpacking().length > 0, 60_000, 'a layer being unpacked while its blob downloads');
      expect(readdirSync(join(box.root, 'layers')).filter((name) => /^[0-9a-f]{64}$/.test(name))).toEqual([]);
      const result = await running;
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(result.stdout).toBe('from-the-layer\n/bin/busybox');
      expect(expectOnlyWholeLayers(box.root)).toHaveLength(1);
      expect(partial()).toEqual([]);
    } finally {
      proxy.setRule(() => undefined);
    }
  }, 120_000);

  it('a download cut in the middle resumes, and the layer is still unpacked whole', async () => {
    const box = sandbox();
    const layerDigest = fixture('busybox:latest').layers!.at(-1)!;
    const isLayerGet = (request: SeenRequest): boolean => isBlobGet(request) && request.path.endsWith(layerDigest);
    const before = proxy.count(isLayerGet);
    proxy.setRule((request, count) => (isLayerGet(request) && count === before + 1 ? { kind: 'truncate', afterBytes: 100_000 } : undefined));
    try {
      const result = await run(box, ['run', '--rm', `${proxy.address}/busybox:latest`, 'sh', '-c', 'busybox --list | wc -l']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(Number(result.stdout.trim())).toBeGreaterThan(100);
      expect(expectOnlyWholeLayers(box.root)).toHaveLength(1);
      // It was cut, and resumed where it broke off.
      expect(proxy.seen.filter(isLayerGet).slice(before).map((request) => request.headers.range)).toEqual([undefined, 'bytes=100000-']);
    } finally {
      proxy.setRule(() => undefined);
    }
  }, 120_000);

  it('a corrupted blob: the run fails on the blob, and no layer of it is kept', async () => {
    const box = sandbox();
    const result = await run(box, ['run', '--rm', `${bed().registries.anon}/corrupt:latest`, 'true']);
    expect(lastLineError(result)).toMatch(/failed verification/);
    // Not even the layers whose blobs checked: a pull that fails puts none of its layers in place.
    expect(expectOnlyWholeLayers(box.root)).toEqual([]);
    expect(existsSync(join(box.root, 'layers')) ? readdirSync(join(box.root, 'layers')).filter((name) => name.startsWith('.unpacking-')) : []).toEqual([]);
  }, 120_000);
});

describe('the hostile-layer defences hold when layers are unpacked while they download', () => {
  for (const tag of ['traversal', 'own-whiteout', 'nul-name', 'bomb', 'bomb-trailer', 'pax-loop', 'root-entry']) {
    it(hostile(tag).title, async () => {
      const image = hostile(tag);
      const box = sandbox();
      const result = await run(box, ['run', '--rm', `${bed().registries.anon}/hostile/${tag}:latest`, 'sh', '-c', image.check?.script ?? 'true'], { env: image.env, timeout: 120_000 });
      // The host first.
      expect(readdirSync(sentinel)).toEqual(['victim']);
      expect(readFileSync(join(sentinel, 'victim'), 'utf8')).toBe('original');
      expectOnlyWholeLayers(box.root);
      expect(readdirSync(join(box.root, 'layers')).filter((name) => name.startsWith('.unpacking-'))).toEqual([]);
      if (image.error !== undefined) {
        expect(lastLineError(result)).toMatch(image.error);
      } else {
        expect(result.exitCode, result.stderr).toBe(0);
        expect(result.stdout).toBe(image.check!.stdout);
        for (const note of image.notes ?? []) expect(result.stderr).toMatch(note);
      }
    }, 180_000);
  }
});
