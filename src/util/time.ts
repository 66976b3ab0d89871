/** "3 days ago", as `docker images` and `docker ps` print CREATED. */
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

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * A point in time as `logs --since/--until` take it (Docker's spelling): an RFC 3339
 * time, or a duration back from now such as 10s, 5m, 2h. Milliseconds since the
 * epoch, or undefined when the text is neither.
 */
export function parsePointInTime(text: string, now = Date.now()): number | undefined {
  const duration = /^(\d+)(s|m|h)$/.exec(text);
  const at = duration !== null ? now - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS] : Date.parse(text);
  return Number.isFinite(at) ? at : undefined;
}
