import { describe, expect, it } from 'vitest';
import { hostPlatform, parsePlatform, platformMatches } from '../../src/image/platform.js';
import { selectPlatform } from '../../src/image/select.js';
import type { ImageIndex } from '../../src/image/types.js';

const digest = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;

const index: ImageIndex = {
  schemaVersion: 2,
  manifests: [
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(1), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(2), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(3), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(4), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(5), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
  ],
};

describe('platforms', () => {
  it('knows the host', () => {
    expect(hostPlatform().os).toBe('linux');
    expect(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64']).toContain(hostPlatform().architecture);
  });

  it('parses and normalises os/arch[/variant]', () => {
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64', variant: undefined });
    expect(parsePlatform('linux/aarch64')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('linux/arm/v6').variant).toBe('v6');
    expect(() => parsePlatform('linux')).toThrow(/expected os\/arch/);
    expect(() => parsePlatform('linux//v7')).toThrow(/expected os\/arch/);
  });

  it('picks the entry for the wanted platform, variant included', () => {
    expect(selectPlatform(index, parsePlatform('linux/amd64'), 'img').digest).toBe(digest(1));
    expect(selectPlatform(index, parsePlatform('linux/arm/v6'), 'img').digest).toBe(digest(2));
    expect(selectPlatform(index, parsePlatform('linux/arm'), 'img').digest).toBe(digest(3));
    expect(selectPlatform(index, parsePlatform('linux/arm64'), 'img').digest).toBe(digest(4));
    expect(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64' })).toBe(true);
  });

  it('lists what the index has when nothing matches (skipping attestation entries)', () => {
    expect(() => selectPlatform(index, parsePlatform('linux/riscv64'), 'img')).toThrow('img has no image for linux/riscv64; it has: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8 (choose one with --platform)');
  });
});
