import { describe, expect, it } from 'vitest';
import { filterImages, globMatch } from '../../src/image/filter.js';
import type { ImageSummary } from '../../src/image/summary.js';
import type { Store } from '../../src/store/store.js';

const image = (Repository: string, Tag: string, Labels: Record<string, string> = {}): ImageSummary => ({
  Id: `sha256:${Repository.length}${Tag}`, Repository, Tag, Name: `${Repository}:${Tag}`, Digest: '', Created: '2024-01-01T00:00:00Z', Size: 1, Platform: 'linux/amd64', Labels,
});

// reference=, label= and dangling= never read the store (before= and since= do: the e2e tests cover them).
const noStore = {} as Store;
const images = [image('busybox', 'latest', { tier: 'db' }), image('busybox', '1.36'), image('library/alpine', '3'), image('<none>', '<none>')];
const names = (filters: string[]): string[] => filterImages(noStore, images, filters).map((entry) => `${entry.Repository}:${entry.Tag}`);

describe('images --filter, as Docker\'s', () => {
  it('reference= is a glob over the name and name:tag, where * stops at /', () => {
    expect(names(['reference=busybox'])).toEqual(['busybox:latest', 'busybox:1.36']);
    expect(names(['reference=busybox:1.*'])).toEqual(['busybox:1.36']);
    expect(names(['reference=*/alpine'])).toEqual(['library/alpine:3']);
    expect(names(['reference=*'])).toEqual(['busybox:latest', 'busybox:1.36']);
    expect(globMatch('b[a-u]sy?ox', 'busybox')).toBe(true);
  });

  it('label=, dangling=; one key\'s filters are alternatives, different keys must all match', () => {
    expect(names(['label=tier'])).toEqual(['busybox:latest']);
    expect(names(['label=tier=web'])).toEqual([]);
    expect(names(['dangling=true'])).toEqual(['<none>:<none>']);
    expect(names(['reference=busybox:latest', 'reference=library/alpine'])).toEqual(['busybox:latest', 'library/alpine:3']);
    expect(names(['reference=busybox', 'label=tier=db'])).toEqual(['busybox:latest']);
    expect(() => names(['dangling=maybe'])).toThrow(/use true or false/);
    expect(() => names(['size=1'])).toThrow(/invalid filter "size"/);
  });
});
