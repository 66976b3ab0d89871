import { BurrowError } from '../errors.js';

/**
 * A registry image reference, normalised the way Docker does it:
 * `busybox` → `docker.io/library/busybox:latest`.
 * Grammar: github.com/distribution/reference (reference.go, regexp.go).
 */
export interface ImageReference {
  /** Registry host as written by users (`docker.io`, `127.0.0.1:5000`). */
  readonly domain: string;
  /** Repository path inside the registry (`library/busybox`). */
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export const DOCKER_HUB_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256_HEX = /^[a-f0-9]{64}$/;
const MAX_NAME_LENGTH = 255;

function invalid(input: string, why: string): BurrowError {
  return new BurrowError('INVALID_REFERENCE', `invalid image reference "${input}": ${why}`);
}

function isDomain(candidate: string): boolean {
  return candidate.includes('.') || candidate.includes(':') || candidate === 'localhost' || candidate !== candidate.toLowerCase();
}

function validateDomain(input: string, domain: string): void {
  const colon = domain.startsWith('[') ? domain.indexOf(']:') + 1 : domain.lastIndexOf(':');
  const host = colon > 0 ? domain.slice(0, colon) : domain;
  const port = colon > 0 ? domain.slice(colon + 1) : undefined;
  if (port !== undefined && !PORT.test(port)) throw invalid(input, `"${port}" is not a port number`);
  if (IPV6_HOST.test(host)) return;
  if (!host.split('.').every((part) => DOMAIN_COMPONENT.test(part))) {
    throw invalid(input, `"${host}" is not a valid registry host name`);
  }
}

export function validateDigest(input: string, digest: string): void {
  if (!DIGEST.test(digest)) throw invalid(input, `"${digest}" is not a digest (expected sha256: and 64 hex digits)`);
  const [algorithm, hex] = digest.split(':') as [string, string];
  if (algorithm === 'sha256' && !SHA256_HEX.test(hex)) {
    throw invalid(input, `"${digest}" is not a sha256 digest (expected 64 lowercase hex digits)`);
  }
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw invalid(input, `digest algorithm "${algorithm}" is not supported (use sha256)`);
  }
}

/** Parses and normalises `[domain/]path[:tag][@digest]`. */
export function parseReference(input: string): ImageReference {
  if (input.length === 0) throw invalid(input, 'it is empty');
  if (/\s/.test(input)) throw invalid(input, 'it contains white space');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    validateDigest(input, digest);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw invalid(input, `"${tag}" is not a valid tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')`);
  }
  if (rest.length === 0) throw invalid(input, 'the repository name is missing');

  let domain = DOCKER_HUB_DOMAIN;
  let path = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0 && isDomain(rest.slice(0, firstSlash))) {
    domain = rest.slice(0, firstSlash);
    path = rest.slice(firstSlash + 1);
    validateDomain(input, domain);
  } else if (firstSlash < 0 && rest !== rest.toLowerCase()) {
    throw invalid(input, 'repository names must be lowercase');
  }
  if (domain === 'index.docker.io' || domain === 'registry-1.docker.io') domain = DOCKER_HUB_DOMAIN;
  if (path.length === 0) throw invalid(input, 'the repository name is missing');
  for (const component of path.split('/')) {
    if (component !== component.toLowerCase()) throw invalid(input, 'repository names must be lowercase');
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(input, `"${component}" is not a valid repository name component (lowercase letters, digits and single separators . _ __ -)`);
    }
  }
  if (domain === DOCKER_HUB_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (`${domain}/${path}`.length > MAX_NAME_LENGTH) throw invalid(input, `the name is longer than ${MAX_NAME_LENGTH} characters`);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { domain, path, tag, digest };
}

/** `docker.io/library/busybox` */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The canonical text: `docker.io/library/busybox:latest`, `host/x@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  let text = repositoryName(ref);
  if (ref.tag !== undefined) text += `:${ref.tag}`;
  if (ref.digest !== undefined) text += `@${ref.digest}`;
  return text;
}

/** The short form Docker prints: `busybox:latest` for Docker Hub's library images. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DOCKER_HUB_DOMAIN) return repositoryName(ref);
  return ref.path.startsWith('library/') ? ref.path.slice('library/'.length) : ref.path;
}

/** What the registry is asked for: the digest when pinned, else the tag. */
export function manifestSelector(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/** `busybox:latest`, `127.0.0.1:5000/x@sha256:…`: the form Docker shows users. */
export function familiarString(ref: ImageReference): string {
  let text = familiarName(ref);
  if (ref.tag !== undefined) text += `:${ref.tag}`;
  if (ref.digest !== undefined) text += `@${ref.digest}`;
  return text;
}
