import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mallocTrim } from './libc.js';

/**
 * One full garbage collection, now, and the memory it frees handed back to the
 * system. For a process that has just streamed tens of megabytes through Buffers
 * (a pull that unpacked its layers as they arrived) and lives on afterwards (the
 * container's whole run): V8 frees those Buffers only at a later collection, which
 * an idle process may not reach for a long time, and glibc keeps what they freed
 * in its arenas; until then it all counts in the process's resident memory, and
 * twice for a moment at each fork of a child (the fork copies the page tables of
 * every anonymous page). `gc` is exposed to a fresh context only (the caller's
 * global gets none); `malloc_trim` goes through koffi (util/libc.ts), which the
 * store's locks have loaded already.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  mallocTrim(0);
}
