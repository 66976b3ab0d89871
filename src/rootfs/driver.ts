import type { RootfsDriverName, RootfsPlan } from '../sandbox/plan.js';
import type { IdMapping } from '../userns/idmap.js';

/**
 * Root file system drivers, one interface with a module per backend (crun's
 * cgroup-*.c shape): `overlay.ts`, `fuse-overlayfs.ts`, `copy.ts`; `auto.ts`
 * picks one at a container's first start. A start asks a driver for three things:
 *
 * 1. `prepare`, in burrow's own process before the launch (the copy driver
 *    copies the layers here, once per container; the overlay drivers need nothing,
 *    so a warm start runs no extra process);
 * 2. `mount`, shell run by the launcher in the container's user and mount
 *    namespaces before bubblewrap: afterwards the root is at `$merged`;
 * 3. `unmount`, shell run there once bubblewrap has returned, for a mount that
 *    the end of the namespace does not undo (fuse-overlayfs's daemon would keep
 *    the namespace alive). The mount step leaves it in `$unmount` for the one
 *    step that runs a command and then undoes the mount (`shell.ts: RUN_STEP`).
 *
 * `burrow cp` reaches a stopped container's root through the same steps: a
 * holder namespace mounts it, cp's worker runs there, and the unmount follows
 * (`index.ts: holderScript`).
 *
 * Shell text is constant and carries no messages: paths reach it as positional
 * parameters (see `shell.ts`), failures leave it as codes that burrow words
 * (`index.ts: rootfsFailure`).
 */
export type DriverName = Exclude<RootfsDriverName, 'auto'>;

/** Where one container's root file system lives, and the mapping its namespace uses. */
export interface RootfsSite {
  rootfs: RootfsPlan;
  /** The store's `layers/` directory: the overlay drivers name lower layers relative to it. */
  layers: string;
  /** The container's directory (run files; the copy driver's marker). */
  dir: string;
  mapping: IdMapping;
}

export interface RootfsDriver {
  readonly name: DriverName;
  prepare(site: RootfsSite): Promise<void>;
  /** Shell function definitions that `mount` and `unmount` call. */
  readonly shellFunctions: string;
  /** A shell command: succeeds with the root mounted at `$merged`, or fails with the tool's words in `$why`. */
  readonly mount: string;
  /** What the user is told when this driver was asked for by name and `mount` failed (`why`: the tool's words). */
  mountFailure(why: string): string;
  /** A shell command run after bwrap returns; undefined when leaving the namespace undoes the mount. */
  readonly unmount: string | undefined;
}
