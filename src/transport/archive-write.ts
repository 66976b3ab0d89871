import { createReadStream, createWriteStream, linkSync, copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, basename } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create as createTar } from 'tar';
import { BurrowError, fsError } from '../errors.js';
import type { LocalImage } from '../image/local.js';
import { layerCompression, MediaType } from '../image/media-types.js';
import { familiarName, parseReference } from '../reference/reference.js';
import type { Store } from '../store/store.js';
import { decompressor } from '../util/decompress.js';

export type ArchiveFormat = 'docker-archive' | 'oci-archive';

function place(source: string, target: string): void {
  mkdirSync(dirname(target), { recursive: true });
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target);
  }
}

/** Writes a layer uncompressed (what `docker load` expects) and checks it against the config's diff_id. */
async function placeUncompressed(store: Store, image: LocalImage, index: number, staging: string): Promise<string> {
  const layer = image.manifest.layers[index]!;
  const diffId = image.config.rootfs.diff_ids[index]!;
  const target = join(staging, 'blobs', 'sha256', diffId.slice('sha256:'.length));
  const decompress = decompressor(layerCompression(layer.mediaType));
  if (decompress === undefined) {
    place(store.blobPath(layer.digest), target);
    return `blobs/sha256/${diffId.slice('sha256:'.length)}`;
  }
  mkdirSync(dirname(target), { recursive: true });
  const hash = createHash('sha256');
  const tee = new Transform({ transform(chunk: Buffer, _e, callback) { hash.update(chunk); callback(null, chunk); } });
  await pipeline(createReadStream(store.blobPath(layer.digest)), decompress, tee, createWriteStream(target));
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== diffId) {
    throw new BurrowError('DIGEST_MISMATCH', `layer ${layer.digest} of ${image.record.name} uncompresses to ${actual}, not its diff_id ${diffId}: the store is damaged; pull the image again`);
  }
  return `blobs/sha256/${diffId.slice('sha256:'.length)}`;
}

function dockerTag(name: string): string | undefined {
  if (name.startsWith('@')) return undefined;
  const ref = parseReference(name);
  return ref.tag === undefined ? undefined : `${familiarName(ref)}:${ref.tag}`;
}

async function stageDocker(store: Store, images: LocalImage[], staging: string, byId: ReadonlySet<LocalImage>): Promise<void> {
  const entries: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
  for (const image of images) {
    const configName = `blobs/sha256/${image.id.slice('sha256:'.length)}`;
    place(store.blobPath(image.id), join(staging, configName));
    const layers: string[] = [];
    for (let index = 0; index < image.manifest.layers.length; index++) layers.push(await placeUncompressed(store, image, index, staging));
    const tags = byId.has(image) ? [] : [dockerTag(image.record.name)].filter((tag): tag is string => tag !== undefined);
    entries.push({ Config: configName, RepoTags: tags, Layers: layers });
  }
  writeFileSync(join(staging, 'manifest.json'), JSON.stringify(entries));
}

function stageOci(store: Store, images: LocalImage[], staging: string, byId: ReadonlySet<LocalImage>): void {
  const manifests = images.map((image) => {
    for (const digest of [image.record.manifest.digest, image.id, ...image.manifest.layers.map((layer) => layer.digest)]) {
      place(store.blobPath(digest), join(staging, 'blobs', digest.replace(':', '/')));
    }
    const annotations: Record<string, string> = {};
    if (!image.record.name.startsWith('@') && !byId.has(image)) {
      const ref = parseReference(image.record.name);
      annotations['io.containerd.image.name'] = image.record.name;
      if (ref.tag !== undefined) annotations['org.opencontainers.image.ref.name'] = ref.tag;
    }
    return { mediaType: image.record.manifest.mediaType || MediaType.ociManifest, digest: image.record.manifest.digest, size: image.record.manifest.size, annotations };
  });
  writeFileSync(join(staging, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(staging, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
}

/**
 * `burrow save`: images into a tar archive. The archive appears under its name
 * only once complete (written beside it, then renamed). The images of `byId` were
 * named by their id: saved without a name, as Docker's save does (its loader gets
 * the image untagged, `<none>:<none>`, under the same id).
 */
export async function saveImages(store: Store, images: LocalImage[], file: string, format: ArchiveFormat, byId: ReadonlySet<LocalImage> = new Set()): Promise<void> {
  const staging = store.scratchDir('save');
  const partial = join(dirname(file), `.${basename(file)}.${process.pid}.partial`);
  try {
    if (format === 'docker-archive') await stageDocker(store, images, staging, byId);
    else stageOci(store, images, staging, byId);
    const entries = format === 'docker-archive' ? ['manifest.json', 'blobs'] : ['oci-layout', 'index.json', 'blobs'];
    await createTar({ file: partial, cwd: staging, portable: true, noMtime: true }, entries);
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw fsError(error, `saving to ${file}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
