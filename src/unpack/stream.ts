import type { Writable } from 'node:stream';
import type { Descriptor, ImageConfig } from '../image/types.js';
import type { Store } from '../store/store.js';
import type { IdMapping } from '../userns/idmap.js';
import { startExtraction, type Extraction } from './layer.js';

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

  constructor(
    private readonly store: Store,
    private readonly mapping: IdMapping,
    private readonly ceiling: number,
    private readonly imageName: string,
    /** Notes of what the extractor skipped, for the caller to show. */
    readonly notes: string[] = [],
  ) {}

  /** For the copy pipeline: where layer `index`'s compressed bytes go, or undefined when it needs no unpacking. */
  readonly sink = async (layer: Descriptor, index: number, config: ImageConfig): Promise<Writable | undefined> => {
    const diffId = config.rootfs.diff_ids[index];
    if (diffId === undefined) return undefined;
    const extraction = startExtraction(this.store, { digest: layer.digest, mediaType: layer.mediaType, diffId, imageName: this.imageName }, this.mapping, this.ceiling, this.notes, { wait: false }).catch(() => undefined);
    this.extractions.push(extraction);
    return (await extraction)?.input;
  };

  /** Once the pull is over: puts in place what was extracted and checked when `pulled`, else throws it all away. */
  async settle(pulled: boolean): Promise<void> {
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
