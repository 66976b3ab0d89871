import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certsDirRoots, findCertsDir, readCertsDir, registryCerts } from '../../src/registry/certs.js';

function roots(): string[] {
  const base = mkdtempSync(join(tmpdir(), 'burrow-certs-'));
  return ['user', 'containers', 'docker'].map((name) => join(base, name));
}

describe('per-registry certificates (certs.d)', () => {
  it('looks where Podman and Docker look, in containers/image\'s order', () => {
    expect(certsDirRoots({ HOME: '/home/u' })).toEqual(['/home/u/.config/containers/certs.d', '/etc/containers/certs.d', '/etc/docker/certs.d']);
  });

  it('uses the first directory named after the registry, host:port as written', () => {
    const [user, containers, docker] = roots();
    mkdirSync(join(docker!, 'reg.example:5000'), { recursive: true });
    mkdirSync(join(containers!, 'reg.example'), { recursive: true });
    expect(findCertsDir('reg.example:5000', [user!, containers!, docker!])).toBe(join(docker!, 'reg.example:5000'));
    expect(findCertsDir('reg.example', [user!, containers!, docker!])).toBe(join(containers!, 'reg.example'));
    mkdirSync(join(user!, 'reg.example'), { recursive: true });
    expect(findCertsDir('reg.example', [user!, containers!, docker!])).toBe(join(user!, 'reg.example'));
    expect(findCertsDir('other.example', [user!, containers!, docker!])).toBeUndefined();
    // A name that is not a host never leads out of the roots.
    expect(findCertsDir('..', [user!])).toBeUndefined();
    expect(findCertsDir('a/../../x', [user!])).toBeUndefined();
  });

  it('reads *.crt as CAs and NAME.cert with NAME.key as the client certificate', () => {
    const [user] = roots();
    const dir = join(user!, 'reg.example');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ca.crt'), 'CA ONE');
    writeFileSync(join(dir, 'extra.crt'), 'CA TWO');
    writeFileSync(join(dir, 'client.cert'), 'CLIENT CERT');
    writeFileSync(join(dir, 'client.key'), 'CLIENT KEY');
    writeFileSync(join(dir, 'README'), 'ignored');
    expect(readCertsDir(dir)).toEqual({ dir, ca: ['CA ONE', 'CA TWO'], client: { cert: ['CLIENT CERT'], key: ['CLIENT KEY'] } });
    expect(registryCerts('reg.example', [user!])?.ca).toHaveLength(2);
    expect(registryCerts('none.example', [user!])).toBeUndefined();
  });

  it('refuses half a client pair with a line naming the file', () => {
    const [user] = roots();
    const dir = join(user!, 'reg.example');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'client.cert'), 'CLIENT CERT');
    expect(() => readCertsDir(dir)).toThrow(/client certificate .*reg\.example\/client\.cert has no key beside it \(client\.key\)/);
    const other = join(user!, 'other.example');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'client.key'), 'KEY');
    expect(() => readCertsDir(other)).toThrow(/key .*other\.example\/client\.key has no client certificate beside it \(client\.cert\)/);
  });
});
