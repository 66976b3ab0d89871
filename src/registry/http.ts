import { Transform, pipeline, type Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import type { Agent, Dispatcher } from 'undici';
import { BurrowError, errnoOf, type ErrorCode } from '../errors.js';
import { redirectTarget, sameOrigin } from './redirect.js';

/**
 * One HTTP exchange with a registry or a token server. undici is loaded lazily:
 * commands that never touch the network do not pay for it.
 *
 * A hostile or broken server can answer slowly, forever or hugely; every way of
 * reading an answer here is bounded: headers must arrive whole within the
 * time-out, small documents (manifests, tokens, error bodies) are read up to a
 * size cap and within the time-out, and a streamed body (a blob) must keep
 * moving at a minimum rate, so a slow-loris server cannot hold a pull forever.
 */
export interface HttpResponse {
  status: number;
  url: URL;
  header(name: string): string | undefined;
  headerAll(name: string): string[];
  /** Content-Length as the server announced it, if it did. */
  length: number | undefined;
  /** The body as a stream that fails when the server stalls (for blobs). */
  readonly body: Readable;
  /** The whole body, refused (with `code`) beyond `limit` bytes; `what` names it in errors. */
  bytes(limit: number, what: string, code?: ErrorCode): Promise<Buffer>;
  /** At most the first `limit` bytes of the body, the rest thrown away (error bodies). */
  head(limit: number): Promise<Buffer>;
  discard(): Promise<void>;
}

/** Trust for one registry, from its certs.d directory (certs.ts). */
export interface RegistryTls {
  /** CA certificates (PEM) trusted besides the system's. */
  ca: string[];
  /** A client certificate and key (PEM), offered to the registry's origin only. */
  client?: { cert: string[]; key: string[] } | undefined;
  /** `https://host:port`: where the client certificate may be offered. */
  origin: string;
}

export interface HttpClientOptions {
  timeoutMs: number;
  /** Skip TLS verification (insecure registries only). */
  insecureTls: boolean;
  tls?: RegistryTls | undefined;
}

export interface SendOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  /** A request body (the OAuth2 token form); a POST is never redirected to another origin. */
  body?: string;
  signal?: AbortSignal | undefined;
  /** Sent only to `authOrigin` (default: the origin of the first URL), never after a redirect leaves it. */
  authorization?: string | undefined;
  authOrigin?: string | undefined;
}

const MAX_REDIRECTS = 5;
type buildConnectorOptions = Parameters<typeof import('undici').buildConnector>[0];
/**
 * A streamed body must deliver this much in every time-out window (or end): about
 * 550 bytes/s with the default 30 s, far below any real link, far above a server
 * that trickles a byte now and then to keep the idle timer from firing.
 */
const MIN_BYTES_PER_WINDOW = 16 * 1024;

interface UndiciApi {
  Agent: typeof import('undici').Agent;
  Pool: typeof import('undici').Pool;
  buildConnector: typeof import('undici').buildConnector;
}
let undiciApi: UndiciApi | undefined;

/**
 * The parts of undici burrow uses: the Agent and Pool dispatchers, the TLS
 * connector and the request API on dispatchers. Loading undici's index also
 * compiles fetch, WebSocket, the cache and the mocks (150 ms for every pull,
 * measured); these modules alone took 45 ms, and bundled into the CLI, whose
 * code cache holds them compiled, less than 10 ms (esbuild turns these imports
 * into lazy requires, so a warm start never evaluates them). These paths are
 * undici 6's own layout (the version is pinned in package.json): its index.js
 * assembles its exports from them the same way.
 */
async function undici(): Promise<UndiciApi> {
  if (undiciApi === undefined) {
    const { default: Dispatcher } = await import('undici/lib/dispatcher/dispatcher.js');
    const { default: api } = await import('undici/lib/api/index.js');
    Object.assign((Dispatcher as { prototype: object }).prototype, api);
    undiciApi = {
      Agent: (await import('undici/lib/dispatcher/agent.js')).default as UndiciApi['Agent'],
      Pool: (await import('undici/lib/dispatcher/pool.js')).default as UndiciApi['Pool'],
      buildConnector: (await import('undici/lib/core/connect.js')).default as UndiciApi['buildConnector'],
    };
  }
  return undiciApi;
}

