// Smoke test of the test bed itself (test/bed/up.sh): registries, token
// server ACL, and fixtures are what burrow's tests expect.
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Fixture {
  digest: string;
  mediaType: string;
  config?: string;
  layers?: string[];
  platforms?: Record<string, string>;
}
interface Bed {
  dir: string;
  registries: { anon: string; basic: string; token: string };
  tokenServer: string;
  service: string;
  users: Record<string, string>;
  fixtures: Record<string, Fixture>;
  archives: Record<string, string>;
  tinyfs: string | null;
  registryStorage: Record<string, string>;
}

const bedDir = process.env.BURROW_BED_DIR ?? '/tmp/burrow-bed-' + os.userInfo().username;
const bed: Bed = JSON.parse(readFileSync(path.join(bedDir, 'bed.json'), 'utf8')) as Bed;

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const basic = (user: string) =>
  'Basic ' + Buffer.from(`${user}:${bed.users[user] ?? ''}`).toString('base64');

interface TokenResponse { token: string; access_token: string; expires_in: number; issued_at: string }
interface Access { type: string; name: string; actions: string[] }

async function getToken(user: string | null, scopes: string[]): Promise<TokenResponse> {
  const u = new URL('/token', bed.tokenServer);
  u.searchParams.set('service', bed.service);
  for (const s of scopes) u.searchParams.append('scope', s);
  const res = await fetch(u, { headers: user ? { Authorization: basic(user) } : {} });
  expect(res.status).toBe(200);
  return (await res.json()) as TokenResponse;
}

