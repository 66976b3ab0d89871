import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fuseOverlayfsDriver } from './fuse-overlayfs.js';
import { overlayDriver } from './overlay.js';

/**
 * `auto`, the default: the kernel's overlayfs, else fuse-overlayfs, tried by the
 * launcher at a container's first start (a start that mounts overlay at the first
 * try runs nothing more); when neither mounts, the launcher fails with
 * `no-overlay` and burrow copies the layers (`copy.ts`) and starts again. Either
 * fallback is recorded in the container's plan, so later starts go straight to
 * the driver that worked and say nothing more. A start that did not get the
 * kernel's overlay says which driver it got and why, in one note line: the
 * launcher leaves the reason in the container's `rootfs-note` file (a detached
 * start's launcher is not burrow's child, so a file is what reaches burrow).
 */
export const AUTO_NOTE_FILE = 'rootfs-note';

/** The mount step: overlay, else fuse-overlayfs (then undone after bwrap, and the reason noted), else `fail no-overlay`. */
export const AUTO_MOUNT = `${overlayDriver.shellFunctions}${fuseOverlayfsDriver.shellFunctions}if ! ${overlayDriver.mount}; then
  overlay_why=$why
  ${fuseOverlayfsDriver.mount} || { why="overlay: $overlay_why; fuse-overlayfs: $why"; fail no-overlay; }
  unmount=${fuseOverlayfsDriver.unmount!}
  printf '%s\\n' "$overlay_why" >"$dir/${AUTO_NOTE_FILE}"
fi
`;

/** The note for a start on which `auto` fell back to fuse-overlayfs, if it did (read from the container's directory). */
export function autoFallbackNote(dir: string): string | undefined {
  let why: string;
  try {
    why = readFileSync(join(dir, AUTO_NOTE_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
  return `storage driver: fuse-overlayfs, since the kernel's overlayfs cannot mount here${why === '' ? '' : ` (${why})`}`;
}

/** The note for a start on which `auto` fell back to copying the layers. */
export function copyFallbackNote(why: string): string {
  return `storage driver: copy, since neither the kernel's overlayfs nor fuse-overlayfs can mount here${why === '' ? '' : ` (${why})`}: copying the layers instead, which is slower (install fuse-overlayfs; make /dev/fuse mode 0666)`;
}
