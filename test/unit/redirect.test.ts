import { describe, expect, it } from 'vitest';
import { redirectTarget, sameOrigin } from '../../src/registry/redirect.js';
import { isListedInsecure, isLoopback } from '../../src/registry/hosts.js';
import { oneLine } from '../../src/registry/http.js';

const url = (text: string): URL => new URL(text);

describe('redirect rules', () => {
  it('keeps Authorization only on the same scheme, host and port', () => {
    const registry = url('https://registry.example:5000/v2/x/blobs/sha256:1');
    expect(sameOrigin(registry, url('https://registry.example:5000/elsewhere'))).toBe(true);
    // Scheme alone changes: https → http on the same host and port (readable on the wire).
    expect(sameOrigin(registry, url('http://registry.example:5000/v2/x'))).toBe(false);
    // Host alone changes (blob storage).
    expect(sameOrigin(registry, url('https://storage.example:5000/v2/x'))).toBe(false);
    // Port alone changes (another service on the same host).
    expect(sameOrigin(registry, url('https://registry.example:5001/v2/x'))).toBe(false);
    // A default port spelt out is the same origin.
    expect(sameOrigin(url('https://registry.example/v2/'), url('https://registry.example:443/v2/'))).toBe(true);
    expect(sameOrigin(url('http://registry.example/v2/'), url('https://registry.example/v2/'))).toBe(false);
    // Host names compare without case, as DNS does.
    expect(sameOrigin(url('https://Registry.Example/v2/'), url('https://registry.example/v2/'))).toBe(true);
  });

  it('follows relative and absolute http(s) locations, refuses any other scheme with one line', () => {
    const from = url('https://registry.example/v2/x/blobs/sha256:1');
    expect(redirectTarget(from, '/storage/abc?sig=1').href).toBe('https://registry.example/storage/abc?sig=1');
    expect(redirectTarget(from, 'http://storage.example/abc').href).toBe('http://storage.example/abc');
    for (const location of ['file:///etc/passwd', 'ftp://storage.example/x', 'data:text/plain,hi', 'javascript:alert(1)']) {
      expect(() => redirectTarget(from, location)).toThrow(/redirected to a (file|ftp|data|javascript): URL: only http and https are followed/);
    }
    expect(() => redirectTarget(from, 'http://[bad')).toThrow(/redirected to an invalid URL/);
  });
});

describe('which registries are insecure', () => {
  it('loopback by form only, and the listed ones', () => {
    expect(isLoopback('127.0.0.1:5000')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('[::1]:5000')).toBe(true);
    expect(isLoopback('registry.burrow.test:5000')).toBe(false);
    expect(isLoopback('127.0.0.1.example.com')).toBe(false);
    expect(isListedInsecure('reg.example:5000', ['http://reg.example:5000/'])).toBe(true);
    expect(isListedInsecure('reg.example', ['reg.example:5000'])).toBe(false);
  });
});

describe('server text in messages', () => {
  it('stays one short line', () => {
    expect(oneLine('bad\nthing\r\n\u001b[31mred', 100)).toBe('bad thing [31mred');
    expect(oneLine('x'.repeat(300), 10)).toBe(`${'x'.repeat(10)}…`);
  });
});
