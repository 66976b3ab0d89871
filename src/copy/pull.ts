import { BurrowError, isBurrowError } from '../errors.js';
import { DEFAULT_CONFIG, type BurrowConfig } from '../config/config.js';
import { isComplete } from '../image/local.js';
import { hostPlatform, platformMatches, type Platform } from '../image/platform.js';
import { DOCKER_HUB_DOMAIN, formatReference, parseReference, type ImageReference } from '../reference/reference.js';
import { RegistryClient } from '../registry/client.js';
import { lookupCredentials, type Credentials } from '../registry/credentials.js';
import { prepareLocks } from '../store/flock.js';
import type { Store } from '../store/store.js';
import { RegistrySource } from '../transport/registry-source.js';
import { copyImage, type CopyOptions, type CopyResult } from './copy.js';

export interface PullOptions {
  store: Store;
  platform?: Platform;
  config?: BurrowConfig;
  signal?: AbortSignal | undefined;
  /** Overrides the Docker config's credentials (used by tests and `--creds`). */
  credentials?: Credentials;
  onBlob?: CopyOptions['onBlob'];
  layerSink?: CopyOptions['layerSink'];
  onPlan?: CopyOptions['onPlan'];
  /** Endpoint messages: "trying mirror …", "falling back to …". */
  onStatus?: (message: string) => void;
}

export interface PullResult {
  name: string;
  /** True when the store already had exactly this image: nothing was fetched. */
  upToDate: boolean;
  sourceDigest: string;
  manifestDigest: string;
  copy?: CopyResult;
}

interface Endpoint {
  url: string;
  /** Whose credentials apply (a mirror's own host, else the registry). */
  credentialsFor: string;
}

function endpointsFor(ref: ImageReference, config: BurrowConfig): Endpoint[] {
  const registry: Endpoint = { url: ref.domain, credentialsFor: ref.domain };
  if (ref.domain !== DOCKER_HUB_DOMAIN) return [registry];
  const mirrors = config.registryMirrors.map((mirror) => {
    const url = /^[a-z]+:\/\//.test(mirror) ? mirror : `https://${mirror}`;
    return { url, credentialsFor: new URL(url).host };
  });
  return [...mirrors, registry];
}

/** Is the record for `name` already this exact image, for this platform? */
function upToDate(store: Store, name: string, sourceDigest: string | undefined, platform: Platform): { manifestDigest: string } | undefined {
  if (sourceDigest === undefined) return undefined;
  const record = store.records().find((candidate) => candidate.name === name);
  if (record === undefined || record.sourceDigest !== sourceDigest) return undefined;
  if (record.platform !== undefined && !platformMatches(platform, record.platform)) return undefined;
  return isComplete(store, record.manifest.digest) ? { manifestDigest: record.manifest.digest } : undefined;
}

/** Does the store hold a record named `name` (whatever its digest)? */
function hasRecord(store: Store, name: string): boolean {
  return store.records().some((record) => record.name === name);
}

/**
 * Pulls `reference` into the store: tries docker.io's mirrors first. When the
 * store has a record of the name, it asks with HEAD before any GET (Docker Hub
 * counts GETs against its rate limit, not HEADs) and skips the copy when the
 * record is that digest already; with no record there is nothing to compare, and
 * the manifest's GET goes first (a HEAD would cost a round trip for nothing).
 */
export async function pullImage(referenceText: string, options: PullOptions): Promise<PullResult> {
  const ref = parseReference(referenceText);
  const name = formatReference(ref);
  const config = options.config ?? DEFAULT_CONFIG;
  const platform = options.platform ?? hostPlatform();

  if (ref.digest !== undefined) {
    const done = upToDate(options.store, name, ref.digest, platform);
    if (done !== undefined) return { name, upToDate: true, sourceDigest: ref.digest, manifestDigest: done.manifestDigest };
  }

  const endpoints = endpointsFor(ref, config);
  let lastError: unknown;
  for (const [index, endpoint] of endpoints.entries()) {
    const isLast = index === endpoints.length - 1;
    let client: RegistryClient | undefined;
    try {
      const credentials = options.credentials ?? (await lookupCredentials(endpoint.credentialsFor));
      client = await RegistryClient.connect(endpoint.url, {
        timeoutMs: config.httpTimeoutSeconds * 1000,
        insecureRegistries: config.insecureRegistries,
        credentials,
        retries: config.retries,
        signal: options.signal,
      });
      if (endpoint.url !== ref.domain) options.onStatus?.(`trying mirror ${endpoint.url}`);
      let headDigest: string | undefined;
      let source: RegistrySource;
      if (ref.digest === undefined && hasRecord(options.store, name)) {
        const heading = client.headManifest(ref.path, ref.tag!);
        heading.catch(() => undefined); // Awaited just below.
        // While the registry answers (one turn of the event loop first: the request is
        // on its way then), koffi loads for the store lock the copy takes next.
        await new Promise((resolve) => setImmediate(resolve));
        prepareLocks();
        const head = await heading;
        headDigest = head?.digest;
        const done = upToDate(options.store, name, headDigest, platform);
        if (done !== undefined && headDigest !== undefined) {
          return { name, upToDate: true, sourceDigest: headDigest, manifestDigest: done.manifestDigest };
        }
        source = new RegistrySource(client, ref, ref.path, headDigest);
      } else {
        // No record of the name (or a digest reference): nothing a HEAD could show to be
        // current, so the manifest's GET goes first, and koffi loads while it is answered.
        source = new RegistrySource(client, ref, ref.path);
        source.top().catch(() => undefined); // The copy awaits it, and sees its error.
        await new Promise((resolve) => setImmediate(resolve));
        prepareLocks();
      }
      const copy = await copyImage(source, options.store, {
        platform,
        names: [name],
        concurrency: config.maxConcurrentDownloads,
        attempts: config.retries,
        signal: options.signal,
        onBlob: options.onBlob,
        layerSink: options.layerSink,
        onPlan: options.onPlan,
      });
      return { name, upToDate: false, sourceDigest: copy.sourceDigest, manifestDigest: copy.manifestDigest, copy };
    } catch (error) {
      lastError = error;
      const mirrorMiss = !isLast && isBurrowError(error) && ['NOT_FOUND', 'NETWORK', 'TIMEOUT', 'UNAUTHORIZED', 'DENIED', 'REGISTRY'].includes(error.code);
      if (!mirrorMiss) throw error;
      options.onStatus?.(`mirror ${endpoint.url} failed (${(error as Error).message}); trying the next endpoint`);
    } finally {
      // Not awaited: closing the idle connections (two or more now: the config's GET
      // runs beside the layers') took 10-30 ms on the way to the container's start.
      client?.close().catch(() => undefined);
    }
  }
  throw lastError ?? new BurrowError('NETWORK', `no endpoint for ${name}`);
}
