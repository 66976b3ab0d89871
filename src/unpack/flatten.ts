/**
 * The copy driver's root file system, for hosts where neither the kernel's
 * overlayfs nor fuse-overlayfs can be mounted: the layers copied into one
 * directory, lowest first, whiteouts applied. Runs as root of burrow's user
 * namespace (ownership is kept); slow, so it is the last resort.
 *
 *   node flatten.js TARGET LAYER…   (lowest layer first)
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
const libc = koffi.load('libc.so.6');
const lgetxattr = libc.func('long lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)') as (path: string, name: string, value: Buffer, size: number) => number;

function isOpaque(path: string): boolean {
  const value = Buffer.alloc(4);
  return lgetxattr(path, 'user.overlay.opaque', value, value.length) === 1 && value[0] === 0x79;
}

/** Whiteouts (0/0 character devices) and opaque directories of one layer, relative to it. */
function markers(layer: string): { whiteouts: string[]; opaque: string[] } {
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isCharacterDevice() && lstatSync(path).rdev === 0) whiteouts.push(relative(layer, path));
      else if (entry.isDirectory()) {
        if (isOpaque(path)) opaque.push(relative(layer, path));
        walk(path);
      }
    }
  };
  walk(layer);
  return { whiteouts, opaque };
}

const [target, ...layers] = process.argv.slice(2);
if (target === undefined) {
  process.stderr.write('usage: flatten TARGET LAYER…\n');
  process.exit(2);
}
for (const layer of layers) {
  const { whiteouts, opaque } = markers(layer);
  for (const path of [...whiteouts, ...opaque]) rmSync(join(target, path), { recursive: true, force: true });
  // GNU cp -a keeps owners, modes (setuid included), links, times and xattrs.
  const copy = spawnSync('cp', ['-a', `${layer}/.`, target], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (copy.status !== 0) {
    process.stderr.write(`cp -a ${layer} failed: ${copy.stderr.toString().trim()}\n`);
    process.exit(1);
  }
  for (const path of whiteouts) rmSync(join(target, path), { force: true });
}