const RETRYABLE_ERRNO = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_ERRNO = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
/** OpenSSL's verdicts on a server certificate burrow does not trust. */
const UNTRUSTED_CERT_ERRNO = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_REJECTED', 'INVALID_CA',
]);

function causeErrno(error: unknown): string | undefined {
  return errnoOf(error) ?? errnoOf((error as { cause?: unknown })?.cause);
}

/** The server wants a client certificate we did not offer (or refused the one we did). */
function clientCertRefused(errno: string | undefined, message: string): boolean {
  return /CERTIFICATE_REQUIRED|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_HANDSHAKE_FAILURE/.test(errno ?? '') || /certificate required|alert bad certificate/i.test(message);
}

/** Is this a failure of certificate trust (not a plain-HTTP server answering TLS)? */
function isCertificateProblem(error: unknown): boolean {
  const cause = error instanceof BurrowError ? error.cause : error;
  const errno = causeErrno(cause);
  return (errno !== undefined && UNTRUSTED_CERT_ERRNO.has(errno)) || clientCertRefused(errno, (cause as Error)?.message ?? '');
}

/** The server did not answer (headers) within the time-out. */
function timeoutError(url: URL, timeoutMs: number, cause: unknown): BurrowError {
  return new BurrowError('TIMEOUT', `${url.host} did not answer within ${timeoutMs / 1000} s (${url.pathname}): the registry hangs or the network is slow; retry later or raise httpTimeoutSeconds`, { cause, retryable: true });
}

/** Maps a transport failure to an error that names the host and what to check. */
function networkError(error: unknown, url: URL, timeoutMs: number): BurrowError {
  if (error instanceof BurrowError) return error;
  if ((error as Error)?.name === 'AbortError') return new BurrowError('INTERRUPTED', `interrupted while talking to ${url.host}`, { cause: error });
  const errno = causeErrno(error);
  const detail = oneLine((error as Error)?.message ?? String(error), 200);
  if (errno !== undefined && TIMEOUT_ERRNO.has(errno)) return timeoutError(url, timeoutMs, error);
  if (errno === 'ECONNREFUSED') {
    return new BurrowError('NETWORK', `cannot connect to ${url.host}: connection refused (is the registry running and is the address right?)`, { cause: error });
  }
  if (errno === 'ENOTFOUND') {
    return new BurrowError('NETWORK', `cannot resolve ${url.hostname}: check the registry name and your DNS`, { cause: error });
  }
  if (errno !== undefined && UNTRUSTED_CERT_ERRNO.has(errno)) {
    return new BurrowError('NETWORK', `the TLS certificate of ${url.host} is not trusted (${detail}): if the registry uses its own CA, put that CA's certificate in ~/.config/containers/certs.d/${url.host}/ca.crt or /etc/docker/certs.d/${url.host}/ca.crt`, { cause: error });
  }
  if (clientCertRefused(errno, detail)) {
    return new BurrowError('NETWORK', `${url.host} refused the TLS connection (${detail}): it wants a client certificate; put NAME.cert and NAME.key beside its CA in ~/.config/containers/certs.d/${url.host}/ or /etc/docker/certs.d/${url.host}/`, { cause: error });
  }
  return new BurrowError('NETWORK', `network error talking to ${url.host}: ${detail}`, { cause: error, retryable: errno === undefined || RETRYABLE_ERRNO.has(errno) });
}

/** An HTTPS attempt that met a plain-HTTP server (not a certificate burrow distrusts). */
export function isTlsMismatch(error: unknown): boolean {
  if (isCertificateProblem(error)) return false;
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const errno = errnoOf(cause) ?? '';
  const message = (cause as Error)?.message ?? '';
  return errno.startsWith('ERR_SSL') || errno === 'EPROTO' || errno === 'ECONNRESET' || /wrong version number|ssl|tls/i.test(message);
}

