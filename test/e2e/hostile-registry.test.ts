import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, fixture } from '../helpers/bed.js';
import { burrow, expectOneLineError, sandbox, storeSnapshot, type CliResult, type Sandbox } from '../helpers/cli.js';
import { FaultProxy, isBlobGet, isManifestGet, isManifestHead, type FaultAction, type SeenRequest } from '../helpers/fault-proxy.js';
import { answer, endless, endlessInformational, hugeLength, trickleBody, trickleHeaders } from '../helpers/hostile.js';
import { issue, makeCa } from '../helpers/tls.js';

/**
 * A hostile registry: a FaultProxy in front of the bed's real registry that, per
 * test, answers one kind of request the way an attacker or a broken server would.
 * Each attempt must end with one clear line, within the configured time-outs (2 s
 * here), with memory bounded and nothing stored.
 */

const TIMEOUT_S = 2;
/** A burrow pull needs well under this; reading any of the endless or huge bodies into memory would pass it. */
const RSS_BOUND_KB = 250 * 1024;
const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await new FaultProxy(bed().registries.anon).start();
});
afterAll(async () => {
  await proxy.stop();
});

const busybox = fixture('busybox:latest');
const layer = busybox.layers![0]!;
const isLayerGet = (request: SeenRequest): boolean => isBlobGet(request) && request.path.endsWith(layer);
const isToken = (request: SeenRequest): boolean => request.path.startsWith('/token');

/** A blob (a manifest, here) as the bed's registry stores it. */
function registryBlob(digest: string): Buffer {
  const hex = digest.slice('sha256:'.length);
  return readFileSync(join(bed().dir, 'anon/data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data'));
}

function hostileBox(config: object = {}): Sandbox {
  return sandbox({ config: { httpTimeoutSeconds: TIMEOUT_S, retries: 1, ...config } });
}

/** Runs the CLI and follows its peak resident memory (VmHWM) until it exits. */
async function runMeasured(box: Sandbox, args: string[]): Promise<CliResult & { peakKb: number }> {
  const child = burrow(box, args, { timeout: 60_000 });
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match !== null) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      // Exited.
    }
  }, 10);
  const result = await child;
  clearInterval(poll);
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), peakKb };
}

/**
 * The hostile answer was refused: one line matching `pattern`, nothing in the store
 * (or, for a box that held an image already, the store as it was), memory bounded.
 */
async function expectRefused(rule: Parameters<FaultProxy['setRule']>[0], pattern: RegExp, options: { box?: Sandbox; reference?: string } = {}): Promise<CliResult & { peakKb: number }> {
  const box = options.box ?? hostileBox();
  const before = storeSnapshot(box.root);
  proxy.seen.length = 0;
  proxy.setRule(rule);
  let result: CliResult & { peakKb: number };
  try {
    result = await runMeasured(box, ['pull', options.reference ?? `${proxy.address}/busybox:latest`]);
  } finally {
    proxy.setRule(() => undefined);
  }
  expect(expectOneLineError(result)).toMatch(pattern);
  // pull's own error: 1, as docker pull's (125 is run's, create's and start's).
  expect(result.exitCode).toBe(1);
  const after = storeSnapshot(box.root);
  expect(after.index).toBe(before.index);
  expect(after.blobs).toEqual(before.blobs);
  expect(after.tmp.filter((name) => name.endsWith('.partial'))).toEqual([]);
  expect(result.peakKb).toBeGreaterThan(0);
  expect(result.peakKb).toBeLessThan(RSS_BOUND_KB);
  return result;
}