function jwtPart(token: string, i: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[i] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Split a fixture key ("repo:tag", "basic:repo:tag", "token:repo:tag") into registry, repo, tag. */
function parseKey(key: string): { reg: 'anon' | 'basic' | 'token'; repo: string; tag: string } {
  let reg: 'anon' | 'basic' | 'token' = 'anon';
  let rest = key;
  for (const r of ['basic', 'token'] as const) {
    if (key.startsWith(r + ':')) { reg = r; rest = key.slice(r.length + 1); }
  }
  const i = rest.lastIndexOf(':');
  return { reg, repo: rest.slice(0, i), tag: rest.slice(i + 1) };
}

async function authFor(reg: 'anon' | 'basic' | 'token', repo: string): Promise<Record<string, string>> {
  if (reg === 'basic') return { Authorization: basic('alice') };
  if (reg === 'token') return { Authorization: 'Bearer ' + (await getToken('alice', [`repository:${repo}:pull`])).token };
  return {};
}

describe('test bed', () => {
  it('anonymous registry answers /v2/ with 200', async () => {
    const res = await fetch(`http://${bed.registries.anon}/v2/`);
    expect(res.status).toBe(200);
  });

  it('basic-auth registry wants credentials and accepts alice', async () => {
    const anon = await fetch(`http://${bed.registries.basic}/v2/`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate') ?? '').toMatch(/^Basic realm=/i);
    const ok = await fetch(`http://${bed.registries.basic}/v2/`, { headers: { Authorization: basic('alice') } });
    expect(ok.status).toBe(200);
    const bad = await fetch(`http://${bed.registries.basic}/v2/`, { headers: { Authorization: 'Basic ' + Buffer.from('alice:nope').toString('base64') } });
    expect(bad.status).toBe(401);
  });

  it('token registry challenges with Bearer realm and service', async () => {
    const res = await fetch(`http://${bed.registries.token}/v2/`);
    expect(res.status).toBe(401);
    const h = res.headers.get('www-authenticate') ?? '';
    expect(h).toMatch(/^Bearer /);
    expect(h).toContain(`realm="${bed.tokenServer}/token"`);
    expect(h).toContain(`service="${bed.service}"`);
  });

  it('alice gets a pull token for private/busybox and can read the manifest', async () => {
    const t = await getToken('alice', ['repository:private/busybox:pull']);
    expect(t.expires_in).toBe(60);
    expect(t.access_token).toBe(t.token);
    const header = jwtPart(t.token, 0);
    expect(header.alg).toBe('RS256');
    expect(Array.isArray(header.x5c)).toBe(true);
    const claims = jwtPart(t.token, 1);
    expect(claims).toMatchObject({ iss: 'burrow-test-issuer', sub: 'alice', aud: bed.service });
    expect(claims.access).toEqual([{ type: 'repository', name: 'private/busybox', actions: ['pull'] }]);
    const res = await fetch(`http://${bed.registries.token}/v2/private/busybox/manifests/latest`, {
      headers: { Authorization: `Bearer ${t.token}`, Accept: ACCEPT },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(bed.fixtures['token:private/busybox:latest']?.digest);
  });

  it('anonymous token pulls public/* only', async () => {
    const t = await getToken(null, ['repository:public/busybox:pull', 'repository:private/busybox:pull']);
    expect(jwtPart(t.token, 1).access).toEqual([
      { type: 'repository', name: 'public/busybox', actions: ['pull'] },
      { type: 'repository', name: 'private/busybox', actions: [] },
    ]);
    const res = await fetch(`http://${bed.registries.token}/v2/public/busybox/manifests/latest`, {
      headers: { Authorization: `Bearer ${t.token}`, Accept: ACCEPT },
    });
    expect(res.status).toBe(200);
  });

  it('eve is pull-denied on private/*', async () => {
    const t = await getToken('eve', ['repository:private/busybox:pull']);
    const access = jwtPart(t.token, 1).access as Access[];
    expect(access.flatMap((a) => a.actions)).toEqual([]);
    const res = await fetch(`http://${bed.registries.token}/v2/private/busybox/manifests/latest`, {
      headers: { Authorization: `Bearer ${t.token}`, Accept: ACCEPT },
    });
    expect([401, 403]).toContain(res.status);
  });

  it('bob is push-denied: only pull is granted and an upload is refused', async () => {
    const t = await getToken('bob', ['repository:private/busybox:push,pull']);
    expect(jwtPart(t.token, 1).access).toEqual([{ type: 'repository', name: 'private/busybox', actions: ['pull'] }]);
    const res = await fetch(`http://${bed.registries.token}/v2/private/busybox/blobs/uploads/`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.token}` },
    });
    expect([401, 403]).toContain(res.status);
  });

  it('wrong password gets 401 with a JSON error; shortlived tokens last 2 s', async () => {
    const res = await fetch(new URL('/token?service=' + bed.service, bed.tokenServer), {
      headers: { Authorization: 'Basic ' + Buffer.from('alice:wrong').toString('base64') },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errors: unknown[] }).errors.length).toBeGreaterThan(0);
    const t = await getToken('shortlived', ['repository:anything/here:pull']);
    expect(t.expires_in).toBe(2);
    const claims = jwtPart(t.token, 1) as { exp: number; iat: number };
    expect(claims.exp - claims.iat).toBe(2);
  });

  it('token server counts requests per account', async () => {
    const before = (await (await fetch(new URL('/stats', bed.tokenServer))).json()) as { total: number; byAccount: Record<string, number> };
    await getToken('alice', ['repository:public/busybox:pull']);
    const after = (await (await fetch(new URL('/stats', bed.tokenServer))).json()) as { total: number; byAccount: Record<string, number>; requests: unknown[] };
    expect(after.total).toBe(before.total + 1);
    expect(after.byAccount.alice).toBe((before.byAccount.alice ?? 0) + 1);
    expect(after.requests.length).toBe(after.total);
  });

  it("corrupt:latest's layer blob does not match its digest", async () => {
    const layer = bed.fixtures['corrupt:latest']?.layers?.[0];
    expect(layer).toMatch(/^sha256:/);
    const res = await fetch(`http://${bed.registries.anon}/v2/corrupt/blobs/${layer}`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect('sha256:' + createHash('sha256').update(body).digest('hex')).not.toBe(layer);
  });

  it('every fixture in bed.json is served with its digest', async () => {
    const keys = Object.keys(bed.fixtures);
    expect(keys.length).toBeGreaterThanOrEqual(16);
    for (const key of keys) {
      const fx = bed.fixtures[key]!;
      const { reg, repo, tag } = parseKey(key);
      const headers = { Accept: ACCEPT, ...(await authFor(reg, repo)) };
      const res = await fetch(`http://${bed.registries[reg]}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers });
      expect(res.status, key).toBe(200);
      expect(res.headers.get('docker-content-digest'), key).toBe(fx.digest);
      for (const [plat, digest] of Object.entries(fx.platforms ?? {})) {
        const r = await fetch(`http://${bed.registries[reg]}/v2/${repo}/manifests/${digest}`, { method: 'HEAD', headers });
        expect(r.status, `${key} ${plat}`).toBe(200);
      }
    }
    expect(Object.keys(bed.fixtures['multiarch:latest']?.platforms ?? {}).sort()).toEqual(['linux/amd64', 'linux/arm64/v8']);
    expect(Object.keys(bed.fixtures['onlyarm:latest']?.platforms ?? {}).sort()).toEqual(['linux/arm/v7', 'linux/arm64/v8']);
  });

  it('archives exist', () => {
    for (const name of ['busybox-docker', 'busybox-oci', 'multilayer-docker']) {
      const file = bed.archives[name];
      expect(file && existsSync(file), name).toBe(true);
      expect(statSync(file!).size).toBeGreaterThan(500_000);
    }
  });
});
