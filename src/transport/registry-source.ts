import type { Descriptor } from '../image/types.js';
import { manifestSelector, type ImageReference, formatReference } from '../reference/reference.js';
import type { RegistryClient } from '../registry/client.js';
import type { BlobSource } from '../store/blobs.js';
import type { ImageSource, RawManifest } from './types.js';

/** An image in a registry (the `docker://` transport). */
export class RegistrySource implements ImageSource {
  readonly describe: string;
  /** Asked for once: the pull may send the GET before the copy awaits it. */
  private topManifest: Promise<RawManifest> | undefined;

  constructor(
    private readonly client: RegistryClient,
    private readonly reference: ImageReference,
    /** Repository path at this endpoint (a mirror serves docker.io's paths). */
    private readonly path: string = reference.path,
    /** The digest a HEAD of the tag answered: the manifest GET must be that one. */
    private readonly expectedDigest?: string | undefined,
  ) {
    this.describe = formatReference(reference);
  }

  top(): Promise<RawManifest> {
    this.topManifest ??= this.client.getManifest(this.path, manifestSelector(this.reference), this.expectedDigest);
    return this.topManifest;
  }

  manifest(descriptor: Descriptor): Promise<RawManifest> {
    return this.client.getManifest(this.path, descriptor.digest);
  }

  blob(descriptor: Descriptor): BlobSource {
    return this.client.blobSource(this.path, descriptor.digest, descriptor.size);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
