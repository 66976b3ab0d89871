import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, fixture } from '../helpers/bed.js';
import { burrow, expectOneLineError, run, sandbox, storeSnapshot } from '../helpers/cli.js';
import { FaultProxy, isBlobGet, isManifestGet, isManifestHead, type FaultAction } from '../helpers/fault-proxy.js';
import { until } from '../helpers/poll.js';

let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await new FaultProxy(bed().registries.anon).start();
});
afterAll(async () => {
  await proxy.stop();
});

const layerOf = (name: string): string => fixture(name).layers!.at(-1)!;

describe('a pull that meets a broken network or registry', () => {
  it('registry down: says connection refused, fast', async () => {
    const box = sandbox();
    const closed = await new Promise<number>((resolve) => {
      const server = createNetServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const result = await run(box, ['pull', `127.0.0.1:${closed}/busybox:latest`]);
    expect(expectOneLineError(result)).toMatch(/cannot connect to 127\.0\.0\.1:\d+: connection refused/);
    expect(result.exitCode).toBe(1);
  });

  it('registry that hangs: times out with a clear error', async () => {
    const box = sandbox({ config: { retries: 2 } });
    const hanging: NetServer = createNetServer(() => {
      // Accept and never answer.
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const port = (hanging.address() as AddressInfo).port;
      const result = await run(box, ['pull', `127.0.0.1:${port}/busybox:latest`], { env: { BURROW_HTTP_TIMEOUT: '1' } });
      expect(expectOneLineError(result)).toMatch(/did not answer within 1 s/);
    } finally {
      hanging.close();
    }
  });

  it('a corrupted blob is refused and nothing of it is stored', async () => {
    const box = sandbox();
    expect((await run(box, ['pull', '-q', `${bed().registries.anon}/busybox:latest`])).exitCode).toBe(0);
    const before = storeSnapshot(box.root);
    const result = await run(box, ['pull', `${bed().registries.anon}/corrupt:latest`]);
    expect(expectOneLineError(result)).toMatch(new RegExp(`blob ${layerOf('corrupt:latest')} failed verification`));
    const after = storeSnapshot(box.root);
    expect(after.index).toBe(before.index);
    expect(after.blobs).not.toContain(layerOf('corrupt:latest').slice(7));
    expect(after.tmp.filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('a truncated blob is resumed with a Range request', async () => {
    const box = sandbox();
    const layer = layerOf('big:latest');
    proxy.seen.length = 0;
    proxy.setRule((request, count) => (isBlobGet(request) && request.path.endsWith(layer) && count === 1 ? { kind: 'truncate', afterBytes: 3_000_000 } : undefined));
    const result = await run(box, ['pull', `${proxy.address}/big:latest`]);
    proxy.setRule(() => undefined);
    expect(result.stderr).toMatch(/Retrying/);
    expect(result.exitCode).toBe(0);
    const gets = proxy.seen.filter((request) => isBlobGet(request) && request.path.endsWith(layer));
    expect(gets).toHaveLength(2);
    expect(gets[1]!.headers.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/bytes=(\d+)-/.exec(gets[1]!.headers.range!)![1])).toBeGreaterThan(0);
    expect(storeSnapshot(box.root).blobs).toContain(layer.slice(7));
  });

  it('a blob that always breaks off fails after the retries, keeping the store as it was', async () => {
    const box = sandbox({ config: { retries: 2 } });
    const layer = layerOf('big:latest');
    proxy.setRule((request) => (isBlobGet(request) && request.path.endsWith(layer) && request.headers.range === undefined ? { kind: 'truncate', afterBytes: 1000 } : isBlobGet(request) && request.path.endsWith(layer) ? { kind: 'truncate', afterBytes: 10 } : undefined));
    const result = await run(box, ['pull', '-q', `${proxy.address}/big:latest`]);
    proxy.setRule(() => undefined);
    expect(expectOneLineError(result)).toMatch(/broke off|ended after/);
    expect(storeSnapshot(box.root).index).toBe('');
  });

  it('retries 429 and 503 answers, honouring Retry-After', async () => {
    const box = sandbox();
    proxy.seen.length = 0;
    proxy.setRule((request, count) => {
      if (isManifestGet(request) && count === 1) return { kind: 'status', status: 429, headers: { 'retry-after': '1' } };
      if (isBlobGet(request) && count === 1) return { kind: 'status', status: 503 };
      return undefined;
    });
    const result = await run(box, ['pull', `${proxy.address}/busybox:latest`]);
    proxy.setRule(() => undefined);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(proxy.count(isManifestGet)).toBe(2);
    expect(proxy.count(isBlobGet)).toBeGreaterThanOrEqual(2);
    // Honoured: the retried manifest request reached the registry no sooner than the
    // Retry-After (1 s) of the 429 after the first one (a lower bound, seen by the server).
    const [refused, retried] = proxy.seen.filter(isManifestGet);
    expect(retried!.receivedAt - refused!.receivedAt).toBeGreaterThanOrEqual(1000);
  });

  it('a manifest that is not JSON', async () => {
    const box = sandbox();
    // HEAD and GET agree on it (the registry serves it consistently): the content itself is wrong.
    proxy.setRule((request) => (isManifestGet(request) || isManifestHead(request) ? servedManifest('<html>oops</html>') : undefined));
    const result = await run(box, ['pull', `${proxy.address}/busybox:latest`]);
    proxy.setRule(() => undefined);
    expect(expectOneLineError(result)).toMatch(/invalid image manifest of .*busybox:latest: not JSON/);
  });

  it('a manifest that breaks the schema names the field', async () => {
    const box = sandbox();
    const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: fixture('busybox:latest').config }, layers: [] });
    proxy.setRule((request) => (isManifestGet(request) || isManifestHead(request) ? servedManifest(body) : undefined));
    const result = await run(box, ['pull', `${proxy.address}/busybox:latest`]);
    proxy.setRule(() => undefined);
    expect(expectOneLineError(result)).toMatch(/field "config\.size" is missing/);
  });

  it('a manifest whose bytes do not match the requested digest', async () => {
    const box = sandbox();
    const { digest } = fixture('busybox:latest');
    proxy.setRule((request) => (isManifestGet(request) ? { kind: 'status', status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: '{"schemaVersion":2}' } : undefined));
    const result = await run(box, ['pull', `${proxy.address}/busybox@${digest}`]);
    proxy.setRule(() => undefined);
    expect(expectOneLineError(result)).toMatch(/hashes to sha256:[a-f0-9]{64}, not sha256:/);
  });

  it('a second pull of the same tag sends HEAD, not GET, for the manifest', async () => {
    const box = sandbox();
    expect((await run(box, ['pull', '-q', `${proxy.address}/multilayer:oci`])).exitCode).toBe(0);
    proxy.seen.length = 0;
    const again = await run(box, ['pull', `${proxy.address}/multilayer:oci`]);
    expect(again.stdout).toContain('Image is up to date');
    expect(proxy.count(isManifestHead)).toBe(1);
    expect(proxy.count(isManifestGet)).toBe(0);
    expect(proxy.count(isBlobGet)).toBe(0);
  });

  it('redirects to blob storage on another host never carry the Authorization header', async () => {
    const box = sandbox();
    const basic = bed().registries.basic;
    const credentials = `Basic ${Buffer.from(`alice:${bed().users.alice}`).toString('base64')}`;
    const storageSeen: (string | undefined)[] = [];
    // "Blob storage" on another loopback address: serves the blob itself, the way S3 serves a signed URL.
    const storage = createServer((req, res) => {
      storageSeen.push(req.headers.authorization);
      const upstream = httpRequest(`http://${basic}${req.url}`, { headers: { authorization: credentials } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.end();
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.2', resolve));
    const storageHost = `127.0.0.2:${(storage.address() as AddressInfo).port}`;
    const front = await new FaultProxy(basic).start();
    front.setRule((request) => (isBlobGet(request) ? { kind: 'redirect', location: `http://${storageHost}${request.path}` } : undefined));
    try {
      writeDockerAuth(box.home, front.address, credentials);
      const result = await run(box, ['pull', `${front.address}/private/busybox:latest`]);
      expect(result.exitCode).toBe(0);
      expect(front.seen.filter(isBlobGet).every((request) => request.headers.authorization === credentials)).toBe(true);
      expect(storageSeen.length).toBeGreaterThan(0);
      expect(storageSeen.every((header) => header === undefined)).toBe(true);
    } finally {
      await front.stop();
      storage.close();
    }
  });
});

describe('a pull that is stopped', () => {
  it('Ctrl-C: exits 130 with one line, the store unchanged; the next pull resumes', async () => {
    const box = sandbox();
    const layer = layerOf('big:latest');
    proxy.seen.length = 0;
    proxy.setRule((request) => (isBlobGet(request) && request.path.endsWith(layer) && request.headers.range === undefined ? { kind: 'throttle', bytesPerSecond: 2_000_000 } : undefined));
    const before = storeSnapshot(box.root);
    const child = burrow(box, ['pull', `${proxy.address}/big:latest`]);
    // Interrupted mid-download: once part of the layer is on disk (a byte count, not a guessed delay).
    await until(() => proxy.count((request) => isBlobGet(request) && request.path.endsWith(layer)) > 0 && partialBytes(box.root) > 1_000_000, 20_000, 'a megabyte of the layer in a partial file');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(String(result.stderr).trim().split('\n').at(-1)).toMatch(/^burrow: interrupted; the store is unchanged/);
    const after = storeSnapshot(box.root);
    expect(after.index).toBe(before.index);
    expect(after.blobs).not.toContain(layer.slice(7));
    proxy.setRule(() => undefined);
    const resumed = await run(box, ['pull', `${proxy.address}/big:latest`]);
    expect(resumed.exitCode).toBe(0);
    const last = proxy.seen.filter((request) => isBlobGet(request) && request.path.endsWith(layer)).at(-1)!;
    expect(last.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('kill -9: the next pull completes (locks die with the process)', async () => {
    const box = sandbox();
    const layer = layerOf('big:latest');
    proxy.setRule((request) => (isBlobGet(request) && request.path.endsWith(layer) ? { kind: 'throttle', bytesPerSecond: 1_000_000 } : undefined));
    const child = burrow(box, ['pull', `${proxy.address}/big:latest`]);
    await until(() => partials(box.root) > 0, 20_000);
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    proxy.setRule(() => undefined);
    expect(storeSnapshot(box.root).index).toBe('');
    const again = await run(box, ['pull', '-q', `${proxy.address}/big:latest`], { timeout: 30_000 });
    expect(again.exitCode).toBe(0);
    expect(storeSnapshot(box.root).tmp.filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('three concurrent pulls of one image all succeed, each blob downloaded once', async () => {
    const box = sandbox();
    proxy.seen.length = 0;
    proxy.setRule((request) => (isBlobGet(request) ? { kind: 'throttle', bytesPerSecond: 4_000_000 } : undefined));
    const results = await Promise.all([1, 2, 3].map(() => run(box, ['pull', '-q', `${proxy.address}/big:latest`])));
    proxy.setRule(() => undefined);
    expect(results.map((result) => result.exitCode)).toEqual([0, 0, 0]);
    for (const digest of [...fixture('big:latest').layers!]) {
      expect(proxy.count((request) => isBlobGet(request) && request.path.endsWith(digest))).toBe(1);
    }
  });
});

describe('a full disk', () => {
  it.skipIf(bed().tinyfs === null)('fails with one line, frees what it wrote, keeps the rest of the store', async () => {
    const root = join(bed().tinyfs!, `store-${process.pid}-${Date.now()}`);
    const box = sandbox({ root });
    try {
      expect((await run(box, ['pull', '-q', `${bed().registries.anon}/busybox:latest`])).exitCode).toBe(0);
      const before = storeSnapshot(root);
      const result = await run(box, ['pull', '-q', `${bed().registries.anon}/big:latest`]);
      expect(expectOneLineError(result)).toMatch(/no space left on device while writing blob .*: free some space/);
      const after = storeSnapshot(root);
      expect(after.index).toBe(before.index);
      expect(after.tmp.filter((name) => name.endsWith('.partial'))).toEqual([]);
      expect(after.blobs).not.toContain(layerOf('big:latest').slice(7));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/** Bytes in the store's partial downloads so far. */
function partialBytes(root: string): number {
  const tmp = join(root, 'tmp');
  if (!existsSync(tmp)) return 0;
  return readdirSync(tmp).filter((name) => name.endsWith('.partial')).reduce((sum, name) => {
    try {
      return sum + statSync(join(tmp, name)).size;
    } catch {
      return sum;
    }
  }, 0);
}

function partials(root: string): number {
  const tmp = join(root, 'tmp');
  return existsSync(tmp) ? readdirSync(tmp).filter((name) => name.endsWith('.partial')).length : 0;
}


/** A manifest answer as a registry would send it, digest header included. */
function servedManifest(body: string): FaultAction {
  return { kind: 'status', status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': `sha256:${createHash('sha256').update(body).digest('hex')}` }, body };
}

function writeDockerAuth(home: string, registry: string, basicHeader: string): void {
  mkdirSync(join(home, '.docker'), { recursive: true });
  writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [registry]: { auth: basicHeader.slice('Basic '.length) } } }));
}
