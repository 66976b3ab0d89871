import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bed, fixture } from '../helpers/bed.js';
import { expectOneLineError, run, sandbox, storeSnapshot, jsonLines } from '../helpers/cli.js';

const anon = (): string => bed().registries.anon;

function storedLayers(root: string, manifestDigest: string): { mediaType: string; digest: string }[] {
  const manifest = JSON.parse(readFileSync(join(root, 'blobs', 'sha256', manifestDigest.slice(7)), 'utf8')) as { layers: { mediaType: string; digest: string }[] };
  return manifest.layers;
}

function recordOf(root: string, name: string): { digest: string; annotations: Record<string, string>; platform?: { architecture: string } } {
  const index = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string>; platform?: { architecture: string } }[] };
  const record = index.manifests.find((entry) => entry.annotations['org.opencontainers.image.ref.name'] === name);
  if (record === undefined) throw new Error(`no record ${name} in ${JSON.stringify(index)}`);
  return record;
}

describe('burrow pull from a real registry', () => {
  it('pulls a Docker v2 image, verifies every blob and names it', async () => {
    const box = sandbox();
    const result = await run(box, ['pull', `${anon()}/busybox:latest`]);
    expect(result.stderr).toMatch(/Pull complete/);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Digest: ${fixture('busybox:latest').digest}`);
    expect(result.stdout).toContain(`Status: Downloaded newer image for ${anon()}/busybox:latest`);
    expect(result.stdout.trim().split('\n').at(-1)).toBe(`${anon()}/busybox:latest`);
    // Every stored blob hashes to its name: nothing unverified is in the store.
    const blobs = readdirSync(join(box.root, 'blobs', 'sha256'));
    expect(blobs.length).toBe(3);
    for (const hex of blobs) {
      expect(createHash('sha256').update(readFileSync(join(box.root, 'blobs', 'sha256', hex))).digest('hex')).toBe(hex);
    }
    expect(recordOf(box.root, `${anon()}/busybox:latest`).digest).toBe(fixture('busybox:latest').digest);
    const images = await run(box, ['images', '--no-trunc', '--format', 'json']);
    const list = jsonLines<{ Repository: string; Tag: string; ID: string }>(images.stdout);
    expect(list).toEqual([expect.objectContaining({ Repository: `${anon()}/busybox`, Tag: 'latest', ID: fixture('busybox:latest').config })]);
  });

  it.each([
    ['busybox:oci', 'application/vnd.oci.image.layer.v1.tar+gzip'],
    ['multilayer:oci', 'application/vnd.oci.image.layer.v1.tar+gzip'],
    ['multilayer:docker', 'application/vnd.docker.image.rootfs.diff.tar.gzip'],
    ['compression:gzip', 'application/vnd.oci.image.layer.v1.tar+gzip'],
    ['compression:uncompressed', 'application/vnd.oci.image.layer.v1.tar'],
    ['compression:zstd', 'application/vnd.oci.image.layer.v1.tar+zstd'],
  ])('pulls %s (%s layers)', async (name, layerType) => {
    const box = sandbox();
    const result = await run(box, ['pull', '-q', `${anon()}/${name}`]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(`${anon()}/${name}`);
    const layers = storedLayers(box.root, fixture(name).digest);
    expect(layers.map((layer) => layer.digest)).toEqual(fixture(name).layers);
    expect(layers.at(-1)!.mediaType).toBe(layerType);
  });

  it('picks the host platform from an OCI index and a Docker manifest list', async () => {
    for (const name of ['multiarch:latest', 'multiarch:docker']) {
      const box = sandbox();
      const result = await run(box, ['pull', `${anon()}/${name}`]);
      expect(result.exitCode).toBe(0);
      const record = recordOf(box.root, `${anon()}/${name}`);
      expect(record.digest).toBe(fixture(name).platforms!['linux/amd64']);
      expect(record.annotations['io.burrow.source.digest']).toBe(fixture(name).digest);
    }
  });

  it('picks another platform with --platform', async () => {
    const box = sandbox();
    const result = await run(box, ['pull', '--platform', 'linux/arm64', `${anon()}/multiarch:latest`]);
    expect(result.exitCode).toBe(0);
    expect(recordOf(box.root, `${anon()}/multiarch:latest`).digest).toBe(fixture('multiarch:latest').platforms!['linux/arm64/v8'] ?? fixture('multiarch:latest').platforms!['linux/arm64']);
    const images = jsonLines<{ Platform: string }>((await run(box, ['images', '--format', 'json'])).stdout);
    expect(images[0]!.Platform).toMatch(/^linux\/arm64/);
  });

  it('lists the platforms an index has when none matches', async () => {
    const box = sandbox();
    const result = await run(box, ['pull', `${anon()}/onlyarm:latest`]);
    const line = expectOneLineError(result);
    expect(line).toMatch(/has no image for linux\/amd64; it has: linux\/arm64\/v8, linux\/arm\/v7/);
    expect(result.exitCode).toBe(1);
    expect(storeSnapshot(box.root).blobs).toEqual([]);
  });

  it('pulls by digest, and by tag@digest', async () => {
    const box = sandbox();
    const { digest } = fixture('busybox:latest');
    const byDigest = await run(box, ['pull', `${anon()}/busybox@${digest}`]);
    expect(byDigest.exitCode).toBe(0);
    expect(byDigest.stdout).toContain(`${anon()}/busybox@${digest}`);
    const both = await run(box, ['pull', `${anon()}/busybox:latest@${digest}`]);
    expect(both.exitCode).toBe(0);
    // The second pull found every blob already stored.
    expect(both.stderr).not.toMatch(/Pull complete/);
    const wrong = await run(box, ['pull', `${anon()}/busybox@sha256:${'0'.repeat(64)}`]);
    expect(expectOneLineError(wrong)).toMatch(/not found/);
  });

  it('stores a layer once for every image that has it', async () => {
    const box = sandbox();
    expect((await run(box, ['pull', '-q', `${anon()}/busybox:latest`])).exitCode).toBe(0);
    const before = storeSnapshot(box.root).blobs.length;
    const second = await run(box, ['pull', `${anon()}/library/busybox:latest`]);
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toMatch(/Already exists/);
    // Same content under another name: no new blob at all.
    expect(storeSnapshot(box.root).blobs.length).toBe(before);
    const images = jsonLines((await run(box, ['images', '--format', 'json'])).stdout);
    expect(images).toHaveLength(2);
  });

  it('answers a second pull of an unchanged tag from the store', async () => {
    const box = sandbox();
    expect((await run(box, ['pull', `${anon()}/multilayer:oci`])).exitCode).toBe(0);
    const again = await run(box, ['pull', `${anon()}/multilayer:oci`]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('Status: Image is up to date');
  });

  it('rejects invalid references with the reason, before any network', async () => {
    const box = sandbox();
    for (const [reference, reason] of [
      ['busybox/UPPER', /lowercase/],
      ['busybox:bad tag', /white space/],
      ['busybox@sha256:123', /not a (sha256 )?digest/],
      [`${anon()}/x:y:z`, /not a port number|not a valid/],
    ] as const) {
      const result = await run(box, ['pull', reference]);
      expect(expectOneLineError(result)).toMatch(reason);
      expect(result.exitCode).toBe(1);
    }
  });

  it('reports an unknown repository and an unknown tag', async () => {
    const box = sandbox();
    const repo = await run(box, ['pull', `${anon()}/no-such-repo:latest`]);
    expect(expectOneLineError(repo)).toMatch(/no-such-repo:latest: not found/);
    const tag = await run(box, ['pull', `${anon()}/busybox:no-such-tag`]);
    expect(expectOneLineError(tag)).toMatch(/busybox:no-such-tag: not found \(the registry has no such tag/);
    expect(storeSnapshot(box.root).index).toBe('');
  });
});
