import { isIP } from 'node:net';

/** `localhost`, `127.x.y.z`, `::1`, with or without a port. */
export function isLoopback(host: string): boolean {
  const hostname = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  if (hostname === 'localhost' || hostname === '::1') return true;
  return isIP(hostname) === 4 && hostname.startsWith('127.');
}

/** Is `domain` in the user's insecureRegistries list (a scheme or trailing slash there is ignored)? */
export function isListedInsecure(domain: string, insecure: readonly string[]): boolean {
  return insecure.some((entry) => entry.replace(/^[a-z]+:\/\//, '').replace(/\/$/, '') === domain);
}

/** Plain HTTP and unverified TLS are for loopback and the registries a user lists, as in Docker. */
export function isInsecureRegistry(domain: string, insecure: readonly string[]): boolean {
  return isLoopback(domain) || isListedInsecure(domain, insecure);
}
