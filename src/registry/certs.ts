import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import { homeForLookups } from '../util/home.js';

/**
 * Per-registry TLS trust, found where Docker and Podman look: a directory named
 * after the registry (`host` or `host:port`) under, in containers/image's order,
 *
 *   ~/.config/containers/certs.d/   (rootless Podman)
 *   /etc/containers/certs.d/
 *   /etc/docker/certs.d/            (Docker)
 *
 * The first of these that has a directory for the registry is used, alone. In it,
 * `*.crt` files are CA certificates trusted for that registry besides the system's;
 * `NAME.cert` with `NAME.key` is a client certificate and its key.
 */
export interface CertsDirFiles {
  dir: string;
  ca: string[];
  client?: { cert: string[]; key: string[] } | undefined;
}

export function certsDirRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = homeForLookups(env);
  return [join(home, '.config', 'containers', 'certs.d'), '/etc/containers/certs.d', '/etc/docker/certs.d'];
}

/** The certs.d directory for `host` (as in the image reference, with its port), if any. */
export function findCertsDir(host: string, roots: readonly string[] = certsDirRoots()): string | undefined {
  // A host name never holds a slash or is a dot name; refuse rather than look outside the roots.
  if (host === '' || host.includes('/') || host === '.' || host === '..') return undefined;
  for (const root of roots) {
    const dir = join(root, host);
    if (existsSync(dir)) return dir;
  }
  return undefined;
}

function readPem(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new BurrowError('INVALID_ARGUMENT', `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): fix its permissions or remove it`, { cause: error });
  }
}

/** Reads a certs.d directory: CAs, and client certificate/key pairs, each half refused without the other (as Docker does). */
export function readCertsDir(dir: string): CertsDirFiles {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (error) {
    throw new BurrowError('INVALID_ARGUMENT', `cannot read the certificate directory ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  const ca = names.filter((name) => name.endsWith('.crt')).map((name) => readPem(join(dir, name)));
  const cert: string[] = [];
  const key: string[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.cert'))) {
    const keyName = `${name.slice(0, -'.cert'.length)}.key`;
    if (!names.includes(keyName)) throw new BurrowError('INVALID_ARGUMENT', `client certificate ${join(dir, name)} has no key beside it (${keyName}): add the key or remove the certificate`);
    cert.push(readPem(join(dir, name)));
    key.push(readPem(join(dir, keyName)));
  }
  for (const name of names.filter((entry) => entry.endsWith('.key'))) {
    const certName = `${name.slice(0, -'.key'.length)}.cert`;
    if (!names.includes(certName)) throw new BurrowError('INVALID_ARGUMENT', `key ${join(dir, name)} has no client certificate beside it (${certName}): add the certificate or remove the key`);
  }
  return { dir, ca, client: cert.length === 0 ? undefined : { cert, key } };
}

/** The TLS files for a registry host, or undefined when no certs.d directory names it. */
export function registryCerts(host: string, roots: readonly string[] = certsDirRoots()): CertsDirFiles | undefined {
  const dir = findCertsDir(host, roots);
  return dir === undefined ? undefined : readCertsDir(dir);
}
