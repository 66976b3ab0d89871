import { BurrowError } from '../errors.js';
import { formatPlatform, platformMatches, type Platform } from './platform.js';
import type { Descriptor, ImageIndex } from './types.js';

/** Picks the index entry for `wanted`; the error lists what the index has. */
export function selectPlatform(index: ImageIndex, wanted: Platform, what: string): Descriptor {
  const candidates = index.manifests.filter((entry) => entry.platform !== undefined && platformMatches(wanted, entry.platform));
  // An exact variant match beats an entry that serves any variant.
  const exact = candidates.find((entry) => entry.platform?.variant === wanted.variant);
  const chosen = exact ?? candidates[0];
  if (chosen !== undefined) return chosen;
  const available = index.manifests
    .filter((entry) => entry.platform !== undefined && entry.platform.architecture !== 'unknown')
    .map((entry) => formatPlatform(entry.platform!));
  throw new BurrowError('NO_PLATFORM', `${what} has no image for ${formatPlatform(wanted)}; it has: ${available.length > 0 ? available.join(', ') : 'no platform entries'} (choose one with --platform)`);
}
