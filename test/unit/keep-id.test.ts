import { execa } from 'execa';
import { unshareProgram } from '../../src/util/host-tools.js';
import { describe, expect, it } from 'vitest';
import { idMapping, unshareArgs, type IdMapping } from '../../src/userns/idmap.js';
import { keepIdCopyOwner, keepIdRanges, keptUserLines, needsEntry, parseUserns, type IdRange } from '../../src/userns/keep-id.js';

/*
 * --userns=keep-id's arithmetic: the ranges around the kept id (Podman's) and the
 * copy driver's ownership shift; the ranges checked against the kernel's uid_map
 * as burrow-userns has newuidmap write them.
 */

const START = 100000;
const COUNT = 65536;
const CALLER = 1001;

/** Which host id a container id is under a map (undefined: unmapped). */
function toHost(ranges: IdRange[], id: number): number | undefined {
  const range = ranges.find((candidate) => id >= candidate.inner && id < candidate.inner + candidate.count);
  return range === undefined ? undefined : range.outer + id - range.inner;
}

/** Which container id a host id is under a map. */
function toContainer(ranges: IdRange[], host: number): number | undefined {
  const range = ranges.find((candidate) => host >= candidate.outer && host < candidate.outer + candidate.count);
  return range === undefined ? undefined : range.inner + host - range.outer;
}

/** burrow's default map: the caller is 0, 1..COUNT the subordinate range. */
const DEFAULT: IdRange[] = [{ inner: 0, outer: CALLER, count: 1 }, { inner: 1, outer: START, count: COUNT }];

describe('parseUserns', () => {
  it('takes keep-id with and without uid= and gid=', () => {
    expect(parseUserns('keep-id')).toEqual({ mode: 'keep-id' });
    expect(parseUserns('keep-id:uid=1000,gid=1001')).toEqual({ mode: 'keep-id', uid: 1000, gid: 1001 });
    expect(parseUserns('keep-id:gid=5')).toEqual({ mode: 'keep-id', gid: 5 });
  });

  it.each(['', 'host', 'auto', 'nomap', 'ns:/proc/1/ns/user', 'container:other', 'keep-id:size=10', 'keep-id:uid=-1', 'keep-id:uid=x', 'keep-id:uid=4294967295'])('refuses "%s" in one line', (spec) => {
    expect(() => parseUserns(spec)).toThrow(/^(unsupported|invalid) --userns "[^"\n]*": [^\n]+$/);
  });
});

describe('keepIdRanges', () => {
  it('lays the subordinate range around the kept id (Podman keep-id:uid=11: 0 1 11 / 11 0 1 / 12 12 65525, in host ids)', () => {
    expect(keepIdRanges(11, CALLER, START, COUNT)).toEqual([
      { inner: 0, outer: START, count: 11 },
      { inner: 11, outer: CALLER, count: 1 },
      { inner: 12, outer: START + 11, count: COUNT - 11 },
    ]);
  });

  it('maps every subordinate id once and the caller at the kept id, for ids in, at the edge of and past the range', () => {
    for (const kept of [0, 1, 1000, CALLER, COUNT - 1, COUNT, COUNT + 1, 70000]) {
      const ranges = keepIdRanges(kept, CALLER, START, COUNT);
      expect(toHost(ranges, kept)).toBe(CALLER);
      const hosts = ranges.flatMap((range) => (range.outer === CALLER ? [] : [range.outer, range.outer + range.count - 1]));
      expect(Math.min(...hosts)).toBe(START);
      expect(Math.max(...hosts)).toBe(START + COUNT - 1);
      expect(ranges.reduce((sum, range) => sum + range.count, 0)).toBe(COUNT + 1);
      // No container id twice.
      const inner = ranges.map((range) => [range.inner, range.inner + range.count]).sort((a, b) => a[0]! - b[0]!);
      for (let index = 1; index < inner.length; index++) expect(inner[index]![0]).toBeGreaterThanOrEqual(inner[index - 1]![1]!);
    }
  });

  it('is the default map for uid 0', () => {
    expect(keepIdRanges(0, CALLER, START, COUNT)).toEqual(DEFAULT);
  });

  it('leaves the ids between the range and a kept id beyond it unmapped', () => {
    const ranges = keepIdRanges(70000, CALLER, START, COUNT);
    expect(toHost(ranges, COUNT - 1)).toBe(START + COUNT - 1);
    expect(toHost(ranges, COUNT)).toBeUndefined();
    expect(toHost(ranges, 69999)).toBeUndefined();
  });
});

