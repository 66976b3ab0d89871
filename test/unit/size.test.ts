import { describe, expect, it } from 'vitest';
import { binarySize, decimalSize } from '../../src/util/size.js';

describe('sizes as Docker prints them (go-units)', () => {
  it('decimal, three significant digits: images, disk use, I/O', () => {
    expect(decimalSize(0)).toBe('0B');
    expect(decimalSize(999)).toBe('999B');
    expect(decimalSize(1500)).toBe('1.5kB');
    expect(decimalSize(1_234_567)).toBe('1.23MB');
    expect(decimalSize(10_000_000)).toBe('10MB');
    expect(decimalSize(72_800_000)).toBe('72.8MB');
  });

  it('binary, four significant digits: memory in stats', () => {
    expect(binarySize(1023)).toBe('1023B');
    expect(binarySize(1536 * 1024)).toBe('1.5MiB');
    expect(binarySize(64 * 1024 * 1024)).toBe('64MiB');
    expect(binarySize(1_234_567)).toBe('1.177MiB');
  });
});
