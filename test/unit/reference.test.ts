import { describe, expect, it } from 'vitest';
import { familiarString, formatReference, parseReference } from '../../src/reference/reference.js';

describe('image references', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['user/name', 'docker.io/user/name:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/team/app:v1', 'localhost:5000/team/app:v1'],
    ['127.0.0.1:5100/busybox:latest', '127.0.0.1:5100/busybox:latest'],
    ['ghcr.io/org/sub/image:1.0-rc.1', 'ghcr.io/org/sub/image:1.0-rc.1'],
    [`busybox@sha256:${'a'.repeat(64)}`, `docker.io/library/busybox@sha256:${'a'.repeat(64)}`],
    [`quay.io/x/y:tag@sha256:${'b'.repeat(64)}`, `quay.io/x/y:tag@sha256:${'b'.repeat(64)}`],
    ['[::1]:5000/app', '[::1]:5000/app:latest'],
    ['a__b/c-d/e.f_g', 'docker.io/a__b/c-d/e.f_g:latest'],
  ])('%s → %s', (input, canonical) => {
    expect(formatReference(parseReference(input))).toBe(canonical);
  });

  it('splits domain, path, tag and digest', () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    expect(parseReference(`host:5000/a/b:t@${digest}`)).toEqual({ domain: 'host:5000', path: 'a/b', tag: 't', digest });
    expect(parseReference(`x@${digest}`).tag).toBeUndefined();
  });

  it('shows Docker Hub names the familiar way', () => {
    expect(familiarString(parseReference('docker.io/library/busybox:1'))).toBe('busybox:1');
    expect(familiarString(parseReference('user/app'))).toBe('user/app:latest');
    expect(familiarString(parseReference('127.0.0.1:5100/busybox'))).toBe('127.0.0.1:5100/busybox:latest');
  });

  it.each([
    ['', /empty/],
    ['Busybox', /lowercase/],
    ['docker.io/Library/busybox', /lowercase/],
    ['busybox:', /not a valid tag/],
    ['busybox:-x', /not a valid tag/],
    [`busybox:${'t'.repeat(129)}`, /not a valid tag/],
    ['busybox@sha256:abc', /not a digest|not a sha256/],
    [`busybox@sha256:${'A'.repeat(64)}`, /not a digest|not a sha256/],
    [`busybox@md5:${'a'.repeat(32)}`, /not supported/],
    ['a//b', /not a valid repository name component/],
    ['a/b_', /not a valid repository name component/],
    ['host:port/x', /not a port number/],
    ['my host/x', /white space/],
    ['-host.com/x', /not a valid registry host name/],
    [`${'a'.repeat(250)}/${'b'.repeat(10)}`, /longer than 255/],
  ])('rejects %j with a reason', (input, reason) => {
    expect(() => parseReference(input)).toThrow(reason);
    expect(() => parseReference(input)).toThrow(/^invalid image reference/);
  });
});
