import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { createHash, type Hash } from 'node:crypto';
import { BurrowError, type ErrorCode } from '../errors.js';
import { copyImage } from '../copy/copy.js';
import { findContainer, type ContainerRecord } from '../container/record.js';
import { formatReference, parseReference } from '../reference/reference.js';
import type { Store } from '../store/store.js';
import { archiveImages } from '../transport/archive-read.js';
import { containerIdMapping, unshareArgs } from '../userns/idmap.js';
import { notInstalled, RUN_DOCTOR, unshareProgram } from '../util/host-tools.js';
import { hostEnv } from '../util/spawn.js';
import { applyChanges, parseChange, type ImageChangeConfig } from './changes.js';
import { requireImage, type LocalImage } from './local.js';
import { MediaType } from './media-types.js';
import { hostPlatform } from './platform.js';
import type { Descriptor, ImageConfig, ImageManifest } from './types.js';

/**
 * `burrow commit`: a container's changes as a new image, Docker's "build, ship, run"
 * first step. The changes are one new layer on top of the container's image (its
 * overlay upper directory, whiteouts translated by `commit-worker.ts`); a container
 * of the copy driver (keep-id) has no layer of its own, so its whole root becomes
 * the image's one layer (a squashed image: the same files). The new config is the
 * container's (its command, environment, working directory, user and labels, as
 * Docker and Podman make it) with `--change` instructions applied; the new image
 * then enters the store through the same copy pipeline as a pull or a load, so its
 * layer is verified, stored once by content and unpacked like any other.
 *
 * A running container is committed as it is, without pausing it (Podman's default:
 * burrow's freezer is not available on every host); a file it writes meanwhile may
 * be caught half-written, so stop it first for a consistent image.
 */
const WORKER = fileURLToPath(new URL('../image/commit-worker.js', import.meta.url));

export interface CommitOptions {
  /** REPOSITORY[:TAG] for the new image; none: an untagged (dangling) image, as Docker. */
  reference?: string | undefined;
  author?: string | undefined;
  message?: string | undefined;
  /** Dockerfile instructions (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR). */
  changes?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
}

export interface CommitResult {
  /** The image id (its config digest), as Docker prints it. */
  id: string;
  manifestDigest: string;
  name: string | undefined;
}

/** Passes bytes through, hashing them (the layer's diff_id before compression, its digest after). */
class Hashing extends Transform {
  readonly hash: Hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }
}

/** Docker's layer media types, as OCI spells them (the new manifest is an OCI one). */
function ociLayer(descriptor: Descriptor): Descriptor {
  const renamed: Record<string, string> = {
    [MediaType.dockerLayerGzip]: MediaType.ociLayerGzip,
    [MediaType.dockerLayer]: MediaType.ociLayer,
  };
  return { mediaType: renamed[descriptor.mediaType] ?? descriptor.mediaType, digest: descriptor.digest, size: descriptor.size };
}

/** The image the container was made from, which the new one builds on. */
function baseImage(store: Store, record: ContainerRecord): LocalImage {
  try {
    return requireImage(store, record.image.id);
  } catch {
    throw new BurrowError('NOT_FOUND', `cannot commit ${record.name}: its image ${record.image.name} (${record.image.id.slice(7, 19)}) is no longer in the store; pull it again`);
  }
}

/** The new image's runtime config: the image's, then the container's settings, then the changes. */
function committedConfig(record: ContainerRecord, base: LocalImage, changes: ReturnType<typeof parseChange>[]): ImageChangeConfig {
  const process = record.plan.process;
  const from = base.config.config ?? {};
  const command = record.command;
  // The defaults burrow adds to a job's environment at run time (container/create.ts, as Docker: HOSTNAME,
  // HOME, TERM for a terminal) belong to the run, not to the image, unless the image had them (a -e HOME=…
  // is not told apart from the default and is left out too).
  const imageKeys = new Set((from.Env ?? []).map((entry) => entry.slice(0, entry.indexOf('='))));
  const addedAtRun = (entry: string): boolean => entry === `HOSTNAME=${record.plan.hostname}` || entry.startsWith('HOME=') || (record.tty && entry === 'TERM=xterm');
  const env = process.env.filter((entry) => imageKeys.has(entry.slice(0, entry.indexOf('='))) || !addedAtRun(entry));
  const config: ImageChangeConfig = {
    ...from,
    Env: env,
    ...(command === undefined ? { Entrypoint: null, Cmd: process.args } : { Entrypoint: command.entrypoint.length > 0 ? command.entrypoint : null, Cmd: command.cmd.length > 0 ? command.cmd : null }),
    WorkingDir: process.cwd,
    ...(command?.user === undefined ? {} : { User: command.user }),
    Labels: { ...(from.Labels ?? {}), ...record.labels },
    StopSignal: record.stopSignal,
  };
  return applyChanges(config, changes);
}

