/** Docker's units: decimal (kB, MB, GB), three significant digits. */
export { decimalSize as humanSize } from '../util/size.js';

/** Shared with the library (`ps`'s status text). */
export { timeAgo } from '../util/time.js';

/** Columns padded like Go's tabwriter with three spaces between. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]! + 3))).join('').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
