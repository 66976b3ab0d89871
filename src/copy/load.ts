import { rmSync } from 'node:fs';
import { hostPlatform, type Platform } from '../image/platform.js';
import type { Store } from '../store/store.js';
import { archiveImages, extractArchive } from '../transport/archive-read.js';
import { copyImage, type CopyOptions } from './copy.js';

export interface LoadedImage {
  names: string[];
  manifestDigest: string;
  id: string;
}

/** `burrow load`: a docker save or OCI archive into the store, through the same copy pipeline as a pull. */
export async function loadArchive(store: Store, file: string, options: { platform?: Platform; signal?: AbortSignal; onBlob?: CopyOptions['onBlob'] } = {}): Promise<LoadedImage[]> {
  const scratch = store.scratchDir('load');
  try {
    const files = await extractArchive(file, scratch);
    const loaded: LoadedImage[] = [];
    for (const image of await archiveImages(files)) {
      const result = await copyImage(image.source, store, {
        platform: options.platform ?? hostPlatform(),
        names: image.names,
        recordUntagged: true,
        signal: options.signal,
        onBlob: options.onBlob,
      });
      loaded.push({ names: image.names, manifestDigest: result.manifestDigest, id: result.manifest.config.digest });
    }
    return loaded;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