/** Runs the worker in the container's user namespace; its stdout (the layer's tar) goes through gzip into `file`. */
export async function writeLayer(record: ContainerRecord, file: string, signal: AbortSignal | undefined): Promise<{ diffId: string; digest: string; size: number }> {
  const rootfs = record.plan.rootfs;
  const squash = rootfs.driver === 'copy';
  const skip = record.plan.files.flatMap((file) => ['--skip-empty', file.target]);
  const mapping = containerIdMapping(record.userns);
  const command = unshareProgram();
  const child = spawn(command, [...unshareArgs(mapping), '--', process.execPath, WORKER, squash ? 'tree' : 'upper', squash ? rootfs.merged : rootfs.upper, ...skip], { stdio: ['ignore', 'pipe', 'pipe'], env: hostEnv(), signal });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((done, fail) => {
    child.on('error', (error: NodeJS.ErrnoException) => fail(error.name === 'AbortError' ? new BurrowError('INTERRUPTED', `burrow commit ${record.name} interrupted`) : new BurrowError('IO', error.code === 'ENOENT' ? `cannot commit: ${notInstalled(command)}; ${RUN_DOCTOR}` : `cannot start ${command}: ${error.message}`)));
    child.on('close', (code) => done(code));
  });
  const uncompressed = new Hashing();
  const compressed = new Hashing();
  try {
    await Promise.all([pipeline(child.stdout!, uncompressed, createGzip({ level: 6 }), compressed, createWriteStream(file)), exited]);
  } catch (error) {
    child.kill('SIGKILL');
    if (error instanceof BurrowError) throw error;
    if (signal?.aborted === true) throw new BurrowError('INTERRUPTED', `burrow commit ${record.name} interrupted`);
    throw new BurrowError('IO', `cannot write the layer of ${record.name}: ${(error as Error).message}`);
  }
  const status = await exited;
  if (status !== 0) {
    for (const line of stderr.trim().split('\n').reverse()) {
      if (!line.startsWith('{')) continue;
      try {
        const { message } = JSON.parse(line) as { code?: ErrorCode; message: string };
        throw new BurrowError('IO', `cannot commit ${record.name}: ${message}`);
      } catch (error) {
        if (error instanceof BurrowError) throw error;
      }
    }
    throw new BurrowError('IO', `cannot commit ${record.name}: ${stderr.trim().split('\n')[0] || `its helper exited with status ${status}`}`);
  }
  return { diffId: `sha256:${uncompressed.hash.digest('hex')}`, digest: `sha256:${compressed.hash.digest('hex')}`, size: compressed.size };
}