/** Server-chosen text in a message stays one short line: no newlines or control characters of its making. */
export function oneLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export class HttpClient {
  private agent: Agent | undefined;
  /**
   * The last TLS alert each origin's server sent. undici reports a connection the
   * server closed after its alert as "other side closed", without the alert (a TLS
   * 1.3 server that wants a client certificate fails us after the handshake).
   */
  private readonly tlsAlerts = new Map<string, Error>();

  constructor(readonly options: HttpClientOptions) {}

  private async dispatcher(): Promise<Agent> {
    if (this.agent === undefined) {
      const { Agent, Pool, buildConnector } = await undici();
      const { timeoutMs, insecureTls, tls } = this.options;
      // The registry's CAs are trusted beside the system's (as Docker does); its client
      // certificate is offered to the registry's own origin only, never to blob storage.
      const ca = tls !== undefined && tls.ca.length > 0 ? [...rootCertificates, ...tls.ca] : undefined;
      const connectFor = (origin: string): Record<string, unknown> => ({
        timeout: timeoutMs,
        rejectUnauthorized: !insecureTls,
        ...(ca === undefined ? {} : { ca }),
        ...(tls?.client !== undefined && origin === tls.origin ? { cert: tls.client.cert, key: tls.client.key } : {}),
      });
      this.agent = new Agent({
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        connections: 16,
        factory: (origin, opts) => {
          const key = new URL(String(origin)).origin;
          const connector = buildConnector(connectFor(key) as buildConnectorOptions);
          const connect: typeof connector = (connectOptions, callback) =>
            connector(connectOptions, (...args) => {
              args[1]?.on('error', (error: Error) => {
                if (/ALERT/.test(errnoOf(error) ?? '')) this.tlsAlerts.set(key, error);
              });
              callback(...args);
            });
          return new Pool(origin, { ...(opts as object), connect });
        },
      });
    }
    return this.agent;
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }

  /** Sends one request and follows redirects; Authorization never leaves its origin. */
  async send(start: URL, options: SendOptions = {}): Promise<HttpResponse> {
    const dispatcher = await this.dispatcher();
    const { timeoutMs } = this.options;
    const method = options.method ?? 'GET';
    let url = start;
    let carryAuthorization = options.authorization !== undefined && start.origin === (options.authOrigin ?? start.origin);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { 'user-agent': 'burrow/0.1', ...options.headers };
      if (carryAuthorization) headers.authorization = options.authorization!;
      // Headers must arrive whole within the time-out: undici's own timer restarts on
      // every informational (1xx) answer, which a hostile server can send forever.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), timeoutMs);
      const signal = options.signal === undefined ? deadline.signal : AbortSignal.any([options.signal, deadline.signal]);
      let response: Dispatcher.ResponseData;
      try {
        // The Agent follows no redirect (maxRedirections 0, its default): send() does, deciding where credentials go.
        response = await dispatcher.request({ origin: url.origin, path: `${url.pathname}${url.search}`, method, headers, body: options.body, signal });
      } catch (error) {
        if (errnoOf(error) === 'UND_ERR_SOCKET') {
          // The alert may come a moment after undici gave up on the socket.
          await new Promise((resolve) => setImmediate(resolve));
          const alert = this.tlsAlerts.get(url.origin);
          if (alert !== undefined) throw networkError(alert, url, timeoutMs);
        }
        if (deadline.signal.aborted && options.signal?.aborted !== true) throw timeoutError(url, timeoutMs, error);
        throw networkError(error, url, timeoutMs);
      } finally {
        clearTimeout(timer);
      }
      const location = response.headers.location;
      if (response.statusCode >= 300 && response.statusCode < 400 && typeof location === 'string') {
        await drain(response.body, timeoutMs);
        const next = redirectTarget(url, location);
        if (!sameOrigin(url, next)) {
          if (options.body !== undefined) {
            throw new BurrowError('REGISTRY', `${url.host}${url.pathname} redirected a request carrying credentials to ${next.host}: refusing to send them there`);
          }
          carryAuthorization = false;
        }
        url = next;
        continue;
      }
      return wrap(response, url, timeoutMs);
    }
    throw new BurrowError('REGISTRY', `${start.host}${start.pathname} redirected more than ${MAX_REDIRECTS} times (a redirect loop?): giving up`);
  }
}

