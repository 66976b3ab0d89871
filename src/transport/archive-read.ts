import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { closeSync, openSync, readSync } from 'node:fs';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { BurrowError, fsError } from '../errors.js';
import { MediaType } from '../image/media-types.js';
import type { Descriptor, ImageManifest } from '../image/types.js';
import { parseJson, validateIndex } from '../image/validate.js';
import { formatReference, parseReference } from '../reference/reference.js';
import type { BlobSource } from '../store/blobs.js';
import { sha256 } from '../util/hash.js';
import { sniffCompression } from '../util/decompress.js';
import { createHash } from 'node:crypto';
import type { ImageSource, RawManifest } from './types.js';

/**
 * An archive's regular files, each copied to its own numbered file under a
 * scratch directory: no archive path is ever used as a host path, so `../` and
 * link tricks in a hostile archive have nothing to work with.
 */
export interface ArchiveFiles {
  file: string;
  paths: Map<string, string>;
}

function normalizeEntry(name: string): string | undefined {
  const normalized = posix.normalize(`/${name}`).slice(1);
  if (normalized === '' || normalized.startsWith('..')) return undefined;
  return normalized.replace(/\/$/, '');
}

export async function extractArchive(file: string, scratch: string): Promise<ArchiveFiles> {
  const paths = new Map<string, string>();
  let counter = 0;
  const writes: Promise<void>[] = [];
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const name = normalizeEntry(entry.path);
      if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
        entry.resume();
        return;
      }
      if (name === undefined) {
        entry.resume();
        return;
      }
      const target = join(scratch, `entry-${counter++}`);
      paths.set(name, target);
      writes.push(pipeline(entry, createWriteStream(target)));
    },
  });
  try {
    await pipeline(createReadStream(file), parser);
    await Promise.all(writes);
  } catch (error) {
    const errno = (error as { code?: string }).code;
    if (errno === 'ENOENT') throw new BurrowError('NOT_FOUND', `${file}: no such file`);
    if (errno === 'ENOSPC' || errno === 'EACCES') throw fsError(error, `reading ${file}`);
    throw new BurrowError('INVALID_ARGUMENT', `${file} is not a readable tar archive (${(error as Error).message})`, { cause: error });
  }
  return { file, paths };
}

function fileSource(path: string, describe: string): BlobSource {
  return {
    describe,
    open: async (offset) => ({ stream: createReadStream(path, { start: offset }), start: offset }),
  };
}

async function hashFile(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

function head(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(4);
    const read = readSync(fd, buffer, 0, 4, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

export interface ArchivedImage {
  source: ImageSource;
  /** Canonical names to record; empty for an untagged image. */
  names: string[];
}

function need(files: ArchiveFiles, name: string): string {
  const path = files.paths.get(normalizeEntry(name) ?? name);
  if (path === undefined) throw new BurrowError('INVALID_ARGUMENT', `${files.file}: the archive names "${name}" but does not contain it`);
  return path;
}

/** A source whose blobs are files of the archive, found by digest. */
class ArchiveSource implements ImageSource {
  constructor(
    readonly describe: string,
    private readonly topManifest: RawManifest,
    private readonly blobFile: (digest: string) => string,
  ) {}

  async top(): Promise<RawManifest> {
    return this.topManifest;
  }

  async manifest(descriptor: Descriptor): Promise<RawManifest> {
    const bytes = readFileSync(this.blobFile(descriptor.digest));
    return { bytes, mediaType: descriptor.mediaType, digest: descriptor.digest };
  }

  blob(descriptor: Descriptor): BlobSource {
    return fileSource(this.blobFile(descriptor.digest), this.describe);
  }

  async close(): Promise<void> {}
}

interface DockerArchiveEntry {
  Config?: string;
  RepoTags?: string[] | null;
  Layers?: string[];
}

function canonicalNames(file: string, tags: readonly string[]): string[] {
  return tags.map((tag) => {
    try {
      return formatReference(parseReference(tag));
    } catch (error) {
      throw new BurrowError('INVALID_ARGUMENT', `${file}: ${(error as Error).message}`);
    }
  });
}

/** `docker save` archives: manifest.json naming a config and layer tars. */
async function dockerArchiveImages(files: ArchiveFiles): Promise<ArchivedImage[]> {
  const parsed = parseJson(readFileSync(need(files, 'manifest.json')), `manifest.json of ${files.file}`);
  if (!Array.isArray(parsed)) throw new BurrowError('INVALID_MANIFEST', `${files.file}: manifest.json is not a list of images`);
  const images: ArchivedImage[] = [];
  for (const entry of parsed as DockerArchiveEntry[]) {
    if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) {
      throw new BurrowError('INVALID_MANIFEST', `${files.file}: a manifest.json entry lacks "Config" or "Layers"`);
    }
    const byDigest = new Map<string, string>();
    const configPath = need(files, entry.Config);
    const configBytes = readFileSync(configPath);
    const configDigest = sha256(configBytes);
    byDigest.set(configDigest, configPath);
    const layers: Descriptor[] = [];
    for (const layerName of entry.Layers) {
      const path = need(files, layerName);
      const { digest, size } = await hashFile(path);
      byDigest.set(digest, path);
      const compression = sniffCompression(head(path));
      const mediaType = compression === 'gzip' ? MediaType.dockerLayerGzip : compression === 'zstd' ? MediaType.ociLayerZstd : MediaType.dockerLayer;
      layers.push({ mediaType, digest, size });
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, digest: configDigest, size: configBytes.length },
      layers,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const names = canonicalNames(files.file, entry.RepoTags ?? []);
    const top = { bytes, mediaType: MediaType.dockerManifest, digest: sha256(bytes) };
    images.push({
      source: new ArchiveSource(`${files.file}${names[0] === undefined ? '' : ` (${names[0]})`}`, top, (digest) => {
        const path = byDigest.get(digest);
        if (path === undefined) throw new BurrowError('NOT_FOUND', `${files.file}: no blob ${digest}`);
        return path;
      }),
      names,
    });
  }
  return images;
}

/** OCI image layouts (oci-archive): index.json naming manifests in blobs/. */
function ociArchiveImages(files: ArchiveFiles): ArchivedImage[] {
  const index = validateIndex(parseJson(readFileSync(need(files, 'index.json')), `index.json of ${files.file}`), `index.json of ${files.file}`);
  const blobFile = (digest: string): string => need(files, `blobs/${digest.replace(':', '/')}`);
  return index.manifests.map((descriptor) => {
    const fullName = descriptor.annotations?.['io.containerd.image.name'];
    const refName = descriptor.annotations?.['org.opencontainers.image.ref.name'];
    // ref.name is often only a tag ("latest"): a name without a repository is no name.
    const candidate = fullName ?? (refName?.includes('/') === true ? refName : undefined);
    const names = candidate === undefined ? [] : canonicalNames(files.file, [candidate]);
    const top = { bytes: readFileSync(blobFile(descriptor.digest)), mediaType: descriptor.mediaType, digest: descriptor.digest };
    return { source: new ArchiveSource(`${files.file}${names[0] === undefined ? '' : ` (${names[0]})`}`, top, blobFile), names };
  });
}

export async function archiveImages(files: ArchiveFiles): Promise<ArchivedImage[]> {
  if (files.paths.has('manifest.json')) return dockerArchiveImages(files);
  if (files.paths.has('index.json')) return ociArchiveImages(files);
  throw new BurrowError('INVALID_ARGUMENT', `${files.file} is neither a docker save archive (no manifest.json) nor an OCI archive (no index.json)`);
}
