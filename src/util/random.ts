import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Random bytes from the kernel, read directly: node:crypto costs a container
 * start more to load than its ids and temp names are worth.
 */
export function randomBytes(count: number): Buffer {
  const bytes = Buffer.alloc(count);
  const fd = openSync('/dev/urandom', 'r');
  try {
    let filled = 0;
    while (filled < count) filled += readSync(fd, bytes, filled, count - filled, null);
  } finally {
    closeSync(fd);
  }
  return bytes;
}