/** Stops reading a body for good; the abort error its destruction emits has no one else to hear it. */
function abandon(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/**
 * Throws a body away: dump() reads at most 128 KiB and then closes the connection;
 * the timer ends a body that trickles in too slowly even for that.
 */
async function drain(body: Dispatcher.ResponseData['body'], timeoutMs: number): Promise<void> {
  const timer = setTimeout(() => abandon(body), timeoutMs);
  try {
    await body.dump();
  } catch {
    // The body no longer matters.
  } finally {
    clearTimeout(timer);
  }
}

/** A stream that fails when fewer than MIN_BYTES_PER_WINDOW arrive in a time-out window (unless its reader is the slow one). */
function watched(raw: Readable, url: URL, timeoutMs: number): Readable {
  let windowBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      windowBytes += chunk.length;
      callback(null, chunk);
    },
  });
  const timer = setInterval(() => {
    const readerIsSlow = meter.readableLength >= meter.readableHighWaterMark;
    if (windowBytes < MIN_BYTES_PER_WINDOW && !readerIsSlow) {
      meter.destroy(new BurrowError('TIMEOUT', `${url.host} sent only ${windowBytes} bytes of ${url.pathname} in ${timeoutMs / 1000} s: the registry stalls or the network is too slow; retry later or raise httpTimeoutSeconds`, { retryable: true }));
    }
    windowBytes = 0;
  }, timeoutMs);
  timer.unref();
  meter.once('close', () => clearInterval(timer));
  pipeline(raw, meter, () => clearInterval(timer));
  return meter;
}

function wrap(response: Dispatcher.ResponseData, url: URL, timeoutMs: number): HttpResponse {
  const headerAll = (name: string): string[] => {
    const value = response.headers[name.toLowerCase()];
    if (value === undefined) return [];
    return Array.isArray(value) ? value : [value];
  };
  const announced = headerAll('content-length')[0];
  const length = announced !== undefined && /^\d+$/.test(announced) ? Number(announced) : undefined;
  const raw = response.body;
  let stream: Readable | undefined;

  /** Reads up to `limit` bytes within the time-out; `over` says what to do with a longer body. */
  const readCapped = async (limit: number, over: () => BurrowError | undefined, what: string): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    let total = 0;
    const timer = setTimeout(() => raw.destroy(new BurrowError('TIMEOUT', `${url.host} did not send ${what} within ${timeoutMs / 1000} s (${url.pathname}): the registry stalls or the network is slow; retry later or raise httpTimeoutSeconds`, { retryable: true })), timeoutMs);
    try {
      for await (const chunk of raw) {
        const piece = chunk as Buffer;
        if (total + piece.length > limit) {
          chunks.push(piece.subarray(0, limit - total));
          total = limit;
          abandon(raw);
          const error = over();
          if (error !== undefined) throw error;
          break;
        }
        chunks.push(piece);
        total += piece.length;
      }
    } catch (error) {
      throw networkError(error, url, timeoutMs);
    } finally {
      clearTimeout(timer);
    }
    return Buffer.concat(chunks, total);
  };

  return {
    status: response.statusCode,
    url,
    header: (name) => headerAll(name)[0],
    headerAll,
    length,
    get body() {
      stream ??= watched(raw, url, timeoutMs);
      return stream;
    },
    async bytes(limit, what, code = 'REGISTRY') {
      const tooBig = (): BurrowError => new BurrowError(code, `${url.host}${url.pathname} sent ${what} of more than ${limit} bytes: refusing it`);
      // A huge announced length is refused before a byte is read.
      if (length !== undefined && length > limit) {
        abandon(raw);
        throw tooBig();
      }
      return readCapped(limit, tooBig, what);
    },
    async head(limit) {
      try {
        return await readCapped(limit, () => undefined, 'its answer');
      } catch {
        // An error body that breaks off or stalls is read no further: the status says enough.
        return Buffer.alloc(0);
      }
    },
    async discard() {
      if (stream !== undefined) {
        abandon(stream);
        return;
      }
      await drain(raw, timeoutMs);
    },
  };
}
