import type { BlobSource } from '../store/blobs.js';
import type { Descriptor } from '../image/types.js';

export interface RawManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/**
 * Somewhere an image can be read from (a registry, an OCI layout, an archive):
 * containers/image's ImageSource, reduced to what the copy pipeline needs.
 */
export interface ImageSource {
  /** Names the source in messages: `127.0.0.1:5000/busybox:latest`. */
  readonly describe: string;
  /** The manifest or index the reference points at. */
  top(): Promise<RawManifest>;
  /** A manifest named by an index entry. */
  manifest(descriptor: Descriptor): Promise<RawManifest>;
  blob(descriptor: Descriptor): BlobSource;
  close(): Promise<void>;
}
