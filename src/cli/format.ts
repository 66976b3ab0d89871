/** Docker's units: decimal (kB, MB, GB), three significant digits. */
export { decimalSize as humanSize } from '../util/size.js';

/** "3 days ago", as `docker images` prints CREATED. */
export function timeAgo(iso: string | undefined, now = Date.now()): string {
  if (iso === undefined) return 'N/A';
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return 'N/A';
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  const steps: Array<[number, string]> = [[60 * 60 * 24 * 365, 'year'], [60 * 60 * 24 * 30, 'month'], [60 * 60 * 24 * 7, 'week'], [60 * 60 * 24, 'day'], [60 * 60, 'hour'], [60, 'minute']];
  for (const [size, name] of steps) {
    const count = Math.floor(seconds / size);
    if (count >= 1) return count === 1 ? `${name === 'hour' ? 'An' : 'A'} ${name} ago` : `${count} ${name}s ago`;
  }
  return seconds <= 1 ? 'Less than a second ago' : `${seconds} seconds ago`;
}

/** Columns padded like Go's tabwriter with three spaces between. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]! + 3))).join('').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
