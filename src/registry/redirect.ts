import { BurrowError } from '../errors.js';

/**
 * The rules for following a registry's redirects (blob storage, CDNs, token
 * servers that move): only http and https, and credentials only for the origin
 * they were meant for.
 */

/** The next URL of a redirect, refused when it is not http or https (file:, data:, ftp: never). */
export function redirectTarget(from: URL, location: string): URL {
  let target: URL;
  try {
    target = new URL(location, from);
  } catch {
    throw new BurrowError('REGISTRY', `${from.host}${from.pathname} redirected to an invalid URL: refusing to follow it`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new BurrowError('REGISTRY', `${from.host}${from.pathname} redirected to a ${target.protocol.slice(0, -1)}: URL: only http and https are followed`);
  }
  return target;
}

/**
 * Same scheme, host and port (default ports spelt or not). Authorization goes only
 * where this holds: a redirect to blob storage on another host, to another port of
 * the same host (another service) or from https to http (readable on the wire)
 * must not carry the registry's credentials.
 */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}