describe('a hostile registry gets one clear line, nothing stored, memory bounded', () => {
  it('control: the same proxy without faults serves the pull', async () => {
    const box = hostileBox();
    const result = await runMeasured(box, ['pull', '-q', `${proxy.address}/busybox:latest`]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.peakKb).toBeLessThan(RSS_BOUND_KB);
  });

  it('a blob that does not match its digest', async () => {
    const size = readFileSync(join(bed().dir, 'anon/data/docker/registry/v2/blobs/sha256', layer.slice(7, 9), layer.slice(7), 'data')).length;
    await expectRefused((request) => (isLayerGet(request) ? answer(200, randomBytes(size), { 'content-type': 'application/octet-stream' }) : undefined), new RegExp(`blob ${layer} failed verification \\(its content hashes to sha256:[0-9a-f]{64}\\)`));
  });

  it('a config that does not match its digest, at once and after the layer has downloaded: the layer is not stored either', async () => {
    const configDigest = busybox.config!;
    const isConfigGet = (request: SeenRequest): boolean => isBlobGet(request) && request.path.endsWith(configDigest);
    const size = registryBlob(configDigest).length;
    const refused = new RegExp(`config ${configDigest} failed verification \\(got ${size} bytes hashing to sha256:[0-9a-f]{64}\\); nothing was stored`);
    // The config is read while the layers download: refused early, the layer's download stops.
    await expectRefused((request) => (isConfigGet(request) ? answer(200, randomBytes(size), { 'content-type': 'application/octet-stream' }) : undefined), refused);
    // Refused late (the layer's 1 MB is served meanwhile): the verified layer waits for the config, then goes.
    const late: FaultAction = { kind: 'respond', handler: (_req, res) => {
      const timer = setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
        res.end(randomBytes(size));
      }, 1000);
      res.on('close', () => clearTimeout(timer));
    } };
    await expectRefused((request) => (isConfigGet(request) ? late : undefined), refused);
    expect(proxy.count(isLayerGet)).toBe(1);
  });

  it('a manifest that changes between HEAD and GET', async () => {
    // A HEAD is sent only when the store has a record of the tag to compare: here one
    // from when busybox:latest pointed at another manifest (busybox:oci's, same
    // repository), so the HEAD's current digest differs from it and a GET follows.
    const box = hostileBox();
    const earlier = fixture('busybox:oci').digest;
    const isLatest = (request: SeenRequest): boolean => isManifestGet(request) && request.path.endsWith('/busybox/manifests/latest');
    proxy.setRule((request) => (isLatest(request) ? answer(200, registryBlob(earlier), { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': earlier }) : undefined));
    try {
      const first = await runMeasured(box, ['pull', '-q', `${proxy.address}/busybox:latest`]);
      expect(first.exitCode, first.stderr).toBe(0);
    } finally {
      proxy.setRule(() => undefined);
    }
    expect(storeSnapshot(box.root).blobs).toContain(earlier.slice('sha256:'.length));
    const otherDigest = fixture('multilayer:docker').digest;
    // HEAD passes to the real registry; GET answers another (valid) manifest with its own, true, digest header.
    await expectRefused(
      (request) => (isManifestGet(request) ? answer(200, registryBlob(otherDigest), { 'content-type': MANIFEST_TYPE, 'docker-content-digest': otherDigest }) : undefined),
      new RegExp(`answered HEAD with manifest ${busybox.digest} but GET sent one hashing to ${otherDigest} \\(the tag moved during the pull, or the registry is inconsistent\\)`),
      { box },
    );
    expect(proxy.count(isManifestHead)).toBe(1);
  });

  it('a first pull of a tag sends no HEAD: with no record of the name there is nothing to compare', async () => {
    proxy.seen.length = 0;
    const result = await runMeasured(hostileBox(), ['pull', '-q', `${proxy.address}/busybox:latest`]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(proxy.count(isManifestHead)).toBe(0);
    expect(proxy.count(isManifestGet)).toBe(1);
  });

  it('an endless manifest body', async () => {
    await expectRefused((request) => (isManifestGet(request) ? endless({ 'content-type': MANIFEST_TYPE }) : undefined), /busybox\/manifests\/latest sent a manifest of more than 4194304 bytes: refusing it/);
  });

  it('an endless blob body', async () => {
    await expectRefused((request) => (isLayerGet(request) ? endless() : undefined), new RegExp(`blob ${layer} is larger than the \\d+ bytes its descriptor says: refusing it`));
  });

  it('an endless error body', async () => {
    await expectRefused((request) => (isManifestGet(request) ? endless({ 'content-type': 'application/json' }, 404) : undefined), /busybox:latest: not found/);
  });

  it('a huge Content-Length on a manifest and on a blob', async () => {
    await expectRefused((request) => (isManifestGet(request) ? hugeLength(10 ** 12, { 'content-type': MANIFEST_TYPE }) : undefined), /sent a manifest of more than 4194304 bytes: refusing it/);
    await expectRefused((request) => (isLayerGet(request) ? hugeLength(10 ** 12) : undefined), new RegExp(`blob ${layer} is announced as 1000000000000 bytes but its descriptor says \\d+: refusing it, nothing was stored`));
  });

  it('slow-loris: headers that never finish, endless informational answers, a manifest a byte at a time', async () => {
    await expectRefused((request) => (isManifestGet(request) ? trickleHeaders(100) : undefined), /did not answer within 2 s \(\/v2\/busybox\/manifests\/latest\)/);
    await expectRefused((request) => (isManifestGet(request) ? endlessInformational(100) : undefined), /did not answer within 2 s \(\/v2\/busybox\/manifests\/latest\)/);
    await expectRefused((request) => (isManifestGet(request) ? trickleBody(100, { 'content-type': MANIFEST_TYPE }, 100_000) : undefined), /did not send a manifest within 2 s \(\/v2\/busybox\/manifests\/latest\)/);
  });

  it('slow-loris blob: refused, its bytes kept only as a resumable partial download, which the next pull recovers from', async () => {
    const box = hostileBox();
    proxy.setRule((request) => (isLayerGet(request) ? trickleBody(100, {}, 1_000_000) : undefined));
    let result: CliResult & { peakKb: number };
    try {
      result = await runMeasured(box, ['pull', `${proxy.address}/busybox:latest`]);
    } finally {
      proxy.setRule(() => undefined);
    }
    expect(expectOneLineError(result)).toMatch(new RegExp(`sent only \\d+ bytes of /v2/busybox/blobs/${layer} in 2 s: the registry stalls`));
    const after = storeSnapshot(box.root);
    expect(after.index).toBe('');
    expect(after.blobs).toEqual([]);
    // Kept for a resume (a broken download is), not stored: it holds the trickled garbage.
    expect(after.tmp).toEqual([`sha256-${layer.slice(7)}.partial`]);
    // The next pull resumes from it, finds the digest wrong, and starts that blob over at once.
    const again = await runMeasured(box, ['pull', '-q', `${proxy.address}/busybox:latest`]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(storeSnapshot(box.root).blobs).toContain(layer.slice(7));
  });

  it('a redirect loop, and a redirect to a scheme other than http(s)', async () => {
    await expectRefused((request) => (isLayerGet(request) ? { kind: 'redirect', location: request.path } : undefined), new RegExp(`/v2/busybox/blobs/${layer} redirected more than 5 times \\(a redirect loop\\?\\): giving up`));
    expect(proxy.count(isLayerGet)).toBe(6);
    await expectRefused((request) => (isLayerGet(request) ? { kind: 'redirect', location: 'file:///etc/passwd' } : undefined), /redirected to a file: URL: only http and https are followed/);
  });
});

describe('a hostile token endpoint', () => {
  /** The proxy asks for a Bearer token from its own /token, which answers with `token`; everything else is the real registry. */
  const bearer = (realmHost: string, token: (request: SeenRequest) => ReturnType<typeof answer>) => (request: SeenRequest) => {
    if (isToken(request)) return token(request);
    if (request.path === '/v2/' && request.headers.authorization === undefined) {
      return answer(401, '{"errors":[{"code":"UNAUTHORIZED","message":"token please"}]}', { 'www-authenticate': `Bearer realm="http://${realmHost}/token",service="hostile"` });
    }
    return undefined;
  };

  it('that answers garbage', async () => {
    await expectRefused(bearer(proxy.address, () => answer(200, '<html>\nnot a token\n</html>')), new RegExp(`token server ${proxy.address.replace(/\./g, '\\.')} sent an answer that is not JSON`));
  });

  it('that answers a gigabyte, announced or not', async () => {
    await expectRefused(bearer(proxy.address, () => hugeLength(2 ** 30, { 'content-type': 'application/json' })), /sent a token answer of more than 1048576 bytes: refusing it/);
    await expectRefused(bearer(proxy.address, () => endless({ 'content-type': 'application/json' })), /sent a token answer of more than 1048576 bytes: refusing it/);
  });

  it('that answers an error with an endless body', async () => {
    await expectRefused(bearer(proxy.address, () => endless({ 'content-type': 'text/plain' }, 500)), /token server .* answered 500: a{20}/);
  });

  it('credentials never go to a plain-HTTP realm off this machine, unless the registry is listed insecure', async () => {
    // registry.burrow.test resolves to 127.0.0.1 (install.sh), but burrow cannot know it is loopback by its name.
    const realmHost = `registry.burrow.test:${proxy.address.split(':')[1]}`;
    const token = (): ReturnType<typeof answer> => answer(200, JSON.stringify({ token: 'opaque', expires_in: 60 }));
    const secret = Buffer.from('alice:s3cret').toString('base64');
    const withLogin = (config: object = {}): Sandbox => {
      const box = hostileBox(config);
      writeDockerConfig(box, { auths: { [proxy.address]: { auth: secret } } });
      return box;
    };
    const refused = await expectRefused(bearer(realmHost, token), new RegExp(`sends logins to ${realmHost} over plain HTTP, where they can be read on the way: refusing to send the credentials; list "${proxy.address}" in insecureRegistries`), { box: withLogin() });
    expect(refused.stderr).not.toContain('s3cret');
    expect(proxy.count(isToken)).toBe(0);

    // Anonymous: nothing secret to send, so the plain-HTTP realm is used.
    proxy.seen.length = 0;
    proxy.setRule(bearer(realmHost, token));
    const anonymous = await runMeasured(hostileBox(), ['pull', '-q', `${proxy.address}/busybox:latest`]);
    expect(anonymous.exitCode, anonymous.stderr).toBe(0);
    expect(proxy.seen.filter(isToken).map((request) => request.headers.authorization)).toEqual([undefined]);

    // Listed insecure: the user said this network is trusted.
    proxy.seen.length = 0;
    const listed = await runMeasured(withLogin({ insecureRegistries: [proxy.address] }), ['pull', '-q', `${proxy.address}/busybox:latest`]);
    proxy.setRule(() => undefined);
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(proxy.seen.filter(isToken).map((request) => request.headers.authorization)).toEqual([`Basic ${secret}`]);
  });
});

describe('redirects to another host or scheme', () => {
  let storage: FaultProxy;
  let tlsStorage: FaultProxy;
  let front: FaultProxy;
  const credentials = (): string => `Basic ${Buffer.from(`alice:${bed().users.alice}`).toString('base64')}`;

  beforeAll(async () => {
    // "Blob storage": plain HTTP on another loopback address, and HTTPS (another scheme) on this one.
    storage = await new FaultProxy(bed().registries.anon, '127.0.0.2').start();
    const pki = makeCa(join(sandbox().dir, 'pki'));
    const server = issue(pki, 'storage', { ips: ['127.0.0.1'] });
    tlsStorage = await new FaultProxy(bed().registries.anon, '127.0.0.1', server).start();
    // The registry itself needs Basic credentials.
    front = await new FaultProxy(bed().registries.basic).start();
  });
  afterAll(async () => {
    await Promise.all([storage.stop(), tlsStorage.stop(), front.stop()]);
  });

  it.each([
    ['another host (http://127.0.0.2)', () => `http://${storage.address}`, () => storage],
    ['another scheme (https)', () => `https://${tlsStorage.address}`, () => tlsStorage],
  ])('to %s: the blob is fetched there without the Authorization header', async (_name, base, target) => {
    const box = hostileBox();
    writeDockerConfig(box, { auths: { [front.address]: { auth: credentials().slice('Basic '.length) } } });
    target().seen.length = 0;
    front.setRule((request) => (isBlobGet(request) ? { kind: 'redirect', location: `${base()}/v2/busybox/blobs/${request.path.split('/blobs/')[1]}` } : undefined));
    try {
      const result = await runMeasured(box, ['pull', '-q', `${front.address}/private/busybox:latest`]);
      expect(result.exitCode, result.stderr).toBe(0);
    } finally {
      front.setRule(() => undefined);
    }
    expect(front.seen.filter(isBlobGet).length).toBeGreaterThan(0);
    expect(front.seen.filter(isBlobGet).every((request) => request.headers.authorization === credentials())).toBe(true);
    const there = target().seen.filter(isBlobGet);
    expect(there.length).toBeGreaterThan(0);
    expect(there.map((request) => request.headers.authorization)).toEqual(there.map(() => undefined));
  });
});

function writeDockerConfig(box: Sandbox, config: object): void {
  const dir = join(box.home, '.docker');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
}
