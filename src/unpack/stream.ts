import type { Writable } from 'node:stream';
import type { Descriptor, ImageConfig } from '../image/types.js';
import type { Store } from '../store/store.js';
import type { IdMapping } from '../userns/idmap.js';
import { collectGarbage } from '../util/gc.js';
import { trace } from '../util/trace.js';
import { prepareLocks } from '../store/flock.js';
import { startSpareExtraction, startStreamedExtraction, type Extraction, type SpareExtraction } from './layer.js';

/**
 * Past this many compressed bytes streamed, the pull's dead Buffers are collected
 * before the container starts (see collectGarbage): measured on the bench debian
 * image (73 MB), the CLI's resident memory at the start fell from ~112 MB (68 MB of it
 * anonymous) to 80-90 MB (35-46 MB), for ~20 ms; a small image (busybox, 1 MB) leaves
 * little garbage and would pay the collection for nothing.
 */
const COLLECT_AFTER_BYTES = 16 * 1024 * 1024;

/**
 * Unpacking while pulling (`burrow run` of an image not in the store): each
 * layer's bytes go to its extractor as they arrive, so the layer is written
 * while it downloads (download, decompression, both hashes and extraction in
 * one pass). A layer goes into place only once the pull has stored and
 * verified every blob. This is only a head start: whatever did not finish here
 * (a download that resumed or retried, a layer refused) is thrown away, and
 * `ensureLayers` unpacks it from the stored blob, with its error if it has one.
 */
export class UnpackWhilePulling {
  private readonly extractions: Array<Promise<Extraction | undefined>> = [];
  /** Compressed bytes of the layers handed to an extractor. */
  private streamed = 0;
  /** The first layer's inflater and extractor, started by `prepare` before the manifest is read. */
  private spare: SpareExtraction | undefined;

  constructor(
    private readonly store: Store,
    private readonly mapping: IdMapping,
    private readonly ceiling: number,
    private readonly imageName: string,
    /** Notes of what the extractor skipped, for the caller to show. */
    readonly notes: string[] = [],
  ) {}

  /**
   * Starts the first layer's inflater and extractor now, before the registry has
   * said which layer it is (layer.ts: SpareExtraction): on a cold run their start and
   * the extractor's user namespace then overlap the registry's answers. koffi is
   * loaded first (the pull's locks need it next), so the spawn is a posix_spawn.
   */
  prepare(): void {
    if (this.spare !== undefined) return;
    prepareLocks();
    try {
      this.spare = startSpareExtraction(this.mapping, this.ceiling);
    } catch {
      // The layer's own start says what is wrong, where the pull expects it.
      this.spare = undefined;
    }
  }

  /**
   * For the copy pipeline: where layer `index`'s compressed bytes go. Asked for
   * before the config is read: the extractor starts at once, and the layer's diff_id
   * (from `config`) is checked when it comes.
   */
  readonly sink = async (layer: Descriptor, index: number, config: Promise<ImageConfig>): Promise<Writable | undefined> => {
    const diffId = config.then((read) => {
      const found = read.rootfs.diff_ids[index];
      if (found === undefined) throw new Error(`the config has no diff_id for layer ${index}`);
      return found;
    });
    diffId.catch(() => undefined); // The extraction awaits it, and is thrown away when it rejects.
    const spare = this.spare;
    this.spare = undefined;
    const extraction = startStreamedExtraction(this.store, { digest: layer.digest, mediaType: layer.mediaType, imageName: this.imageName }, diffId, this.mapping, this.ceiling, this.notes, spare);
    this.extractions.push(Promise.resolve(extraction));
    this.streamed += layer.size;
    return extraction.input;
  };

  /** Once the pull is over: puts in place what was extracted and checked when `pulled`, else throws it all away. */
  async settle(pulled: boolean): Promise<void> {
    // Not taken (the layer was there already, or the pull failed before it): it ends, having touched nothing.
    await this.spare?.release();
    this.spare = undefined;
    if (pulled && this.streamed >= COLLECT_AFTER_BYTES) {
      // Now, while the extractors finish the last bytes (they run on without Node),
      // rather than on the way to the container's start.
      collectGarbage();
      trace('unpack: garbage collected');
    }
    await Promise.all(
      this.extractions.map(async (pending) => {
        const extraction = await pending;
        if (extraction === undefined) return;
        try {
          await extraction.done;
        } catch {
          return; // Already thrown away; ensureLayers will say why, from the blob.
        }
        if (pulled) extraction.commit();
        else await extraction.discard();
      }),
    );
  }
}
