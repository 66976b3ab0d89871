import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import type { Descriptor } from '../image/types.js';
import type { Platform } from '../image/platform.js';
import { writeFileAtomic } from './atomic.js';
import { withLock } from './flock.js';
import type { StorePaths } from './layout.js';

/** The OCI layout's name annotation holds the full reference. */
export const REF_NAME = 'org.opencontainers.image.ref.name';
/** What the reference resolved to at the registry (an index digest for multi-platform tags). */
export const SOURCE_DIGEST = 'io.burrow.source.digest';
export const PULLED_AT = 'io.burrow.pulled';

export interface ImageRecord {
  /** Canonical reference, `docker.io/library/busybox:latest`. */
  name: string;
  /** The platform-specific image manifest. */
  manifest: Descriptor;
  sourceDigest: string;
  pulledAt: string;
  platform?: Platform | undefined;
}

interface OciIndexFile {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

function toRecord(descriptor: Descriptor): ImageRecord | undefined {
  const name = descriptor.annotations?.[REF_NAME];
  if (name === undefined) return undefined;
  return {
    name,
    manifest: { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size },
    sourceDigest: descriptor.annotations?.[SOURCE_DIGEST] ?? descriptor.digest,
    pulledAt: descriptor.annotations?.[PULLED_AT] ?? '',
    platform: descriptor.platform,
  };
}

function toDescriptor(record: ImageRecord): Descriptor {
  const descriptor: Descriptor = {
    ...record.manifest,
    annotations: { [REF_NAME]: record.name, [SOURCE_DIGEST]: record.sourceDigest, [PULLED_AT]: record.pulledAt },
  };
  if (record.platform !== undefined) descriptor.platform = record.platform;
  return descriptor;
}

export function readRecords(paths: StorePaths): ImageRecord[] {
  if (!existsSync(paths.index)) return [];
  let parsed: OciIndexFile;
  try {
    parsed = JSON.parse(readFileSync(paths.index, 'utf8')) as OciIndexFile;
  } catch (error) {
    throw new BurrowError('IO', `the store's ${paths.index} is unreadable (${(error as Error).message}); restore it or remove it to forget all image names`, { cause: error });
  }
  return (parsed.manifests ?? []).map(toRecord).filter((record): record is ImageRecord => record !== undefined);
}

/** `index.json` holding `records`: an OCI index whose entries carry the names (the store's, and a cache's: store/cache.ts). */
export function recordsFile(records: ImageRecord[]): string {
  const file: OciIndexFile = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: records.map(toDescriptor),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Read-modify-write of the records under the records lock, written atomically. */
export async function updateRecords<T>(paths: StorePaths, change: (records: ImageRecord[]) => T): Promise<T> {
  return withLock(join(paths.locks, 'records.lock'), {}, async () => {
    const records = readRecords(paths);
    const result = change(records);
    writeFileAtomic(paths.index, recordsFile(records));
    return result;
  });
}

/** Adds or replaces the record of `record.name`. */
export function upsertRecord(records: ImageRecord[], record: ImageRecord): void {
  const at = records.findIndex((existing) => existing.name === record.name);
  if (at >= 0) records[at] = record;
  else records.push(record);
}
