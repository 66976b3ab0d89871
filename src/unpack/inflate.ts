import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Compression } from '../image/media-types.js';

// Relative to a sibling folder so it holds from build/unpack/ and from the CLI bundle alike.
export const INFLATER_BINARY = fileURLToPath(new URL('../native/burrow-inflate', import.meta.url));
const INFLATER_BUILD = fileURLToPath(new URL('../native/inflate.json', import.meta.url));

/** How `native/burrow-inflate.c` exits (see there). */
export const INFLATER_EXIT = { invalid: 1, ceiling: 2, closed: 3, system: 4 } as const;

/** What the inflater prints on stderr when the stream was whole. */
export interface InflaterReport {
  diffId: string;
  size: number;
}

let built: { gzip: string | null } | undefined;

/**
 * The inflater's arguments for a layer of this compression, or undefined when
 * the layer goes through Node's decompressor instead: zstd (Node 20 has none;
 * fzstd, in JavaScript), and every layer when the build found no libcrypto
 * (scripts/build-inflate.sh writes what it built in inflate.json).
 */
export function inflaterArgs(compression: Compression, ceiling: number): string[] | undefined {
  if (compression === 'zstd') return undefined;
  if (built === undefined) {
    try {
      built = JSON.parse(readFileSync(INFLATER_BUILD, 'utf8')) as { gzip: string | null };
    } catch {
      built = { gzip: null };
    }
  }
  if (built.gzip === null) return undefined;
  return [compression, String(ceiling)];
}

/** The inflater's report, from its stderr; undefined when it printed none. */
export function parseInflaterReport(stderr: string): InflaterReport | undefined {
  try {
    const report = JSON.parse(stderr) as Partial<InflaterReport>;
    if (typeof report.diffId !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(report.diffId) || typeof report.size !== 'number') return undefined;
    return { diffId: report.diffId, size: report.size };
  } catch {
    return undefined;
  }
}
