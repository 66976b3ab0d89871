import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { start } from '../util/spawn.js';
import { BurrowError } from '../errors.js';
import type { LocalImage } from '../image/local.js';
import { layerCompression } from '../image/media-types.js';
import { acquireLock } from '../store/flock.js';
import type { Store } from '../store/store.js';
import { decompressor } from '../util/decompress.js';
import { unshareArgs, type IdMapping } from '../userns/idmap.js';
import { writeFileAtomic } from '../store/atomic.js';
import { layerInfoPath, type LayerInfo, type LayerSummary } from './layer-info.js';
import { ceilingHint } from './limits.js';
import { removeInUserNamespace } from './remove.js';
import { layerPath, layerScratchPath } from './unpack.js';

// Relative to a sibling folder so it holds from build/unpack/ and from the CLI bundle alike.
const EXTRACTOR = fileURLToPath(new URL('../native/burrow-unpack', import.meta.url));

/** Raised by the meter: the layer's tar stream grew past the ceiling. */
class OverCeiling extends Error {}

/**
 * Counts the uncompressed bytes and hashes them on the way (for the diff_id
 * check); stops the stream at the ceiling: a gzip bomb ends here, whatever its
 * tar headers say.
 */
function meter(ceiling: number, hash: Hash): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > ceiling) {
        callback(new OverCeiling());
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

/** What the extractor reports on its stdout. */
interface ExtractorReport {
  skipped: string[];
  summary: LayerSummary;
}

/**
 * Unpacks one layer: blob → decompress → count (at most `ceiling` bytes) and
 * hash (checked against the diff_id) → the confined extractor
 * (`native/burrow-unpack.c`) inside the user namespace, into a scratch
 * directory that becomes the layer's directory only when the digest checked
 * and the extractor finished. The layer's info file (what it holds, for
 * `system check`) is written just before that rename. A refused layer leaves
 * nothing behind.
 */
export async function unpackLayer(store: Store, image: LocalImage, index: number, mapping: IdMapping, ceiling: number, notes: string[]): Promise<void> {
  const layer = image.manifest.layers[index]!;
  const diffId = image.config.rootfs.diff_ids[index]!;
  const final = layerPath(store, diffId);
  if (existsSync(final)) return;
  const lock = await acquireLock(join(store.paths.locks, `layer-${diffId.replace(':', '-')}.lock`), { shouldStop: () => existsSync(final) });
  if (lock === undefined || existsSync(final)) {
    lock?.release();
    return;
  }
  // Named after this process: no one else writes it, and nothing is there yet.
  const scratch = layerScratchPath(store, diffId);
  try {
    mkdirSync(join(scratch, 'rootfs'), { recursive: true, mode: 0o755 });
    const hash = createHash('sha256');
    const { child, finished } = start('unshare', [...unshareArgs(mapping), '--', EXTRACTOR, 'extract', join(scratch, 'rootfs'), mapping.single ? 'single' : 'mapped', String(ceiling)], ['pipe', 'pipe', 'pipe']);
    const decompress = decompressor(layerCompression(layer.mediaType));
    const source = createReadStream(store.blobPath(layer.digest), { highWaterMark: 1024 * 1024 });
    const counted = meter(ceiling, hash);
    const feed = decompress === undefined ? pipeline(source, counted, child.stdin!) : pipeline(source, decompress, counted, child.stdin!);
    const [fed, outcome] = await Promise.all([feed.then(() => ({ status: 'fulfilled' as const }), (reason: unknown) => ({ status: 'rejected' as const, reason })), finished]);
    if (fed.status === 'rejected' && fed.reason instanceof OverCeiling) {
      throw new BurrowError('IO', `cannot unpack layer ${layer.digest} of ${image.record.name}: it uncompresses to more than the ceiling; ${ceilingHint(ceiling)}`);
    }
    if (outcome.exitCode !== 0) {
      const detail = outcome.stderr.trim().split('\n')[0] || outcome.error?.message || (fed.status === 'rejected' ? String((fed.reason as Error).message) : 'the extractor failed');
      throw new BurrowError('IO', `cannot unpack layer ${layer.digest} of ${image.record.name}: ${detail}`);
    }
    if (fed.status === 'rejected') {
      throw new BurrowError('DIGEST_MISMATCH', `layer ${layer.digest} of ${image.record.name} is not a valid ${layerCompression(layer.mediaType)} stream (${(fed.reason as Error).message}); remove the image and pull it again`);
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== diffId) {
      throw new BurrowError('DIGEST_MISMATCH', `layer ${layer.digest} of ${image.record.name} uncompresses to ${actual}, not its diff_id ${diffId}: the image is corrupt`);
    }
    const report = JSON.parse(outcome.stdout) as ExtractorReport;
    if (report.skipped.length > 0) {
      const skipped = report.skipped;
      notes.push(`layer ${layer.digest.slice(7, 19)}: skipped ${skipped.length} entr${skipped.length === 1 ? 'y' : 'ies'} (device nodes need privileges; paths out of the layer are refused): ${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', …' : ''}`);
    }
    const info: LayerInfo = { diffId, summary: report.summary };
    // Not durable: a layer is a cache of its blob; `system check` finds one a crash cut short.
    writeFileAtomic(layerInfoPath(store, diffId), `${JSON.stringify(info)}\n`, 0o644, { durable: false });
    renameSync(join(scratch, 'rootfs'), final);
    rmdirSync(scratch);
  } catch (error) {
    // If even this fails, garbage collection removes it: its owner is gone by then.
    await removeInUserNamespace(scratch, mapping).catch(() => undefined);
    throw error;
  } finally {
    lock.release();
  }
}
