import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Compression } from '../image/media-types.js';

// Relative to a sibling folder so it holds from build/unpack/ and from the CLI bundle alike.
const NATIVE = fileURLToPath(new URL('../native/', import.meta.url));
const INFLATER_BINARY = join(NATIVE, 'burrow-inflate');
const INFLATER_BUILD = fileURLToPath(new URL('../native/inflate.json', import.meta.url));

/** How `native/burrow-inflate.c` exits (see there). */
export const INFLATER_EXIT = { invalid: 1, ceiling: 2, closed: 3, system: 4 } as const;

/** What the inflater prints when the stream was whole (on fd 3 when it starts the extractor, as layer.ts runs it; else on stderr). */
export interface InflaterReport {
  diffId: string;
  size: number;
}

/** What scripts/build-inflate.sh built: gzip through ISA-L or zlib (null: no inflater), zstd or not. */
interface InflaterBuild {
  gzip: 'isa-l' | 'zlib' | null;
  zstd: boolean;
  /** Shared libraries the inflater needs on this host (ISA-L has no static archive). */
  needs?: string[];
  /** The zlib build beside it, for hosts without them (a build/ copied to another machine). */
  fallback?: string;
}

let built: InflaterBuild | undefined;

/**
 * The inflater's arguments for a layer of this compression, or undefined when
 * the layer goes through Node's decompressor instead (util/decompress.ts): every
 * layer when the build found no libcrypto, zstd layers when it found no libzstd
 * (fzstd, in JavaScript, then).
 */
export function inflaterArgs(compression: Compression, ceiling: number): string[] | undefined {
  const build = readBuild();
  if (build.gzip === null || (compression === 'zstd' && !build.zstd)) return undefined;
  return [compression, String(ceiling)];
}

/** The inflater to run: the ISA-L build where its library is on this host, else the zlib build beside it. */
export function inflaterBinary(): string {
  const build = readBuild();
  if (build.fallback !== undefined && !(build.needs ?? []).every((library) => existsSync(library))) return join(NATIVE, build.fallback);
  return INFLATER_BINARY;
}

function readBuild(): InflaterBuild {
  if (built === undefined) {
    try {
      const read = JSON.parse(readFileSync(INFLATER_BUILD, 'utf8')) as Partial<InflaterBuild>;
      built = { gzip: read.gzip ?? null, zstd: read.zstd === true, needs: read.needs, fallback: read.fallback };
    } catch {
      built = { gzip: null, zstd: false };
    }
  }
  return built;
}

/** The inflater's report, from its lines; undefined when it printed none. */
export function parseInflaterReport(stderr: string): InflaterReport | undefined {
  try {
    const report = JSON.parse(stderr) as Partial<InflaterReport>;
    if (typeof report.diffId !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(report.diffId) || typeof report.size !== 'number') return undefined;
    return { diffId: report.diffId, size: report.size };
  } catch {
    return undefined;
  }
}
