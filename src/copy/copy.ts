import type { Writable } from 'node:stream';
import pLimit from 'p-limit';
import { BurrowError } from '../errors.js';
import { isIndexType } from '../image/media-types.js';
import type { Platform } from '../image/platform.js';
import { selectPlatform } from '../image/select.js';
import type { Descriptor, ImageConfig, ImageManifest } from '../image/types.js';
import { parseJson, validateConfig, validateIndex, validateManifest } from '../image/validate.js';
import type { BlobEvent } from '../store/blobs.js';
import type { ImageRecord } from '../store/records.js';
import { upsertRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { parseDigest } from '../util/digest.js';
import { hasherFor } from '../util/hash.js';
import { trace } from '../util/trace.js';
import type { ImageSource, RawManifest } from './../transport/types.js';

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export type BlobRole = 'config' | 'layer';

export interface CopyOptions {
  platform: Platform;
  /** Record names to point at the copied image (none: blobs only). */
  names: string[];
  /** With no names, record the image under `@<manifest digest>`, as Docker keeps dangling images. */
  recordUntagged?: boolean;
  concurrency?: number;
  attempts?: number;
  signal?: AbortSignal | undefined;
  onBlob?: (descriptor: Descriptor, role: BlobRole, event: BlobEvent) => void;
  /**
   * A second destination for each layer's bytes as they download (unpacking while
   * pulling: unpack/stream.ts). Undefined: the layer is only stored. Asked for before
   * the config is read (`config` settles once it is verified and valid, or rejects).
   */
  layerSink?: (layer: Descriptor, index: number, config: Promise<ImageConfig>) => Promise<Writable | undefined>;
  /** Called once the manifest is known, before any blob moves. */
  onPlan?: (plan: { manifest: ImageManifest; digest: string; platform: Platform | undefined }) => void;
}

export interface CopyResult {
  sourceDigest: string;
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  platform: Platform | undefined;
  /** Blobs that had to be transferred (0 when all were stored already). */
  fetched: number;
}

async function readSmallBlob(source: ImageSource, descriptor: Descriptor, signal: AbortSignal | undefined): Promise<Buffer> {
  if (descriptor.size > MAX_CONFIG_BYTES) {
    throw new BurrowError('INVALID_MANIFEST', `${source.describe}: config ${descriptor.digest} claims ${descriptor.size} bytes; refusing configs over ${MAX_CONFIG_BYTES}`);
  }
  const { stream } = await source.blob(descriptor).open(0, signal);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > descriptor.size) {
      stream.destroy();
      break;
    }
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  const actual = `${parseDigest(descriptor.digest).algorithm}:${hasherFor(descriptor.digest).update(bytes).digest('hex')}`;
  if (bytes.length !== descriptor.size || actual !== descriptor.digest) {
    throw new BurrowError('DIGEST_MISMATCH', `${source.describe}: config ${descriptor.digest} failed verification (got ${bytes.length} bytes hashing to ${actual}); nothing was stored`);
  }
  return bytes;
}

/** Resolves an index to the manifest for the wanted platform. */
async function resolveManifest(source: ImageSource, top: RawManifest, platform: Platform): Promise<{ raw: RawManifest; platform: Platform | undefined }> {
  if (!isIndexType(top.mediaType)) return { raw: top, platform: undefined };
  const index = validateIndex(parseJson(top.bytes, `image index of ${source.describe}`), `image index of ${source.describe}`);
  const entry = selectPlatform(index, platform, source.describe);
  const raw = await source.manifest(entry);
  if (isIndexType(raw.mediaType)) throw new BurrowError('INVALID_MANIFEST', `${source.describe}: nested image indexes are not supported`);
  return { raw, platform: entry.platform === undefined ? undefined : { os: entry.platform.os, architecture: entry.platform.architecture, variant: entry.platform.variant } };
}

/**
 * The one copy pipeline (containers/image's copy.Image): from any source into the
 * store, every blob verified by digest on the way, and the names written last, so a
 * copy that stops anywhere leaves no name pointing at missing content.
 */
