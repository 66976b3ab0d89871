import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import { BurrowError, errnoOf } from '../errors.js';

/**
 * One HTTP exchange with a registry or a token server. undici is loaded lazily:
 * commands that never touch the network do not pay for it.
 */
export interface HttpResponse {
  status: number;
  url: URL;
  header(name: string): string | undefined;
  headerAll(name: string): string[];
  body: Readable;
  text(): Promise<string>;
  bytes(limit: number): Promise<Buffer>;
  discard(): Promise<void>;
}

export interface HttpClientOptions {
  timeoutMs: number;
  /** Skip TLS verification (insecure registries only). */
  insecureTls: boolean;
}

export interface SendOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Authorization sent only while the request stays on `authHost`. */
  authorization?: string | undefined;
  authHost?: string | undefined;
}

const MAX_REDIRECTS = 5;
interface UndiciApi {
  request: typeof import('undici').request;
  Agent: typeof import('undici').Agent;
}
let undiciApi: UndiciApi | undefined;

async function undici(): Promise<UndiciApi> {
  if (undiciApi === undefined) {
    // require, not import(): the CLI bundle is a script compiled with a code cache, where import() has no loader.
    const loaded = createRequire(import.meta.url)('undici') as typeof import('undici');
    undiciApi = { request: loaded.request, Agent: loaded.Agent };
  }
  return undiciApi;
}

const RETRYABLE_ERRNO = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_ERRNO = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** Maps a transport failure to an error that names the host and what to check. */
export function networkError(error: unknown, url: URL, timeoutMs: number): BurrowError {
  if (error instanceof BurrowError) return error;
  if ((error as Error)?.name === 'AbortError') return new BurrowError('INTERRUPTED', `interrupted while talking to ${url.host}`, { cause: error });
  const errno = errnoOf(error) ?? errnoOf((error as { cause?: unknown })?.cause);
  if (errno !== undefined && TIMEOUT_ERRNO.has(errno)) {
    return new BurrowError('TIMEOUT', `${url.host} did not answer within ${timeoutMs / 1000} s (${url.pathname}): the registry hangs or the network is slow; retry later or raise httpTimeoutSeconds`, { cause: error, retryable: true });
  }
  if (errno === 'ECONNREFUSED') {
    return new BurrowError('NETWORK', `cannot connect to ${url.host}: connection refused (is the registry running and is the address right?)`, { cause: error });
  }
  if (errno === 'ENOTFOUND') {
    return new BurrowError('NETWORK', `cannot resolve ${url.hostname}: check the registry name and your DNS`, { cause: error });
  }
  const detail = (error as Error)?.message ?? String(error);
  return new BurrowError('NETWORK', `network error talking to ${url.host}: ${detail}`, { cause: error, retryable: errno === undefined || RETRYABLE_ERRNO.has(errno) });
}

export function isTlsMismatch(error: unknown): boolean {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const errno = errnoOf(cause) ?? '';
  const message = (cause as Error)?.message ?? '';
  return errno.startsWith('ERR_SSL') || errno === 'EPROTO' || errno === 'ECONNRESET' || /wrong version number|ssl|tls/i.test(message);
}

export class HttpClient {
  private agent: Agent | undefined;

  constructor(readonly options: HttpClientOptions) {}

  private async dispatcher(): Promise<Agent> {
    if (this.agent === undefined) {
      const { Agent } = await undici();
      this.agent = new Agent({
        connect: { timeout: this.options.timeoutMs, rejectUnauthorized: !this.options.insecureTls },
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        connections: 16,
      });
    }
    return this.agent;
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }

  /** Sends one request and follows redirects; Authorization never leaves `authHost`. */
  async send(start: URL, options: SendOptions = {}): Promise<HttpResponse> {
    const { request } = await undici();
    const dispatcher = await this.dispatcher();
    let url = start;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { 'user-agent': 'burrow/0.1', ...options.headers };
      if (options.authorization !== undefined && (options.authHost === undefined || options.authHost === url.host)) {
        headers.authorization = options.authorization;
      }
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, { method: options.method ?? 'GET', headers, dispatcher, signal: options.signal, maxRedirections: 0 });
      } catch (error) {
        throw networkError(error, url, this.options.timeoutMs);
      }
      const location = response.headers.location;
      if (response.statusCode >= 300 && response.statusCode < 400 && typeof location === 'string') {
        await response.body.dump();
        url = new URL(location, url);
        continue;
      }
      return wrap(response, url, this.options.timeoutMs);
    }
    throw new BurrowError('NETWORK', `too many redirects from ${start.host}${start.pathname}`);
  }
}

function wrap(response: Dispatcher.ResponseData, url: URL, timeoutMs: number): HttpResponse {
  const headerAll = (name: string): string[] => {
    const value = response.headers[name.toLowerCase()];
    if (value === undefined) return [];
    return Array.isArray(value) ? value : [value];
  };
  return {
    status: response.statusCode,
    url,
    header: (name) => headerAll(name)[0],
    headerAll,
    body: response.body,
    async text() {
      try {
        return await response.body.text();
      } catch (error) {
        throw networkError(error, url, timeoutMs);
      }
    },
    async bytes(limit: number) {
      const chunks: Buffer[] = [];
      let total = 0;
      try {
        for await (const chunk of response.body) {
          total += (chunk as Buffer).length;
          if (total > limit) {
            response.body.destroy();
            throw new BurrowError('INVALID_MANIFEST', `${url.host}${url.pathname} sent more than ${limit} bytes: refusing it`);
          }
          chunks.push(chunk as Buffer);
        }
      } catch (error) {
        throw networkError(error, url, timeoutMs);
      }
      return Buffer.concat(chunks);
    },
    async discard() {
      try {
        await response.body.dump();
      } catch {
        // The body no longer matters.
      }
    },
  };
}
