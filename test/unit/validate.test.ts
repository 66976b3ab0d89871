import { describe, expect, it } from 'vitest';
import { parseJson, validateConfig, validateIndex, validateManifest } from '../../src/image/validate.js';

const digest = `sha256:${'a'.repeat(64)}`;
const manifest = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: 10 },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: 20 }],
};

describe('schema validation of manifests, indexes and configs', () => {
  it('accepts well-formed documents', () => {
    expect(validateManifest(manifest).layers).toHaveLength(1);
    expect(validateIndex({ schemaVersion: 2, manifests: [] }).manifests).toEqual([]);
    expect(validateConfig({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digest] } }).os).toBe('linux');
  });

  it('names the offending field', () => {
    const badDigest = structuredClone(manifest);
    badDigest.layers[0]!.digest = 'sha256:xyz';
    expect(() => validateManifest(badDigest)).toThrow(/field "layers\[0\]\.digest" must match pattern/);
    const noSize = structuredClone(manifest) as Record<string, unknown>;
    delete (noSize.config as Record<string, unknown>).size;
    expect(() => validateManifest(noSize)).toThrow(/field "config\.size" is missing/);
    expect(() => validateManifest({ ...manifest, schemaVersion: 1 })).toThrow(/field "schemaVersion"/);
    expect(() => validateManifest({ ...manifest, mediaType: 'text/html' })).toThrow(/^invalid image manifest: field "mediaType" must be one of application\/vnd\.oci\.image\.manifest\.v1\+json, /);
    expect(() => validateConfig({ architecture: 'amd64', os: 'linux' })).toThrow(/field "rootfs" is missing/);
    expect(() => validateIndex({ schemaVersion: 2, manifests: [{ digest }] })).toThrow(/manifests\[0\]\.mediaType" is missing/);
  });

  it('says when a document is not JSON', () => {
    expect(() => parseJson('<html>', 'image manifest of x')).toThrow(/invalid image manifest of x: not JSON/);
  });
});
