/**
 * Sizes as Docker prints them (go-units): `decimalSize` for image sizes, disk use
 * and I/O ("1.23MB", three significant digits), `binarySize` for memory in
 * `docker stats` ("1.5MiB", four).
 */

/** C's %.Ng: N significant digits, trailing zeros dropped. */
function formatG(value: number, digits: number): string {
  const text = value.toPrecision(digits);
  return text.includes('e') ? String(Number(text)) : text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

function scaled(bytes: number, step: number, units: string[], digits: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= step && unit < units.length - 1) {
    value /= step;
    unit++;
  }
  return `${formatG(value, digits)}${units[unit]}`;
}

/** go-units HumanSizeWithPrecision(…, 3): decimal units. */
export function decimalSize(bytes: number): string {
  return scaled(bytes, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB'], 3);
}

/** go-units BytesSize: binary units, four significant digits. */
export function binarySize(bytes: number): string {
  return scaled(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'], 4);
}