export async function copyImage(source: ImageSource, store: Store, options: CopyOptions): Promise<CopyResult> {
  const lock = await store.lockStore('shared', options.signal);
  try {
    const top = await source.top();
    const { raw, platform } = await resolveManifest(source, top, options.platform);
    const what = `image manifest of ${source.describe}`;
    const manifest = validateManifest(parseJson(raw.bytes, what), what);
    options.onPlan?.({ manifest, digest: raw.digest, platform });

    let fetched = 0;
    const limit = pLimit(options.concurrency ?? 3);
    const failure = new AbortController();
    const signal = options.signal === undefined ? failure.signal : AbortSignal.any([options.signal, failure.signal]);

    // The config is read while the layers download (its GET beside theirs, the
    // extractors started meanwhile), but no layer is put into blobs/ before it is
    // verified and valid: a refused config stores nothing.
    const configRead = (async (): Promise<{ config: ImageConfig; bytes: Buffer }> => {
      const stored = store.hasBlob(manifest.config.digest) ? store.readBlob(manifest.config.digest) : undefined;
      const bytes = stored ?? (await readSmallBlob(source, manifest.config, signal));
      const configWhat = `image config ${manifest.config.digest} of ${source.describe}`;
      const config = validateConfig(parseJson(bytes, configWhat), configWhat);
      if (config.rootfs.diff_ids.length !== manifest.layers.length) {
        throw new BurrowError('INVALID_MANIFEST', `${source.describe}: the manifest lists ${manifest.layers.length} layers but the config's rootfs.diff_ids has ${config.rootfs.diff_ids.length}`);
      }
      if (stored === undefined) {
        fetched++;
        options.onBlob?.(manifest.config, 'config', { kind: 'done' });
      } else {
        options.onBlob?.(manifest.config, 'config', { kind: 'exists' });
      }
      trace('pull: config read');
      return { config, bytes };
    })();
    // A refused config stops the layers, and they keep nothing to resume from; its
    // error is the pull's (thrown below). One that fails because the pull was stopped
    // (a layer failed, or the caller's signal) is not a refusal.
    let configRefused = false;
    configRead.catch(() => {
      if (signal.aborted) return;
      configRefused = true;
      failure.abort();
    });
    const configReady = configRead.then(({ config }) => config);
    configReady.catch(() => undefined); // Awaited by the layers and below.

    // The manifest and config (verified already) are written and synced while the
    // layers download, and renamed into blobs/ once they are all stored: their fsyncs
    // cost the pull nothing, and a pull that fails stores nothing of them.
    // The manifests at once, the config once it is verified.
    const manifests: Array<[string, Buffer]> = [[raw.digest, raw.bytes]];
    if (top.digest !== raw.digest) manifests.push([top.digest, top.bytes]);
    const staging = [store.stageBlobs(manifests), configRead.then(({ bytes }) => store.stageBlobs([[manifest.config.digest, bytes]]))];
    for (const staged of staging) staged.catch(() => undefined); // Awaited below, after the layers; not unhandled meanwhile.

    const results = await Promise.allSettled(
      manifest.layers.map((layer, index) =>
        limit(async () => {
          if (signal.aborted) throw new BurrowError('INTERRUPTED', 'stopped');
          const sink = options.layerSink;
          const outcome = await store.ingestBlob(layer.digest, layer.size, source.blob(layer), {
            signal,
            attempts: options.attempts,
            tee: sink === undefined ? undefined : () => sink(layer, index, configReady),
            beforeStore: () => configReady.then(() => undefined),
            keepPartial: () => !configRefused,
            onEvent: (event) => options.onBlob?.(layer, 'layer', event),
          });
          if (outcome === 'fetched') fetched++;
        }).catch((error: unknown) => {
          // One broken layer stops the others: the pull fails as a whole.
          failure.abort();
          throw error;
        }),
      ),
    );
    const configFailure = await configRead.then(() => undefined, (error: unknown) => error as Error);
    const firstFailure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (configFailure !== undefined || firstFailure !== undefined) {
      for (const staged of staging) (await staged.catch(() => undefined))?.discard();
      // A refused config's own error first: the layers' are only its consequence (stopped, or refused at the gate).
      if (configRefused || firstFailure === undefined) throw configFailure;
      const real = results.find((result): result is PromiseRejectedResult => result.status === 'rejected' && !(result.reason instanceof BurrowError && result.reason.code === 'INTERRUPTED' && options.signal?.aborted !== true));
      throw (real ?? firstFailure!).reason;
    }
    const { config } = await configRead;

    for (const staged of await Promise.all(staging)) staged.commit();

    const names = options.names.length === 0 && options.recordUntagged === true ? [`@${raw.digest}`] : options.names;
    if (names.length > 0) {
      const pulledAt = new Date().toISOString();
      const recordPlatform = platform ?? { os: config.os, architecture: config.architecture, variant: config.variant };
      await store.updateRecords((records) => {
        for (const name of names) {
          const record: ImageRecord = {
            name,
            manifest: { mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length },
            sourceDigest: top.digest,
            pulledAt,
            platform: recordPlatform,
          };
          upsertRecord(records, record);
        }
      });
    }
    return { sourceDigest: top.digest, manifestDigest: raw.digest, manifest, config, platform, fetched };
  } finally {
    lock.release();
  }
}
