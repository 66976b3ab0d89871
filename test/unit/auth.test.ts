import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../src/registry/auth.js';

describe('WWW-Authenticate parsing', () => {
  it('reads a Docker Hub bearer challenge with a comma inside a quoted scope', () => {
    const [challenge] = parseChallenges(['Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"']);
    expect(challenge).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull,push' },
    });
  });

  it('reads Basic and unquoted values, and several headers', () => {
    const challenges = parseChallenges(['Basic realm="Registry Realm"', 'Bearer realm=http://127.0.0.1:5103/token,service=svc']);
    expect(challenges.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(challenges[0]!.params.realm).toBe('Registry Realm');
    expect(challenges[1]!.params).toEqual({ realm: 'http://127.0.0.1:5103/token', service: 'svc' });
  });

  it('unescapes quoted pairs', () => {
    expect(parseChallenges(['Bearer realm="a\\"b"'])[0]!.params.realm).toBe('a"b');
  });
});

describe('credentials from config.json', () => {
  it('reads Docker\'s identitytoken beside the user name, and alone', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { lookupCredentials } = await import('../../src/registry/credentials.js');
    const path = join(mkdtempSync(join(tmpdir(), 'burrow-creds-')), 'config.json');
    writeFileSync(path, JSON.stringify({
      auths: {
        'reg.example': { auth: Buffer.from('alice:').toString('base64'), identitytoken: 'refresh-1' },
        'bare.example': { identitytoken: 'refresh-2' },
        'plain.example': { auth: Buffer.from('bob:pw').toString('base64') },
      },
    }));
    expect(await lookupCredentials('reg.example', path)).toEqual({ username: 'alice', password: '', identityToken: 'refresh-1' });
    expect(await lookupCredentials('bare.example', path)).toEqual({ username: '<token>', password: '', identityToken: 'refresh-2' });
    expect(await lookupCredentials('plain.example', path)).toEqual({ username: 'bob', password: 'pw' });
  });
});
