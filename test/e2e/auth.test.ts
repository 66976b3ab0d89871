import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, fixture } from '../helpers/bed.js';
import { expectOneLineError, run, sandbox, storeSnapshot, type Sandbox } from '../helpers/cli.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { issue, makeCa, type Pki } from '../helpers/tls.js';

function dockerConfig(box: Sandbox, config: object): string {
  const dir = join(box.home, '.docker');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

const basicAuth = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64');

async function tokenStats(): Promise<{ total: number; byAccount: Record<string, number>; requests: { account: string; scopes: string[]; grant?: string; status: number }[] }> {
  return (await fetch(`${bed().tokenServer}/stats`)).json() as never;
}

describe('registry authentication', () => {
  describe('HTTP basic auth', () => {
    it('asks for a login when no credentials are known', async () => {
      const box = sandbox();
      const result = await run(box, ['pull', `${bed().registries.basic}/private/busybox:latest`]);
      expect(expectOneLineError(result)).toMatch(new RegExp(`requires a login: run "burrow login ${bed().registries.basic}"`));
      expect(storeSnapshot(box.root).blobs).toEqual([]);
    });

    it('uses the auths entry of ~/.docker/config.json', async () => {
      const box = sandbox();
      dockerConfig(box, { auths: { [bed().registries.basic]: { auth: basicAuth('alice', bed().users.alice) } } });
      const result = await run(box, ['pull', '-q', `${bed().registries.basic}/private/busybox:latest`]);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
    });

    it('says so when the password is wrong', async () => {
      const box = sandbox();
      dockerConfig(box, { auths: { [`http://${bed().registries.basic}`]: { auth: basicAuth('alice', 'wrong') } } });
      const result = await run(box, ['pull', `${bed().registries.basic}/private/busybox:latest`]);
      expect(expectOneLineError(result)).toMatch(/access denied for user "alice"/);
    });

    it('burrow login checks the password, then writes Docker\'s format; logout removes it', async () => {
      const box = sandbox();
      const registry = bed().registries.basic;
      const bad = await run(box, ['login', '-u', 'alice', '--password-stdin', registry], { input: 'nope\n' });
      expect(expectOneLineError(bad)).toMatch(/login to .* failed: wrong username or password/);
      expect(existsSync(join(box.home, '.docker', 'config.json'))).toBe(false);

      const good = await run(box, ['login', '-u', 'alice', '--password-stdin', registry], { input: `${bed().users.alice}\n` });
      expect(good.stdout).toMatch(/Login Succeeded/);
      const written = JSON.parse(readFileSync(join(box.home, '.docker', 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
      expect(written.auths[registry]!.auth).toBe(basicAuth('alice', bed().users.alice));
      expect((await run(box, ['pull', '-q', `${registry}/private/busybox:latest`])).exitCode).toBe(0);

      const out = await run(box, ['logout', registry]);
      expect(out.stdout).toBe(`Removing login credentials for ${registry}`);
      const after = JSON.parse(readFileSync(join(box.home, '.docker', 'config.json'), 'utf8')) as { auths: Record<string, unknown> };
      expect(after.auths[registry]).toBeUndefined();
      expect((await run(box, ['logout', registry])).stdout).toBe(`Not logged in to ${registry}`);
    });
  });

  describe('bearer tokens, as Docker Hub does it', () => {
    const token = (): string => bed().registries.token;

    it('pulls a public repository anonymously, with one token for the whole pull', async () => {
      const box = sandbox();
      // Other test files use the token server at the same time: count only anonymous requests for this scope.
      const anonymousPulls = async (): Promise<number> => (await tokenStats()).requests.filter((request) => request.account === '' && request.scopes.includes('repository:public/busybox:pull')).length;
      const before = await anonymousPulls();
      const result = await run(box, ['pull', `${token()}/public/busybox:latest`]);
      expect(result.exitCode).toBe(0);
      // HEAD, GET manifest, config and layer all share the cached pull token.
      expect((await anonymousPulls()) - before).toBe(1);
    });

    it('needs a login for a private repository', async () => {
      const box = sandbox();
      const result = await run(box, ['pull', `${token()}/private/busybox:latest`]);
      expect(expectOneLineError(result)).toMatch(/access denied: the repository does not exist or needs a login \(run "burrow login/);
    });

    it('pulls a private repository with credentials', async () => {
      const box = sandbox();
      dockerConfig(box, { auths: { [token()]: { auth: basicAuth('alice', bed().users.alice) } } });
      const result = await run(box, ['pull', `${token()}/private/busybox:latest`]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain(fixture('token:private/busybox:latest').digest);
    });

    it('reports a user the token server grants no pull (pull denied)', async () => {
      const box = sandbox();
      dockerConfig(box, { auths: { [token()]: { auth: basicAuth('eve', bed().users.eve) } } });
      const result = await run(box, ['pull', `${token()}/private/busybox:latest`]);
      expect(expectOneLineError(result)).toMatch(/access denied for user "eve"/);
      expect(storeSnapshot(box.root).blobs).toEqual([]);
    });

    it('reports a wrong password from the token server', async () => {
      const box = sandbox();
      dockerConfig(box, { auths: { [token()]: { auth: basicAuth('alice', 'wrong') } } });
      const result = await run(box, ['pull', `${token()}/private/busybox:latest`]);
      expect(expectOneLineError(result)).toMatch(/login to .* failed for user "alice": wrong username or password/);
    });

    it('refreshes a token when it expires', async () => {
      const { RegistryClient } = await import('../../src/registry/client.js');
      const issued = async (): Promise<number> => (await tokenStats()).byAccount.shortlived ?? 0;
      const before = await issued();
      const client = await RegistryClient.connect(token(), {
        timeoutMs: 10_000,
        insecureRegistries: [],
        retries: 2,
        credentials: { username: 'shortlived', password: bed().users.shortlived },
      });
      try {
        await client.getManifest('private/busybox', 'latest');
        await client.getManifest('private/busybox', 'latest');
        expect((await issued()) - before).toBe(1);
        // shortlived's tokens last 2 s: the next request must fetch a new one.
        await new Promise((resolve) => setTimeout(resolve, 2500));
        await client.getManifest('private/busybox', 'latest');
        // A second new one is allowed: under load the registry may see the fresh token expire (it lives 2 s) and ask again.
        expect((await issued()) - before).toBeGreaterThanOrEqual(2);
        expect((await issued()) - before).toBeLessThanOrEqual(3);
      } finally {
        await client.close();
      }
    });

    it('burrow login gets a token to check the password', async () => {
      const box = sandbox();
      const bad = await run(box, ['login', '-u', 'bob', '--password-stdin', token()], { input: 'nope' });
      expect(expectOneLineError(bad)).toMatch(/wrong username or password/);
      const good = await run(box, ['login', '-u', 'bob', '--password-stdin', token()], { input: bed().users.bob });
      expect(good.exitCode).toBe(0);
      expect((await run(box, ['pull', '-q', `${token()}/private/busybox:latest`])).exitCode).toBe(0);
    });
  });

  describe('credential helpers', () => {
    function installHelper(box: Sandbox): { bin: string; log: string } {
      const bin = join(box.dir, 'bin');
      mkdirSync(bin);
      const log = join(box.dir, 'helper.log');
      const store = join(box.dir, 'helper-store.json');
      // A real docker-credential-* program, speaking the helper protocol on stdin/stdout.
      writeFileSync(
        join(bin, 'docker-credential-burrowtest'),
        `#!/bin/sh
read -r input
echo "$1 $input" >> ${log}
case "$1" in
  get) if [ -f ${store} ]; then cat ${store}; else echo "credentials not found in native keychain"; exit 1; fi ;;
  store) echo "$input" | sed 's/"ServerURL":"[^"]*",//' > ${store} ;;
  erase) rm -f ${store} ;;
esac
`,
      );
      chmodSync(join(bin, 'docker-credential-burrowtest'), 0o755);
      writeFileSync(store, JSON.stringify({ Username: 'alice', Secret: bed().users.alice }));
      return { bin, log };
    }

    it('asks the credHelpers program named for the registry', async () => {
      const box = sandbox();
      const { bin, log } = installHelper(box);
      dockerConfig(box, { credHelpers: { [bed().registries.basic]: 'burrowtest' } });
      const result = await run(box, ['pull', '-q', `${bed().registries.basic}/private/busybox:latest`], { env: { PATH: `${bin}:${process.env.PATH}` } });
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(readFileSync(log, 'utf8')).toContain(`get ${bed().registries.basic}`);
    });

    it('uses credsStore for every registry, and login stores through it', async () => {
      const box = sandbox();
      const { bin, log } = installHelper(box);
      const configPath = dockerConfig(box, { credsStore: 'burrowtest' });
      const env = { PATH: `${bin}:${process.env.PATH}` };
      expect((await run(box, ['pull', '-q', `${bed().registries.token}/private/busybox:latest`], { env })).exitCode).toBe(0);
      const login = await run(box, ['login', '-u', 'alice', '--password-stdin', bed().registries.basic], { input: bed().users.alice, env });
      expect(login.exitCode).toBe(0);
      expect(readFileSync(log, 'utf8')).toContain(`store {"ServerURL":"${bed().registries.basic}","Username":"alice","Secret":"${bed().users.alice}"}`);
      // Nothing secret was written to config.json itself.
      expect(readFileSync(configPath, 'utf8')).not.toContain(bed().users.alice);
    });

    it('names a helper that is not installed', async () => {
      const box = sandbox();
      dockerConfig(box, { credsStore: 'missing-helper' });
      const result = await run(box, ['pull', `${bed().registries.anon}/busybox:latest`]);
      expect(expectOneLineError(result)).toMatch(/docker-credential-missing-helper .* is not on PATH/);
    });
  });

  describe('identity tokens (config.json "identitytoken", what Docker keeps after an OAuth login)', () => {
    const token = (): string => bed().registries.token;

    it('exchanges it at the token server with an OAuth2 refresh-token POST, as Docker does', async () => {
      // The token server hands out a refresh token for a password grant with access_type=offline, as Docker Hub does.
      const form = new URLSearchParams({ grant_type: 'password', username: 'alice', password: bed().users.alice, access_type: 'offline', service: bed().service, client_id: 'test' });
      const offline = (await (await fetch(`${bed().tokenServer}/token`, { method: 'POST', body: form })).json()) as { refresh_token: string };
      expect(offline.refresh_token).toMatch(/^rt\.alice\./);
      const box = sandbox();
      dockerConfig(box, { auths: { [token()]: { auth: basicAuth('alice', ''), identitytoken: offline.refresh_token } } });
      const refreshGrants = async (): Promise<number> => (await tokenStats()).requests.filter((request) => request.grant === 'refresh_token' && request.account === 'alice' && request.scopes.includes('repository:private/busybox:pull')).length;
      const before = await refreshGrants();
      const result = await run(box, ['pull', '-q', `${token()}/private/busybox:latest`]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect((await refreshGrants()) - before).toBe(1);
    });

    it('says so when the token server refuses it', async () => {
      const box = sandbox();
      dockerConfig(box, { auths: { [token()]: { identitytoken: `rt.alice.${'0'.repeat(64)}` } } });
      const result = await run(box, ['pull', `${token()}/private/busybox:latest`]);
      expect(expectOneLineError(result)).toMatch(new RegExp(`refused the identity token for ${token()} from config\\.json \\(expired or revoked\\): run "burrow login ${token()}"`));
      expect(storeSnapshot(box.root).blobs).toEqual([]);
    });
  });
});

describe('registry TLS: per-registry CAs and client certificates from certs.d', () => {
  // registry.burrow.test resolves to 127.0.0.1 (install.sh) but is not loopback by its name, so TLS is verified.
  let pki: Pki;
  let front: FaultProxy;
  let mutual: FaultProxy;
  let client: { cert: string; key: string };
  const host = (proxy: FaultProxy): string => `registry.burrow.test:${proxy.address.split(':')[1]}`;
  const certsDir = (box: Sandbox, proxy: FaultProxy): string => {
    const dir = join(box.home, '.config', 'containers', 'certs.d', host(proxy));
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  beforeAll(async () => {
    pki = makeCa(join(sandbox().dir, 'pki'));
    const server = issue(pki, 'registry', { dnsNames: ['registry.burrow.test'] });
    client = issue(pki, 'client', { client: true });
    front = await new FaultProxy(bed().registries.anon, '127.0.0.1', server).start();
    mutual = await new FaultProxy(bed().registries.anon, '127.0.0.1', { ...server, ca: readFileSync(pki.caCert, 'utf8'), requestCert: true, rejectUnauthorized: true }).start();
  });
  afterAll(async () => {
    await Promise.all([front.stop(), mutual.stop()]);
  });

  it('refuses a registry whose CA it does not know with one line saying where the CA goes; pulls with ca.crt in ~/.config/containers/certs.d/HOST:PORT/', async () => {
    const box = sandbox();
    const refused = await run(box, ['pull', `${host(front)}/busybox:latest`]);
    expect(expectOneLineError(refused)).toMatch(new RegExp(`the TLS certificate of ${host(front)} is not trusted \\(.+\\): if the registry uses its own CA, put that CA's certificate in ~/\\.config/containers/certs\\.d/${host(front)}/ca\\.crt or /etc/docker/certs\\.d/${host(front)}/ca\\.crt`));
    expect(storeSnapshot(box.root).blobs).toEqual([]);
    writeFileSync(join(certsDir(box, front), 'ca.crt'), readFileSync(pki.caCert));
    const pulled = await run(box, ['pull', '-q', `${host(front)}/busybox:latest`]);
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    expect(pulled.stdout.trim()).toBe(`${host(front)}/busybox:latest`);
  });

  it('a registry on loopback that speaks only TLS: asked over plain HTTP first (no TLS set-up for a local registry), then over HTTPS, unverified as for any loopback registry', async () => {
    const box = sandbox();
    const pulled = await run(box, ['pull', '-q', `${front.address}/busybox:latest`]);
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    expect(pulled.stdout.trim()).toBe(`${front.address}/busybox:latest`);
  });

  it('offers the client certificate beside the CA to a registry that requires one', async () => {
    const box = sandbox();
    const dir = certsDir(box, mutual);
    writeFileSync(join(dir, 'ca.crt'), readFileSync(pki.caCert));
    const refused = await run(box, ['pull', `${host(mutual)}/busybox:latest`]);
    expect(expectOneLineError(refused)).toMatch(new RegExp(`${host(mutual)} refused the TLS connection \\(.+\\): it wants a client certificate; put NAME\\.cert and NAME\\.key beside its CA`));
    writeFileSync(join(dir, 'client.cert'), client.cert);
    const halfPair = await run(box, ['pull', `${host(mutual)}/busybox:latest`]);
    expect(expectOneLineError(halfPair)).toMatch(/client certificate .*client\.cert has no key beside it \(client\.key\)/);
    writeFileSync(join(dir, 'client.key'), client.key);
    const pulled = await run(box, ['pull', '-q', `${host(mutual)}/busybox:latest`]);
    expect(pulled.exitCode, pulled.stderr).toBe(0);
  });
});
