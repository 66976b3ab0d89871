/**
 * How the layer's ceiling is worded. The limits on the tar stream itself (header
 * caps, PATH_MAX, NAME_MAX, what entries declare) are the extractor's
 * (native/burrow-unpack.c), in the same words.
 */

export function formatSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/** The part of a message that says what the ceiling is and where it is set. */
export function ceilingHint(ceiling: number): string {
  return `the most a layer may hold is ${formatSize(ceiling)} (maxLayerSize in burrow's config, or BURROW_MAX_LAYER_SIZE)`;
}
