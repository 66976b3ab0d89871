import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, fixture } from '../helpers/bed.js';
import { run, sandbox, type Sandbox, jsonLines } from '../helpers/cli.js';
import { actionCheckout, postEnv, readCommandFile, runStep, stepEnv, stepFiles, type StepFiles } from '../helpers/action.js';
import { FaultProxy, isBlobGet, isManifestGet, isManifestHead } from '../helpers/fault-proxy.js';
import { SimulatedCacheService, type SimRequest } from '../support/fake-cache-service.js';
// @actions/cache's own Azure SDK (its dependency, in the Action's bundle): what the simulation must answer.
import { AnonymousCredential, BlockBlobClient } from '@azure/storage-blob';

/**
 * The Action's `cache: true` against a SIMULATED GitHub cache service
 * (test/support/fake-cache-service.ts: cache service v2's twirp calls, and Azure blob
 * storage's block blob operations behind the signed URLs, as @actions/cache 6 and the
 * Azure SDK bundled in dist/ make them): no runner here offers the real one. The rest
 * is real: the committed dist/ bundle run as the runner runs it, as the unprivileged
 * test user, a real registry behind a proxy that counts what is pulled, real stores.
 *
 * Each run is a fresh runner at the same paths (GitHub's runners are new machines with
 * the same RUNNER_TEMP and workspace paths on every run; @actions/cache's archive is
 * relative to the workspace, and its version hashes the cached path): an empty store,
 * an empty temp directory, a new workflow run id.
 */

let action: string;
/** The registry, through a proxy that records every request: what a run pulled. */
let registry: FaultProxy;


const hash16 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** The key a run saves, worked out here from its parts: the images, their manifest digests, the run. */
function expectedKey(image: string | string[], manifestDigest: string | string[], runId: number): string {
  const sorted = (value: string | string[]): string => [value].flat().sort().join('\n');
  return `burrow-blobs-linux-amd64-${hash16(sorted(image))}-${hash16(sorted(manifestDigest))}-${runId}.1`;
}

let runIds = 7000;
/** Every runner's directories and stores, removed after the file. */
const made: Array<{ dirs: string[]; box: Sandbox }> = [];

class Runner {
  readonly files: StepFiles = stepFiles();
  box: Sandbox = sandbox();
  runId = 0;

  constructor() {
    made.push({ dirs: [this.files.dir, this.box.dir], box: this.box });
  }

  /** A new machine at the same paths: empty workspace and temp, a new store, the next run id. */
  fresh(): this {
    for (const dir of [this.files.workspace, this.files.temp]) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
    }
    for (const file of [this.files.output, this.files.state, this.files.summary]) writeFileSync(file, '');
    this.box = sandbox();
    made.push({ dirs: [this.box.dir], box: this.box });
    this.runId = ++runIds;
    return this;
  }
}

interface Ran {
  exitCode: number | undefined;
  log: string;
  outputs: Record<string, string>;
}

async function runAction(runner: Runner, service: SimulatedCacheService, inputs: Record<string, string>, withService = true): Promise<Ran> {
  const env = stepEnv(runner.box, runner.files, inputs, {
    // A runner's PATH (the test's own may name directories the test user cannot read, which @actions/cache's which() complains of).
    PATH: '/usr/local/bin:/usr/bin:/bin',
    ...(withService ? service.env() : {}),
    GITHUB_RUN_ID: String(runner.runId), GITHUB_RUN_ATTEMPT: '1' });
  const main = await runStep(action, 'main', env, runner.files.workspace);
  const post = await runStep(action, 'post', postEnv(env, runner.files), runner.files.workspace);
  expect(post.exitCode, String(post.stdout) + String(post.stderr)).toBe(0);
  return { exitCode: main.exitCode, log: `${String(main.stdout)}\n${String(main.stderr)}`, outputs: readCommandFile(runner.files.output) };
}

const calls = (requests: SimRequest[]): string[] => requests.map((request) => `${request.side} ${request.operation} ${request.status}`);

