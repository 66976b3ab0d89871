import { BurrowError, isBurrowError } from '../errors.js';
import { MANIFEST_ACCEPT, MediaType } from '../image/media-types.js';
import { DOCKER_HUB_DOMAIN } from '../reference/reference.js';
import type { BlobSource } from '../store/blobs.js';
import { parseDigest } from '../util/digest.js';
import { hasherFor, sha256 } from '../util/hash.js';
import { sleep } from '../util/sleep.js';
import { Authenticator, parseChallenges } from './auth.js';
import { certsDirRoots, registryCerts } from './certs.js';
import type { Credentials } from './credentials.js';
import { isInsecureRegistry, isListedInsecure, isLoopback } from './hosts.js';
import { HttpClient, isTlsMismatch, oneLine, type HttpResponse } from './http.js';

/** The distribution spec caps manifests at 4 MiB. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Enough for any distribution error document; the rest of a longer one is not read. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const DOCKER_HUB_ENDPOINT = 'https://registry-1.docker.io';

export interface RegistryOptions {
  timeoutMs: number;
  insecureRegistries: readonly string[];
  credentials?: Credentials | undefined;
  retries: number;
  backoffMs?: number;
  signal?: AbortSignal | undefined;
  /** Where per-registry certificates are looked up (certs.ts); default: Docker's and Podman's places. */
  certsDirRoots?: readonly string[];
}

export interface ManifestResponse {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export interface ManifestHead {
  digest: string | undefined;
  mediaType: string | undefined;
  size: number | undefined;
}

interface RegistryErrorBody {
  errors?: Array<{ code?: string; message?: string }>;
}

function isDigest(text: string): boolean {
  try {
    parseDigest(text);
    return true;
  } catch {
    return false;
  }
}

function retryAfterMs(response: HttpResponse, fallback: number): number {
  const header = response.header('retry-after');
  if (header === undefined) return fallback;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Math.min(Math.max(ms, 0), 10_000);
}

/**
 * A client for one registry endpoint (distribution spec v2): probes /v2/, answers
 * its auth challenge, fetches manifests and opens blobs for the store.
 */
export class RegistryClient {
  private constructor(
    readonly domain: string,
    readonly base: URL,
    private readonly http: HttpClient,
    private readonly auth: Authenticator,
    private readonly options: RegistryOptions,
  ) {}

  /**
   * Connects to `endpoint` (a registry host, or a mirror's URL). Insecure hosts
   * try HTTPS first and fall back to HTTP, as Docker does.
   */
  static async connect(endpoint: string, options: RegistryOptions): Promise<RegistryClient> {
    const explicit = /^[a-z]+:\/\//.test(endpoint);
    const domain = explicit ? new URL(endpoint).host : endpoint;
    const insecure = isInsecureRegistry(domain, options.insecureRegistries);
    const certs = registryCerts(domain, options.certsDirRoots ?? certsDirRoots());
    const tls = certs === undefined ? undefined : { ca: certs.ca, client: certs.client, origin: new URL(`https://${domain}`).origin };
    const http = new HttpClient({ timeoutMs: options.timeoutMs, insecureTls: insecure, tls });
    // A registry on loopback with no certificates configured is almost always a plain-HTTP one
    // (a CI job's own registry): asked over HTTP first, it costs no TLS set-up (60 ms, measured);
    // one that speaks TLS answers that probe with a 400 or a closed socket, and is asked over HTTPS.
    const httpFirst = isLoopback(domain) && certs === undefined;
    const candidates = explicit ? [new URL(endpoint)] : domain === DOCKER_HUB_DOMAIN ? [new URL(DOCKER_HUB_ENDPOINT)] : httpFirst ? [new URL(`http://${domain}`), new URL(`https://${domain}`)] : insecure ? [new URL(`https://${domain}`), new URL(`http://${domain}`)] : [new URL(`https://${domain}`)];
    let lastError: unknown;
    for (const [index, base] of candidates.entries()) {
      try {
        // The HTTPS probe of an insecure registry is tried once: plain-HTTP servers answer it with an error at once.
        const tryOnce = httpFirst ? base.protocol === 'https:' && index < candidates.length - 1 : index < candidates.length - 1;
        const probeOptions = tryOnce ? { ...options, retries: 1 } : options;
        const response = await RegistryClient.retrying(probeOptions, () => http.send(new URL('/v2/', base), { signal: options.signal }));
        const challenges = parseChallenges(response.headerAll('www-authenticate'));
        await response.discard();
        if (httpFirst && base.protocol === 'http:' && response.status === 400) {
          lastError = new BurrowError('REGISTRY', `${domain} answered plain HTTP with 400 (an HTTPS server)`);
          continue;
        }
        if (response.status !== 200 && response.status !== 401) {
          throw new BurrowError('REGISTRY', `${domain} is not a container registry (GET /v2/ answered ${response.status})`);
        }
        const challenge = response.status === 401 ? (challenges.find((c) => c.scheme === 'bearer') ?? challenges[0]) : undefined;
        if (response.status === 401 && challenge === undefined) {
          throw new BurrowError('REGISTRY', `${domain} asked for authentication without saying how (no WWW-Authenticate header)`);
        }
        // Credentials cross plain HTTP to a token server only for a registry the user listed as insecure.
        const auth = new Authenticator(domain, http, challenge, options.credentials, { plainHttpCredentials: isListedInsecure(domain, options.insecureRegistries) });
        return new RegistryClient(domain, base, http, auth, options);
      } catch (error) {
        lastError = error;
        const more = index < candidates.length - 1;
        // Plain HTTP to a TLS port on loopback: the server closes the connection or answers garbage.
        const httpRefused = httpFirst && base.protocol === 'http:' && isBurrowError(error) && error.code === 'NETWORK';
        if (!more || !((base.protocol === 'https:' && isTlsMismatch(error)) || httpRefused)) break;
      }
    }
    await http.close();
    if (!insecure && !explicit && isTlsMismatch(lastError)) {
      throw new BurrowError('NETWORK', `${domain} did not answer HTTPS: if it is a plain-HTTP registry you trust, list "${domain}" in insecureRegistries of burrow's config (or BURROW_INSECURE_REGISTRIES)`, { cause: lastError });
    }
    throw lastError;
  }

