import { parseReference, repositoryName } from '../reference/reference.js';
import type { Store } from '../store/store.js';
import { loadLocalImage, splitName, type LocalImage } from './local.js';
import { formatPlatform } from './platform.js';

/** What `images` and `image inspect` show of a stored image. */
export interface ImageSummary {
  Id: string;
  Repository: string;
  Tag: string;
  Name: string;
  Digest: string;
  Created: string | undefined;
  Size: number;
  Platform: string;
  /** The image's labels (`images --filter label=`). */
  Labels: Record<string, string>;
}

export function imageSize(image: LocalImage): number {
  return image.manifest.config.size + image.manifest.layers.reduce((total, layer) => total + layer.size, 0);
}

export function listImages(store: Store): ImageSummary[] {
  const summaries: ImageSummary[] = [];
  for (const record of store.records()) {
    let image: LocalImage;
    try {
      image = loadLocalImage(store, record);
    } catch {
      continue;
    }
    const { repository, tag } = splitName(record);
    summaries.push({
      Id: image.id,
      Repository: repository,
      Tag: tag,
      Name: record.name,
      Digest: record.sourceDigest,
      Created: image.config.created,
      Size: imageSize(image),
      Platform: formatPlatform({ os: image.config.os, architecture: image.config.architecture, variant: image.config.variant }),
      Labels: image.config.config?.Labels ?? {},
    });
  }
  return summaries;
}

/** Docker's `image inspect` shape, plus the manifest burrow resolved. */
export function inspectImage(store: Store, image: LocalImage): Record<string, unknown> {
  const names = store.records().filter((record) => {
    try {
      return loadLocalImage(store, record).id === image.id;
    } catch {
      return false;
    }
  });
  return {
    Id: image.id,
    RepoTags: names.filter((record) => !record.name.startsWith('@') && !record.name.includes('@')).map((record) => record.name),
    RepoDigests: [...new Set(names.filter((record) => !record.name.startsWith('@')).map((record) => `${repositoryName(parseReference(record.name))}@${record.sourceDigest}`))],
    Created: image.config.created,
    Author: image.config.author,
    Architecture: image.config.architecture,
    Variant: image.config.variant,
    Os: image.config.os,
    Config: image.config.config ?? {},
    RootFS: { Type: image.config.rootfs.type, Layers: image.config.rootfs.diff_ids },
    Size: imageSize(image),
    Manifest: { MediaType: image.record.manifest.mediaType, Digest: image.record.manifest.digest, Layers: image.manifest.layers },
    Metadata: { Pulled: image.record.pulledAt },
  };
}
