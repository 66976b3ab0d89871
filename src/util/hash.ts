import { createHash, type Hash } from 'node:crypto';
import { parseDigest } from './digest.js';

// Apart from digest.ts so that a container start, which hashes nothing, does not load node:crypto.

export function hasherFor(digest: string): Hash {
  return createHash(parseDigest(digest).algorithm);
}

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
