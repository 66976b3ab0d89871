/** The limits a layer's tar stream is held to, and how they are worded. */

/** PAX extended headers and GNU long names: node-tar's own default for these, made explicit (and an error, not a silent skip). */
export const MAX_META_BYTES = 1024 * 1024;
/** Linux's limits on a path and on one of its components, in bytes. */
export const PATH_MAX = 4096;
export const NAME_MAX = 255;

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

/** An entry's name for a one-line message: quoted, control characters and NUL escaped, long names cut. */
export function quoteName(name: string): string {
  const shown = name.length > 120 ? `${name.slice(0, 60)}…${name.slice(-40)}` : name;
  return JSON.stringify(shown);
}
