import { describe, expect, it } from 'vitest';
import { filterContainers, parseContainerFilter, type ContainerSummary } from '../../src/container/list.js';
import { parseLabels, parseLogMaxFiles, parseLogOptions, parseStopTimeout } from '../../src/container/specs.js';
import { statusText } from '../../src/container/status.js';
import type { ContainerRecord } from '../../src/container/record.js';
import type { ContainerState } from '../../src/container/state.js';
import { parsePointInTime } from '../../src/util/time.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');

/** Only the fields ps's filters read: a record and a state as the store would hold them. */
function summary(name: string, id: string, status: ContainerState['status'], labels: Record<string, string>, image = 'busybox:latest'): ContainerSummary {
  const record = { name, id, labels, image: { name: image, id: `sha256:${id}` } } as unknown as ContainerRecord;
  const state = { status } as ContainerState;
  return { record, state };
}

describe('ps filters (the library\'s, as Docker\'s)', () => {
  const all = [
    summary('web-1', 'aaa111', 'running', { tier: 'front' }),
    summary('db', 'bbb222', 'exited', { tier: 'data', backup: '' }, 'postgres:16'),
    summary('web-2', 'ccc333', 'created', {}),
  ];
  const names = (list: ContainerSummary[]): string[] => list.map(({ record }) => record.name);

  it('matches name (substring), id (prefix), status, ancestor and label (key or key=value); all filters must hold', () => {
    expect(names(filterContainers(all, ['name=web']))).toEqual(['web-1', 'web-2']);
    expect(names(filterContainers(all, ['id=bbb']))).toEqual(['db']);
    expect(names(filterContainers(all, ['id=222']))).toEqual([]);
    expect(names(filterContainers(all, ['status=exited']))).toEqual(['db']);
    expect(names(filterContainers(all, ['ancestor=postgres']))).toEqual(['db']);
    expect(names(filterContainers(all, ['label=backup']))).toEqual(['db']);
    expect(names(filterContainers(all, ['label=tier=front']))).toEqual(['web-1']);
    expect(names(filterContainers(all, [{ key: 'name', value: 'web' }, 'status=created']))).toEqual(['web-2']);
    expect(names(filterContainers(all, []))).toEqual(['web-1', 'db', 'web-2']);
    // One key given twice: either value (Docker's rule); different keys: both.
    expect(names(filterContainers(all, ['status=exited', 'status=created']))).toEqual(['db', 'web-2']);
    expect(names(filterContainers(all, ['status=exited', 'status=created', 'name=web']))).toEqual(['web-2']);
  });

  it('refuses an unknown key with one line, even when no container is there to filter', () => {
    expect(() => parseContainerFilter('colour=red')).toThrow(/^unknown filter "colour": use name, id, status, label, ancestor or health$/);
    expect(() => filterContainers([], ['colour=red'])).toThrow(/unknown filter "colour"/);
    expect(parseContainerFilter('label=a=b')).toEqual({ key: 'label', value: 'a=b' });
  });
});

describe('values of logs, stop and run flags', () => {
  it('--since/--until: an RFC 3339 time or a duration back from now', () => {
    expect(parsePointInTime('10m', NOW)).toBe(NOW - 600_000);
    expect(parsePointInTime('2h', NOW)).toBe(NOW - 7_200_000);
    expect(parsePointInTime('2026-12-01T11:00:00Z', NOW)).toBe(NOW - 3_600_000);
    expect(parsePointInTime('yesterday-ish', NOW)).toBeUndefined();
    expect(parsePointInTime('10d', NOW)).toBeUndefined();
  });

  it('stop -t, --log-opt, -l', () => {
    expect(parseStopTimeout('0')).toBe(0);
    expect(parseStopTimeout('2.5')).toBe(2.5);
    expect(() => parseStopTimeout('-1')).toThrow(/invalid --time "-1": give seconds/);
    expect(() => parseStopTimeout('soon')).toThrow(/invalid --time/);
    expect(parseLogOptions([])).toBeUndefined();
    expect(parseLogOptions(['max-size=10m'])).toBe(10 * 1024 ** 2);
    expect(parseLogOptions(['max-file=3', 'max-size=1k'])).toBe(1024);
    expect(() => parseLogOptions(['mode=non-blocking'])).toThrow(/unsupported --log-opt "mode=non-blocking"/);
    expect(parseLogMaxFiles(['max-size=1k'])).toBeUndefined();
    expect(parseLogMaxFiles(['max-file=5'])).toBe(5);
    expect(() => parseLogMaxFiles(['max-file=0'])).toThrow(/max-file must be a number from 1 to 99/);
    expect(parseLabels(['a=1', 'b', 'c=x=y'])).toEqual({ a: '1', b: '', c: 'x=y' });
  });
});

describe("ps's STATUS", () => {
  it('as Docker words it', () => {
    const base = { exitCode: undefined, startedAt: undefined, finishedAt: undefined, paused: false };
    expect(statusText({ ...base, status: 'created' }, NOW)).toBe('Created');
    expect(statusText({ ...base, status: 'running', startedAt: '2026-12-01T11:57:00Z' }, NOW)).toBe('Up 3 minutes');
    expect(statusText({ ...base, status: 'running', startedAt: '2026-12-01T10:00:00Z', paused: true }, NOW)).toBe('Up 2 hours (Paused)');
    expect(statusText({ ...base, status: 'exited', exitCode: 2, finishedAt: '2026-11-29T12:00:00Z' }, NOW)).toBe('Exited (2) 2 days ago');
  });
});
