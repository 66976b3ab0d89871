import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** What test/bed/up.sh started: registries, users, fixtures (see test/bed/README). */
export interface Bed {
  dir: string;
  registries: { anon: string; basic: string; token: string };
  tokenServer: string;
  service: string;
  users: { alice: string; bob: string; eve: string; shortlived: string };
  fixtures: Record<string, { digest: string; config?: string; layers?: string[]; platforms?: Record<string, string> }>;
  archives: { 'busybox-docker': string; 'busybox-oci': string; 'multilayer-docker': string };
  tinyfs: string | null;
  registryStorage: { anon: string };
}

let cached: Bed | undefined;

export function bed(): Bed {
  if (cached === undefined) {
    const dir = process.env.BURROW_BED_DIR ?? `/tmp/burrow-bed-${userInfo().username}`;
    try {
      cached = JSON.parse(readFileSync(join(dir, 'bed.json'), 'utf8')) as Bed;
    } catch (error) {
      throw new Error(`the test bed is not up (${(error as Error).message}): run the tests with "npm test", which starts it`);
    }
  }
  return cached;
}

export function fixture(name: string): Bed['fixtures'][string] {
  const found = bed().fixtures[name];
  if (found === undefined) throw new Error(`fixture ${name} is not in bed.json`);
  return found;
}

/** The busybox fixture's one layer as an uncompressed tar, read from the anonymous registry's storage: the base of images tests build. */
export function busyboxLayerTar(): Buffer {
  const hex = fixture('busybox:latest').layers![0]!.slice('sha256:'.length);
  return gunzipSync(readFileSync(join(bed().registryStorage.anon, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data')));
}
