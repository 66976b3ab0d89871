import { describe, expect, it } from 'vitest';
import { jsonLines } from '../../src/format/render.js';
import { sizeText } from '../../src/format/rows.js';

describe('--format json of a listing (docker/cli: {{json .}} per row)', () => {
  it('prints each row as one line of JSON, not an array, without HTML escapes (docker/cli\'s json); methods (.Label) stay out', () => {
    const row = { Labels: 'k=v', Name: 'a<b' };
    Object.defineProperty(row, 'Label', { value: () => 'v', enumerable: false });
    expect(jsonLines([row, { Labels: '', Name: 'second' }])).toBe('{"Labels":"k=v","Name":"a<b"}\n{"Labels":"","Name":"second"}\n');
    expect(jsonLines([])).toBe('');
  });
});

describe('ps SIZE text', () => {
  it('is Docker\'s: the writable layer, then the whole root as "virtual"; 0B when not asked for', () => {
    expect(sizeText({ rw: 2, rootFs: 4_260_000 })).toBe('2B (virtual 4.26MB)');
    expect(sizeText({ rw: 5000, rootFs: 0 })).toBe('5kB');
    expect(sizeText(undefined)).toBe('0B');
  });
});
