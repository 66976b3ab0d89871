import { BurrowError } from '../errors.js';

const DIGEST = /^(sha256|sha512):([a-f0-9]+)$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

export function parseDigest(digest: string): ParsedDigest {
  const match = DIGEST.exec(digest);
  if (match === null || match[2]!.length !== HEX_LENGTH[match[1]!]) {
    throw new BurrowError('INVALID_MANIFEST', `"${digest}" is not a valid digest`);
  }
  return { algorithm: match[1] as ParsedDigest['algorithm'], hex: match[2]! };
}

export function shortId(digest: string): string {
  return (digest.includes(':') ? digest.slice(digest.indexOf(':') + 1) : digest).slice(0, 12);
}