describe('keepIdCopyOwner', () => {
  it('gives each copy the host owner that keep-id shows as the image file\'s owner', () => {
    for (const kept of [0, 1, 1000, CALLER, COUNT - 1, COUNT, 70000]) {
      const keepId = keepIdRanges(kept, CALLER, START, COUNT);
      for (const owner of [0, 1, 2, 999, 1000, 1001, 1002, 33333, COUNT - 1]) {
        // The layer file (unpacked under the default map), its copy's owner as the worker sets it there,
        // and what keep-id's namespace shows for that copy: the image's owner again.
        const copy = keepIdCopyOwner(owner, kept, COUNT);
        expect(toContainer(keepId, toHost(DEFAULT, copy)!), `kept ${kept}, owner ${owner}`).toBe(owner);
      }
    }
  });
});

/** The maps burrow-userns has written with burrow's keep-id arguments, read back from the kernel. */
async function kernelMaps(mapping: IdMapping): Promise<{ uid: IdRange[]; gid: IdRange[] }> {
  const result = await execa(unshareProgram(), [...unshareArgs(mapping), '--', 'cat', '/proc/self/uid_map', '/proc/self/gid_map'], { reject: false });
  expect(result.exitCode, result.stderr).toBe(0);
  const lines = result.stdout.trim().split('\n').map((line) => line.trim().split(/\s+/).map(Number)).map(([inner, outer, count]) => ({ inner: inner!, outer: outer!, count: count! }));
  const sort = (ranges: IdRange[]): IdRange[] => [...ranges].sort((a, b) => a.inner - b.inner);
  const half = lines.length / 2;
  return { uid: sort(lines.slice(0, half)), gid: sort(lines.slice(half)) };
}

// newuidmap writes the maps from the user's own ranges (the test user's; root has none here).
const own = idMapping();
const ranges = own.single ? undefined : { uid: own.uidRange!, gid: own.gidRange! };

describe.runIf(ranges !== undefined)('burrow-userns with keep-id\'s arguments (the kernel\'s uid_map and gid_map)', () => {
  it.each([0, 1, 1000, 'count - 1', 'count', 'count + 1', 70000])('writes exactly keepIdRanges for kept id %s', async (which) => {
    const count = ranges!.uid.count;
    const kept = typeof which === 'number' ? which : which === 'count - 1' ? count - 1 : which === 'count' ? count : count + 1;
    const mapping: IdMapping = { uidRange: ranges!.uid, gidRange: ranges!.gid, single: false, keepId: { mode: 'keep-id', uid: kept, gid: kept } };
    const maps = await kernelMaps(mapping);
    const sort = (list: IdRange[]): IdRange[] => [...list].sort((a, b) => a.inner - b.inner);
    expect(maps.uid).toEqual(sort(keepIdRanges(kept, process.getuid!(), ranges!.uid.start, ranges!.uid.count)));
    expect(maps.gid).toEqual(sort(keepIdRanges(kept, process.getgid!(), ranges!.gid.start, ranges!.gid.count)));
  });
});

describe('the kept user\'s /etc/passwd and /etc/group lines (Podman\'s)', () => {
  const keepId = { mode: 'keep-id' as const, uid: 1001, gid: 1002, user: { name: 'runner', group: 'docker', home: '/home/runner' } };

  it('names the caller with the kept ids, its home and /bin/sh, and a group of its gid with it as member', () => {
    expect(keptUserLines(keepId)).toEqual({ passwd: 'runner:*:1001:1002:runner:/home/runner:/bin/sh', group: 'docker:x:1002:runner' });
  });

  it('adds none for a record made before (no user) or a name that would break the file\'s format', () => {
    expect(keptUserLines({ mode: 'keep-id', uid: 1001, gid: 1002 })).toBeUndefined();
    expect(keptUserLines({ ...keepId, user: { ...keepId.user, name: 'a:b' } })).toBeUndefined();
    expect(keptUserLines({ ...keepId, user: { ...keepId.user, home: '/x\nroot::0:0::/:/bin/sh' } })).toBeUndefined();
  });

  it('is needed only when the file holds neither the name nor the id', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n';
    expect(needsEntry(passwd, 'runner', 1001)).toBe(true);
    expect(needsEntry(passwd, 'runner', 1000)).toBe(false);
    expect(needsEntry(passwd, 'node', 1001)).toBe(false);
    expect(needsEntry('', 'runner', 1001)).toBe(true);
    // A line whose id field is not a number matches no id.
    expect(needsEntry('odd:x::1001::/:/bin/sh\n', 'runner', 0)).toBe(true);
  });
});