/** The names in a saved archive (zstd-compressed tar, as @actions/cache makes it when zstd is installed). */
function archiveNames(file: string): string[] {
  return execFileSync('sh', ['-c', 'zstd -d -c "$1" | tar -t -P', 'sh', file], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

async function storeIsConsistent(box: Sandbox): Promise<void> {
  const checked = await run(box, ['system', 'check'], { timeout: 120_000 });
  expect(checked.exitCode, checked.stdout + checked.stderr).toBe(0);
  expect(checked.stdout.trim().split('\n').at(-1)).toBe('The store is consistent');
}

async function imagesIn(box: Sandbox): Promise<string[]> {
  const listed = await run(box, ['images', '--format', 'json']);
  expect(listed.exitCode, listed.stderr).toBe(0);
  return jsonLines<{ Repository: string; Tag: string }>(listed.stdout).map((image) => `${image.Repository}:${image.Tag}`);
}

/** One twirp call to the simulated service, as @actions/cache makes it. */
async function twirp(service: SimulatedCacheService, method: string, body: object, token = service.token): Promise<{ status: number; answer: Record<string, unknown> }> {
  const response = await fetch(`${service.url}/twirp/github.actions.results.api.v1.CacheService/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, answer: (await response.json()) as Record<string, unknown> };
}

/** The Azure SDK's client for a signed URL, reaching the simulated storage as its proxy (as HTTP_PROXY makes it in the Action). */
function blobClient(service: SimulatedCacheService, url: string): BlockBlobClient {
  const { hostname, port, protocol } = new URL(service.url);
  return new BlockBlobClient(url, new AnonymousCredential(), { proxyOptions: { host: `${protocol}//${hostname}`, port: Number(port) }, retryOptions: { maxTries: 1 } });
}

describe('the simulated cache service answers what @actions/cache 6 and the Azure SDK ask (simulation)', () => {
  it('takes an archive of several blocks (Put Block, Put Block List), finds it by prefix once finalized, serves it in ranges, and refuses what the signatures and token do not allow (simulation)', async () => {
    const service = await new SimulatedCacheService().start();
    const scratch = mkdtempSync(join(tmpdir(), 'burrow-sim-'));
    try {
      const archive = join(scratch, 'cache.tzst');
      const content = randomBytes(3 * 1024 * 1024 + 123);
      writeFileSync(archive, content);
      const version = 'v'.repeat(64);
      expect((await twirp(service, 'CreateCacheEntry', { key: 'k-1', version }, 'wrong')).status).toBe(401);
      const created = await twirp(service, 'CreateCacheEntry', { key: 'k-1', version });
      expect(created.answer.ok).toBe(true);
      const upload = String(created.answer.signed_upload_url);
      // Not found before it is finalized.
      expect((await twirp(service, 'GetCacheEntryDownloadURL', { key: 'k-1', restore_keys: ['k-'], version })).answer).toEqual({ ok: false });
      // Larger than the single-shot size: blocks, then the list (as @actions/cache does above 128 MiB).
      await blobClient(service, upload).uploadFile(archive, { blockSize: 1024 * 1024, maxSingleShotSize: 1024 * 1024, concurrency: 2 });
      expect(calls(service.requests.filter((request) => request.side === 'blob'))).toEqual([...Array(4).fill('blob PutBlock 201'), 'blob PutBlockList 201']);
      expect((await twirp(service, 'FinalizeCacheEntryUpload', { key: 'k-1', version, size_bytes: String(content.length + 1) })).answer.ok).toBe(false);
      expect((await twirp(service, 'FinalizeCacheEntryUpload', { key: 'k-1', version, size_bytes: String(content.length) })).answer).toEqual({ ok: true, entry_id: '1' });
      // Entries are immutable: the key again is refused.
      expect((await twirp(service, 'CreateCacheEntry', { key: 'k-1', version })).status).toBe(409);
      // Another version (other paths or compression) does not match.
      expect((await twirp(service, 'GetCacheEntryDownloadURL', { key: 'k-none', restore_keys: ['k-'], version: 'w'.repeat(64) })).answer).toEqual({ ok: false });
      const found = await twirp(service, 'GetCacheEntryDownloadURL', { key: 'k-none', restore_keys: ['k-'], version });
      expect(found.answer).toMatchObject({ ok: true, matched_key: 'k-1' });
      const download = String(found.answer.signed_download_url);

      service.requests.length = 0;
      const client = blobClient(service, download);
      expect((await client.getProperties()).contentLength).toBe(content.length);
      const got = await client.downloadToBuffer(0, content.length, { blockSize: 1024 * 1024, concurrency: 2 });
      expect(got.equals(content)).toBe(true);
      const ranges = service.requests.filter((request) => request.operation === 'GetBlob').map((request) => request.range).sort();
      expect(ranges).toEqual(['bytes=0-1048575', 'bytes=1048576-2097151', 'bytes=2097152-3145727', 'bytes=3145728-3145850']);
      // A read URL does not write; a URL whose signature was tampered with does nothing.
      await expect(client.upload('x', 1)).rejects.toMatchObject({ statusCode: 403 });
      await expect(blobClient(service, download.replace(/sp=r/, 'sp=cw')).upload('x', 1)).rejects.toMatchObject({ statusCode: 403 });
      expect(readFileSync(service.blobFile('k-1')).equals(content)).toBe(true);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      await service.stop();
    }
  });
});

describe('the Action\'s cache: true against a simulated GitHub cache service', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    action = actionCheckout();
    registry = await new FaultProxy(bed().registries.anon).start();
  });

  afterAll(async () => {
    await registry?.stop();
    rmSync(action, { recursive: true, force: true });
    // A store's unpacked layers hold files of subordinate ids: removed inside burrow's user namespace.
    for (const { dirs, box } of made) {
      if (existsSync(box.root)) await run(box, ['unshare', 'rm', '-rf', box.root]);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a first run saves the image\'s blobs under its digest key; the next, on a fresh runner, restores them before the pull and pulls nothing (simulation)', async () => {
    const service = await new SimulatedCacheService().start();
    try {
      const image = `${registry.address}/busybox:latest`;
      const busybox = fixture('busybox:latest');
      const runner = new Runner();

      const first = await runAction(runner.fresh(), service, { image, run: 'echo first-run', cache: 'true' });
      expect(first.exitCode, first.log).toBe(0);
      expect(first.log).toContain('first-run');
      expect(first.log).toContain('cache: no cache for these images yet');
      const key = expectedKey(image, busybox.digest, runner.runId);
      expect(service.keys()).toEqual([key]);
      expect(first.log).toContain(`cache: saved ${key}: 1 image(s), 3 blob(s)`);
      // A miss (restore, then the lookup that tells a miss from a broken entry), the key
      // reserved, the archive put as one block blob, the entry finalized at its size.
      expect(calls(service.requests)).toEqual([
        'service GetCacheEntryDownloadURL 200',
        'service GetCacheEntryDownloadURL 200',
        'service CreateCacheEntry 200',
        'blob PutBlob 201',
        'service FinalizeCacheEntryUpload 200',
      ]);
      expect(service.requests.find((request) => request.operation === 'FinalizeCacheEntryUpload')!.answer).toMatchObject({ ok: true });
      // The archive: the cache directory, an OCI layout of the compressed blobs (never an unpacked layer).
      const names = archiveNames(service.blobFile(key));
      const hexes = [busybox.digest, ...busybox.layers!].map((digest) => digest.slice('sha256:'.length));
      for (const hex of hexes) expect(names.some((name) => name.endsWith(`burrow-blob-cache/blobs/sha256/${hex}`)), names.join('\n')).toBe(true);
      expect(names.some((name) => name.endsWith('burrow-blob-cache/index.json'))).toBe(true);
      expect(names.filter((name) => /\/layers?\//.test(name))).toEqual([]);
      // Nothing of the export is left in the runner's temp directory.
      expect(existsSync(join(runner.files.temp, 'burrow-blob-cache'))).toBe(false);

      service.requests.length = 0;
      registry.seen.length = 0;
      const second = await runAction(runner.fresh(), service, { image, run: 'echo second-run', cache: 'true' });
      expect(second.exitCode, second.log).toBe(0);
      expect(second.log).toContain('second-run');
      const restoredAt = second.log.indexOf(`cache: restored ${key}: 1 image(s), 3 blob(s) taken into the store`);
      expect(restoredAt, second.log).toBeGreaterThan(-1);
      // Restored before the pull, which found the image there: one HEAD, not a blob or manifest fetched.
      expect(restoredAt).toBeLessThan(second.log.indexOf('::group::pull '));
      expect(second.log).toContain(`${image}: up to date (${busybox.digest})`);
      expect(registry.seen.filter((request) => isBlobGet(request) || isManifestGet(request))).toEqual([]);
      expect(registry.count(isManifestHead)).toBe(1);
      expect(second.outputs['image-digest']).toBe(busybox.digest);
      // Downloaded as the Azure SDK does: the blob's properties, then ranged reads.
      const blobCalls = service.requests.filter((request) => request.side === 'blob');
      expect(blobCalls.map((request) => `${request.operation} ${request.status}`)).toEqual(['GetBlobProperties 200', 'GetBlob 206']);
      expect(blobCalls[1]!.range).toBe(`bytes=0-${statSync(service.blobFile(key)).size - 1}`);
      // The same content: nothing saved again.
      expect(second.log).toContain(`cache: ${key} is up to date`);
      expect(service.requests.filter((request) => request.operation === 'CreateCacheEntry')).toEqual([]);
      expect(service.keys()).toEqual([key]);
      await storeIsConsistent(runner.box);
    } finally {
      await service.stop();
    }
  });

  it('runs a digest-pinned image from the cache with its registry unreachable, which fails without the cache (simulation)', async () => {
    const service = await new SimulatedCacheService().start();
    const gone = await new FaultProxy(bed().registries.anon).start();
    try {
      const busybox = fixture('busybox:latest');
      const image = `${gone.address}/busybox@${busybox.digest}`;
      const runner = new Runner();
      const first = await runAction(runner.fresh(), service, { image, run: 'echo pinned', cache: 'true' });
      expect(first.exitCode, first.log).toBe(0);
      expect(service.keys()).toEqual([expectedKey(image, busybox.digest, runner.runId)]);

      await gone.stop();
      const second = await runAction(runner.fresh(), service, { image, run: 'echo ran-without-the-registry', cache: 'true' });
      expect(second.exitCode, second.log).toBe(0);
      expect(second.log).toContain('ran-without-the-registry');
      expect(second.log).toContain(`cache: restored ${service.keys()[0]}: 1 image(s)`);
      expect(second.outputs['image-digest']).toBe(busybox.digest);

      // The control: the registry is unreachable indeed.
      const without = await runAction(runner.fresh(), service, { image, run: 'echo never' }, false);
      expect(without.exitCode).toBe(1);
      expect(without.outputs['exit-code']).toBe('125');
      expect(without.log).not.toContain('never\n');
    } finally {
      await gone.stop();
      await service.stop();
    }
  });

  it('misses when the key changes (other images): pulls, and saves an entry of its own beside the first (simulation)', async () => {
    const service = await new SimulatedCacheService().start();
    try {
      const runner = new Runner();
      const busybox = `${registry.address}/busybox:latest`;
      const first = await runAction(runner.fresh(), service, { image: busybox, run: 'true', cache: 'true' });
      expect(first.exitCode, first.log).toBe(0);
      expect(service.keys()).toHaveLength(1);

      service.requests.length = 0;
      registry.seen.length = 0;
      const other = `${registry.address}/compression:gzip`;
      const second = await runAction(runner.fresh(), service, { image: other, run: 'echo other-image', cache: 'true' });
      expect(second.exitCode, second.log).toBe(0);
      expect(second.log).toContain('cache: no cache for these images yet');
      expect(second.log).not.toContain('cache: restored');
      const lookups = service.requests.filter((request) => request.operation === 'GetCacheEntryDownloadURL');
      expect(lookups.map((request) => request.answer)).toEqual([{ ok: false }, { ok: false }]);
      expect(service.requests.some((request) => request.side === 'blob' && request.operation === 'GetBlob')).toBe(false);
      // Pulled: the layers came from the registry.
      expect(registry.count(isBlobGet)).toBeGreaterThan(0);
      expect(await imagesIn(runner.box)).toEqual([other]);
      const key = expectedKey(other, fixture('compression:gzip').digest, runner.runId);
      expect(service.keys()).toEqual([first.log.match(/cache: saved (\S+):/)![1], key]);
    } finally {
      await service.stop();
    }
  });

  it('caches a job file\'s image and its services\' together: the next run starts the service and the steps with nothing pulled (simulation)', async () => {
    const service = await new SimulatedCacheService().start();
    try {
      const image = `${registry.address}/busybox:latest`;
      const db = `${registry.address}/compression:gzip`;
      const job = ['image: ' + image, 'services:', '  db:', `    image: ${db}`, '    command: [sleep, "300"]', 'steps:', '  - name: reach the service', '    run: grep -qw db /etc/hosts && echo service-reachable'].join('\n');
      const runner = new Runner();
      runner.fresh();
      writeFileSync(join(runner.files.workspace, 'job.yml'), job);
      const first = await runAction(runner, service, { 'job-file': 'job.yml', cache: 'true' });
      expect(first.exitCode, first.log).toBe(0);
      expect(first.log).toContain('service-reachable');
      const key = expectedKey([image, db], [fixture('busybox:latest').digest, fixture('compression:gzip').digest], runner.runId);
      expect(service.keys()).toEqual([key]);
      expect(first.log).toContain(`cache: saved ${key}: 2 image(s)`);

      registry.seen.length = 0;
      runner.fresh();
      writeFileSync(join(runner.files.workspace, 'job.yml'), job);
      const second = await runAction(runner, service, { 'job-file': 'job.yml', cache: 'true' });
      expect(second.exitCode, second.log).toBe(0);
      expect(second.log).toContain('service-reachable');
      expect(second.log).toContain(`cache: restored ${key}: 2 image(s)`);
      expect(registry.seen.filter((request) => isBlobGet(request) || isManifestGet(request))).toEqual([]);
      expect(second.log).toContain(`cache: ${key} is up to date`);
      expect((await imagesIn(runner.box)).sort()).toEqual([image, db].sort());
    } finally {
      await service.stop();
    }
  });

  for (const how of ['truncate', 'corrupt'] as const) {
    it(`an archive ${how === 'truncate' ? 'cut to half' : 'with bytes flipped'} restores nothing: the job pulls, the store stays consistent, a new entry replaces it (simulation)`, async () => {
      const service = await new SimulatedCacheService().start();
      try {
        const image = `${registry.address}/busybox:latest`;
        const runner = new Runner();
        const first = await runAction(runner.fresh(), service, { image, run: 'true', cache: 'true' });
        expect(first.exitCode, first.log).toBe(0);
        const [damaged] = service.keys();
        service.damage(damaged!, how);

        registry.seen.length = 0;
        const second = await runAction(runner.fresh(), service, { image, run: 'echo ran-after-a-bad-cache', cache: 'true' });
        expect(second.exitCode, second.log).toBe(0);
        expect(second.log).toContain('ran-after-a-bad-cache');
        // @actions/cache's own warning, then burrow's line: the entry was there, and is of no use.
        expect(second.log).toMatch(/^::warning::Failed to restore: /m);
        expect(second.log).toContain(`cache: ${damaged} could not be restored (see the warning above): the images are pulled, and a new cache saved`);
        expect(registry.count(isBlobGet)).toBeGreaterThan(0);
        expect(await imagesIn(runner.box)).toEqual([image]);
        await storeIsConsistent(runner.box);
        // Half an archive left nothing behind.
        expect(existsSync(join(runner.files.temp, 'burrow-blob-cache'))).toBe(false);
        const repaired = expectedKey(image, fixture('busybox:latest').digest, runner.runId);
        expect(service.keys()).toEqual([damaged, repaired]);

        // The next run restores the new entry (the newest of the prefix), and pulls nothing.
        registry.seen.length = 0;
        const third = await runAction(runner.fresh(), service, { image, run: 'true', cache: 'true' });
        expect(third.exitCode, third.log).toBe(0);
        expect(third.log).toContain(`cache: restored ${repaired}: 1 image(s)`);
        expect(registry.count(isBlobGet)).toBe(0);
        expect(third.log).toContain(`cache: ${repaired} is up to date`);
      } finally {
        await service.stop();
      }
    });
  }

  /**
   * Unpacks a saved archive, lets `change` alter the cache directory in it, and packs it
   * again as @actions/cache does (tar, zstd): a whole archive whose content is not.
   */
  function repack(archive: string, change: (cacheDir: string) => void): void {
    const scratch = mkdtempSync(join(tmpdir(), 'burrow-repack-'));
    try {
      const workspace = join(scratch, 'workspace');
      mkdirSync(workspace);
      // The names are relative to the saving runner's workspace (../runner-temp/burrow-blob-cache/…).
      const top = archiveNames(archive)[0]!.replace(/\/$/, '');
      execFileSync('sh', ['-c', 'zstd -d -c "$1" | tar -x -P -C "$2"', 'sh', archive, workspace]);
      change(join(workspace, top));
      execFileSync('sh', ['-c', 'tar --posix -c -P -C "$2" "$3" | zstd -q -f -o "$1"', 'sh', archive, workspace, top]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  it('a blob that does not match its digest, in a well-formed archive, is left out of the store; the image is pulled (simulation)', async () => {
    const service = await new SimulatedCacheService().start();
    try {
      const image = `${registry.address}/busybox:latest`;
      const busybox = fixture('busybox:latest');
      const runner = new Runner();
      const first = await runAction(runner.fresh(), service, { image, run: 'true', cache: 'true' });
      expect(first.exitCode, first.log).toBe(0);
      const [key] = service.keys();
      // The layer's bytes changed, its size kept.
      repack(service.blobFile(key!), (cacheDir) => {
        const layer = join(cacheDir, 'blobs', 'sha256', busybox.layers![0]!.slice('sha256:'.length));
        const bytes = readFileSync(layer);
        bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
        writeFileSync(layer, bytes);
      });

      registry.seen.length = 0;
      const second = await runAction(runner.fresh(), service, { image, run: 'echo ran-after-a-damaged-blob', cache: 'true' });
      expect(second.exitCode, second.log).toBe(0);
      expect(second.log).toContain('ran-after-a-damaged-blob');
      expect(second.log).toMatch(new RegExp(`cache: ${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} left out: the cache's blob ${busybox.layers![0]} hashes to sha256:[0-9a-f]{64} \\(damaged\\)`));
      expect(second.log).toContain(`cache: restored ${key}: 0 image(s)`);
      // The layer came from the registry, and the store holds only what hashes right.
      expect(registry.count(isBlobGet)).toBeGreaterThan(0);
      await storeIsConsistent(runner.box);
      const blobs = readdirSync(join(runner.box.root, 'blobs', 'sha256'));
      for (const blob of blobs) expect(createHash('sha256').update(readFileSync(join(runner.box.root, 'blobs', 'sha256', blob))).digest('hex')).toBe(blob);
      // The entry of the same content was damaged: a new one is saved, and is the newest.
      expect(service.keys()).toEqual([key, expectedKey(image, busybox.digest, runner.runId)]);
    } finally {
      await service.stop();
    }
  });

  it('an unreadable index in a well-formed archive costs a pull, not the job (simulation)', async () => {
    const service = await new SimulatedCacheService().start();
    try {
      const image = `${registry.address}/busybox:latest`;
      const runner = new Runner();
      const first = await runAction(runner.fresh(), service, { image, run: 'true', cache: 'true' });
      expect(first.exitCode, first.log).toBe(0);
      const [key] = service.keys();
      repack(service.blobFile(key!), (cacheDir) => writeFileSync(join(cacheDir, 'index.json'), '{"manifests": [ not json'));

      registry.seen.length = 0;
      const second = await runAction(runner.fresh(), service, { image, run: 'echo ran-after-a-bad-index', cache: 'true' });
      expect(second.exitCode, second.log).toBe(0);
      expect(second.outputs['exit-code']).toBe('0');
      expect(second.log).toContain('ran-after-a-bad-index');
      expect(second.log).toMatch(new RegExp(`cache: ${key} is unusable \\(.*index\\.json is unreadable.*\\): the images are pulled, and a new cache saved`));
      expect(registry.count(isBlobGet)).toBeGreaterThan(0);
      expect(await imagesIn(runner.box)).toEqual([image]);
      await storeIsConsistent(runner.box);
      expect(service.keys()).toEqual([key, expectedKey(image, fixture('busybox:latest').digest, runner.runId)]);
    } finally {
      await service.stop();
    }
  });
});