export async function commitContainer(store: Store, query: string, options: CommitOptions = {}): Promise<CommitResult> {
  // Every argument is checked before any work.
  const changes = (options.changes ?? []).map(parseChange);
  let name: string | undefined;
  if (options.reference !== undefined) {
    let ref;
    try {
      ref = parseReference(options.reference);
    } catch (error) {
      throw new BurrowError('INVALID_ARGUMENT', `invalid reference "${options.reference}" for the new image: ${(error as Error).message}`);
    }
    if (ref.digest !== undefined) throw new BurrowError('INVALID_ARGUMENT', `cannot commit to a digest reference "${options.reference}": give REPOSITORY[:TAG]`);
    name = formatReference(ref);
  }
  const record = findContainer(store, query);
  const base = baseImage(store, record);
  const squash = record.plan.rootfs.driver === 'copy';

  const scratch = store.scratchDir('commit');
  try {
    const layerFile = join(scratch, 'layer.tar.gz');
    const layer = await writeLayer(record, layerFile, options.signal);
    const created = new Date().toISOString();
    return await storeImage(store, {
      base,
      squash,
      layer: { ...layer, file: layerFile },
      config: committedConfig(record, base, changes),
      history: {
        created,
        created_by: record.plan.process.args.join(' '),
        ...(options.author === undefined ? {} : { author: options.author }),
        ...(options.message === undefined ? {} : { comment: options.message }),
      },
      author: options.author,
      name,
      signal: options.signal,
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A layer written to a file: its gzip file, digest (compressed), diff_id (uncompressed) and size. */
export interface WrittenLayer {
  file: string;
  digest: string;
  diffId: string;
  size: number;
}

export interface StoreImageOptions {
  /** The image built on (undefined: none, as `FROM scratch`). */
  base: LocalImage | undefined;
  /** The new layer replaces all of the base's (a copy-driver container's whole root). */
  squash?: boolean | undefined;
  /** The new layer, if any (a config-only change adds none). */
  layer: WrittenLayer | undefined;
  config: ImageChangeConfig;
  /** The new image's history entry (`empty_layer` is set when there is no layer). */
  history: ImageHistoryEntry;
  /** Further history entries before it (config-only steps of a build). */
  earlierHistory?: ImageHistoryEntry[] | undefined;
  author?: string | undefined;
  name: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface ImageHistoryEntry { created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean; [key: string]: unknown }

/**
 * A new image in the store: the base's layers (unless squashed), then `layer`, with
 * `config`; entered through the copy pipeline as a pull or a load (verified, stored
 * once by content, unpacked like any other). `commit` and `build` share it.
 */
export async function storeImage(store: Store, options: StoreImageOptions): Promise<CommitResult> {
  const { base, layer, name } = options;
  const squash = options.squash === true;
  const scratch = store.scratchDir('commit');
  try {
    const blobs = new Map<string, string>();
    if (layer !== undefined) blobs.set(layer.digest, layer.file);
    const previous = squash || base === undefined ? [] : (base.config.history ?? []);
    const baseLayers = squash || base === undefined ? [] : base.manifest.layers;
    const history = layer === undefined ? { ...options.history, empty_layer: true } : options.history;
    const config: ImageConfig & { config: ImageChangeConfig } = {
      ...(base?.config ?? { architecture: hostPlatform().architecture, os: hostPlatform().os, ...(hostPlatform().variant === undefined ? {} : { variant: hostPlatform().variant }) }),
      created: options.history.created ?? new Date().toISOString(),
      ...(options.author === undefined ? {} : { author: options.author }),
      config: options.config,
      rootfs: { type: 'layers', diff_ids: [...(squash || base === undefined ? [] : base.config.rootfs.diff_ids), ...(layer === undefined ? [] : [layer.diffId])] },
      history: [...previous, ...(options.earlierHistory ?? []), history],
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDigest = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configDigest, size: configBytes.length },
      layers: [...baseLayers.map(ociLayer), ...(layer === undefined ? [] : [{ mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size }])],
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`;
    // An OCI layout of the new image: its own blobs in scratch, the base layers where the store keeps them.
    mkdirSync(join(scratch, 'blobs'), { recursive: true });
    for (const [digest, bytes] of [[configDigest, configBytes], [manifestDigest, manifestBytes]] as const) {
      const path = join(scratch, 'blobs', digest.slice('sha256:'.length));
      writeFileSync(path, bytes);
      blobs.set(digest, path);
    }
    for (const descriptor of baseLayers) blobs.set(descriptor.digest, store.blobPath(descriptor.digest));
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociManifest, digest: manifestDigest, size: manifestBytes.length }] };
    writeFileSync(join(scratch, 'index.json'), JSON.stringify(index));
    writeFileSync(join(scratch, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const paths = new Map<string, string>([['index.json', join(scratch, 'index.json')], ['oci-layout', join(scratch, 'oci-layout')]]);
    for (const [digest, path] of blobs) paths.set(`blobs/sha256/${digest.slice('sha256:'.length)}`, path);
    const [image] = await archiveImages({ file: name === undefined ? 'a new image' : `the new image ${name}`, paths });
    const result = await copyImage(image!.source, store, {
      platform: { architecture: config.architecture, os: config.os, ...(config.variant === undefined ? {} : { variant: config.variant }) },
      names: name === undefined ? [] : [name],
      recordUntagged: true,
      signal: options.signal,
    });
    return { id: result.manifest.config.digest, manifestDigest: result.manifestDigest, name };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
