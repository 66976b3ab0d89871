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