  /** Runs `attempt` again on retryable failures and on 429/5xx answers, with backoff. */
  private static async retrying(options: RegistryOptions, attempt: () => Promise<HttpResponse>): Promise<HttpResponse> {
    const backoff = options.backoffMs ?? 200;
    for (let tries = 1; ; tries++) {
      let response: HttpResponse;
      try {
        response = await attempt();
      } catch (error) {
        if (!isBurrowError(error) || !error.retryable || tries >= options.retries) throw error;
        await sleep(backoff * 2 ** (tries - 1), options.signal);
        continue;
      }
      if ((response.status === 429 || response.status >= 500) && tries < options.retries) {
        await response.discard();
        await sleep(retryAfterMs(response, backoff * 2 ** (tries - 1)), options.signal);
        continue;
      }
      return response;
    }
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  get authScheme(): string | undefined {
    return this.auth.scheme;
  }

  /** Proves the credentials work (for `burrow login`): Basic on /v2/, or a token without scope. */
  async verifyLogin(): Promise<void> {
    if (this.auth.scheme === undefined) return;
    const response = await this.request('GET', '/v2/', undefined, {});
    await response.discard();
    if (response.status === 401 || response.status === 403) {
      throw new BurrowError('UNAUTHORIZED', `login to ${this.domain} failed: wrong username or password`);
    }
  }

  private scope(path: string): string {
    return `repository:${path}:pull`;
  }

  /** Sends with auth; a 401 with a cached token refreshes the token once. */
  private async request(method: 'GET' | 'HEAD', pathname: string, scope: string | undefined, headers: Record<string, string>, signal = this.options.signal): Promise<HttpResponse> {
    const url = new URL(pathname, this.base);
    const send = async (): Promise<HttpResponse> => {
      const authorization = await this.auth.authorization(scope, signal);
      return this.http.send(url, { method, headers, authorization, authOrigin: this.base.origin, signal });
    };
    let response = await RegistryClient.retrying(this.options, send);
    if (response.status === 401 && this.auth.scheme === 'bearer' && scope !== undefined) {
      await response.discard();
      this.auth.invalidate(scope);
      response = await RegistryClient.retrying(this.options, send);
    }
    return response;
  }

  private async failure(response: HttpResponse, what: string): Promise<BurrowError> {
    let detail = '';
    let code: string | undefined;
    if (response.status !== 405 && response.length !== 0) {
      try {
        const body = JSON.parse((await response.head(MAX_ERROR_BODY_BYTES)).toString()) as RegistryErrorBody;
        code = typeof body.errors?.[0]?.code === 'string' ? body.errors[0].code : undefined;
        detail = typeof body.errors?.[0]?.message === 'string' ? oneLine(body.errors[0].message, 200) : '';
      } catch {
        // Not a distribution error body; the status says enough.
      }
    } else {
      await response.discard();
    }
    const status = response.status;
    if (status === 404 || code === 'MANIFEST_UNKNOWN' || code === 'NAME_UNKNOWN' || code === 'BLOB_UNKNOWN') {
      const reason = code === 'NAME_UNKNOWN' ? 'the repository does not exist' : code === 'BLOB_UNKNOWN' ? 'the registry does not have this blob' : 'the registry has no such tag or digest';
      return new BurrowError('NOT_FOUND', `${what}: not found (${reason})`);
    }
    if (status === 401 || status === 403 || code === 'UNAUTHORIZED' || code === 'DENIED') {
      const who = this.auth.username;
      if (who === undefined) {
        return new BurrowError('UNAUTHORIZED', `${what}: access denied: the repository does not exist or needs a login (run "burrow login ${this.domain}")`);
      }
      return new BurrowError('DENIED', `${what}: access denied for user "${who}": the repository does not exist or "${who}" may not pull it`);
    }
    if (status === 429) return new BurrowError('REGISTRY', `${what}: the registry keeps refusing with 429 Too Many Requests (rate limit): wait, log in, or use a mirror`);
    return new BurrowError('REGISTRY', `${what}: the registry answered ${status}${detail === '' ? '' : ` (${detail})`}`);
  }

  /** HEAD of a manifest: its digest without a counted GET (Docker Hub rate-limits GETs only). */
  async headManifest(path: string, selector: string): Promise<ManifestHead | undefined> {
    const response = await this.request('HEAD', `/v2/${path}/manifests/${selector}`, this.scope(path), { accept: MANIFEST_ACCEPT });
    await response.discard();
    if (response.status !== 200) return undefined;
    const length = response.header('content-length');
    const digest = response.header('docker-content-digest');
    return {
      digest: digest !== undefined && isDigest(digest) ? digest : undefined,
      mediaType: response.header('content-type')?.split(';')[0]?.trim(),
      size: length === undefined ? undefined : Number(length),
    };
  }

  /**
   * GETs a manifest. `expected` is the digest a HEAD of the same tag answered: the
   * manifest must be that one, or the registry changed (or lies about) the tag
   * between the two requests.
   */
  async getManifest(path: string, selector: string, expected?: string): Promise<ManifestResponse> {
    const what = `${this.domain}/${path}${selector.includes(':') ? '@' : ':'}${selector}`;
    const response = await this.request('GET', `/v2/${path}/manifests/${selector}`, this.scope(path), { accept: MANIFEST_ACCEPT });
    if (response.status !== 200) throw await this.failure(response, what);
    const bytes = await response.bytes(MAX_MANIFEST_BYTES, 'a manifest', 'INVALID_MANIFEST');
    const byDigest = selector.includes(':');
    const claimed = response.header('docker-content-digest');
    // The digest the bytes must hash to: the one asked for, else the one HEAD
    // answered (once known, GET's own header adds nothing), else GET's header.
    const wanted = byDigest ? selector : (expected ?? (claimed !== undefined && isDigest(claimed) ? claimed : undefined));
    const digest = wanted === undefined ? sha256(bytes) : `${parseDigest(wanted).algorithm}:${hasherFor(wanted).update(bytes).digest('hex')}`;
    if (wanted !== undefined && digest !== wanted) {
      if (!byDigest && wanted === expected) {
        throw new BurrowError('DIGEST_MISMATCH', `${what}: the registry answered HEAD with manifest ${expected} but GET sent one hashing to ${digest} (the tag moved during the pull, or the registry is inconsistent): nothing was stored; pull again`);
      }
      throw new BurrowError('DIGEST_MISMATCH', `${what}: the manifest the registry sent hashes to ${digest}, not ${wanted}: refusing it`);
    }
    let mediaType = response.header('content-type')?.split(';')[0]?.trim();
    if (mediaType === undefined || mediaType === 'application/json' || mediaType === 'text/plain') {
      mediaType = sniffMediaType(bytes);
    }
    if (mediaType === MediaType.dockerSchema1 || mediaType === MediaType.dockerSchema1Signed) {
      throw new BurrowError('INVALID_MANIFEST', `${what}: Docker schema 1 manifests are not supported (deprecated since 2019): ask the publisher to push a schema 2 or OCI image`);
    }
    return { bytes, mediaType, digest };
  }

  /**
   * Opens blob `digest` of `path`, `size` bytes as its descriptor says. An answer
   * announced bigger (a huge Content-Length) is refused before a byte of it is read.
   */
  blobSource(path: string, digest: string, size: number): BlobSource {
    const what = `${this.domain}/${path}@${digest}`;
    return {
      describe: `${this.domain}/${path}`,
      open: async (offset, signal) => {
        const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
        const response = await this.request('GET', `/v2/${path}/blobs/${digest}`, this.scope(path), headers, signal);
        if (response.status === 416 && offset > 0) {
          // The server cannot serve our range: start the blob over.
          await response.discard();
          return this.blobSource(path, digest, size).open(0, signal);
        }
        if (response.status !== 200 && response.status !== 206) throw await this.failure(response, what);
        const range = response.status === 206 ? /^bytes (\d+)-/.exec(response.header('content-range') ?? '') : null;
        const start = range === null ? 0 : Number(range[1]);
        if (response.length !== undefined && start + response.length > size) {
          await response.discard();
          throw new BurrowError('DIGEST_MISMATCH', `${this.domain}/${path}: blob ${digest} is announced as ${start + response.length} bytes but its descriptor says ${size}: refusing it, nothing was stored`);
        }
        return { stream: response.body, start };
      },
    };
  }
}

function sniffMediaType(bytes: Buffer): string {
  try {
    const parsed = JSON.parse(bytes.toString()) as { mediaType?: string; manifests?: unknown; schemaVersion?: number; config?: unknown };
    if (typeof parsed.mediaType === 'string') return parsed.mediaType;
    if (parsed.schemaVersion === 1) return MediaType.dockerSchema1;
    if (parsed.manifests !== undefined) return MediaType.ociIndex;
    return MediaType.ociManifest;
  } catch {
    return 'application/octet-stream';
  }
}
