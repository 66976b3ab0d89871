import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, createReadStream, createWriteStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * A SIMULATION of GitHub's cache service, as @actions/cache 6 talks to it (cache
 * service v2), for tests: no runner here offers the real one.
 *
 * The service half is twirp JSON over HTTP at ACTIONS_RESULTS_URL, bearer-authenticated
 * with ACTIONS_RUNTIME_TOKEN:
 *   POST /twirp/github.actions.results.api.v1.CacheService/CreateCacheEntry          {key, version} → {ok, signed_upload_url}
 *   POST /twirp/github.actions.results.api.v1.CacheService/FinalizeCacheEntryUpload  {key, version, size_bytes} → {ok, entry_id}
 *   POST /twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL  {key, restore_keys, version} → {ok, signed_download_url, matched_key}
 * A key is matched exactly, then each restore key as a prefix, the newest entry first;
 * an entry is only found once finalized, and only with the version (a hash of the
 * paths and compression) it was made with. A second entry of the same key and version
 * is refused, as GitHub refuses it (entries are immutable).
 *
 * The storage half stands in for Azure Blob Storage behind the signed URLs. @actions/cache
 * uses the Azure SDK (@azure/storage-blob) only for hosts under .blob.core.windows.net,
 * so the signed URLs name such a host (SIM_BLOB_HOST), and the SDK reaches it through this
 * same server as its HTTP proxy (HTTP_PROXY, which the SDK honours; the twirp client
 * never proxies loopback addresses). The requests the SDK makes:
 *   upload:   Put Blob (PUT, x-ms-blob-type: BlockBlob) for an archive up to 128 MiB;
 *             larger, Put Block (PUT ?comp=block&blockid=…) per chunk, then
 *             Put Block List (PUT ?comp=blocklist, an XML list of block ids)
 *   download: Get Blob Properties (HEAD), then Get Blob with x-ms-range: bytes=a-b
 *             per 4 MiB chunk (answered 206 with Content-Range)
 * A URL's signature (HMAC over its permissions, expiry and path) is checked: a read
 * URL cannot write, and nothing but a signed URL reaches a blob.
 *
 * Blobs are files on disk (`blobFile(key)`); `damage()` truncates or flips bytes of one,
 * as a broken upload or storage would.
 */

export const SIM_BLOB_HOST = 'burrowsim.blob.core.windows.net';
const SERVICE = '/twirp/github.actions.results.api.v1.CacheService/';
const CONTAINER = 'actions-cache';

export interface SimEntry {
  id: number;
  key: string;
  version: string;
  /** Order of creation: the newest entry wins a prefix match. */
  created: number;
  finalized: boolean;
  sizeBytes?: number;
}

export interface SimRequest {
  /** 'service': a twirp call; 'blob': the storage half. */
  side: 'service' | 'blob';
  /** The twirp method, or the storage operation (PutBlob, PutBlock, PutBlockList, GetBlobProperties, GetBlob). */
  operation: string;
  status: number;
  /** The cache key the request concerns, when known. */
  key?: string | undefined;
  /** A GET's range header, as sent. */
  range?: string | undefined;
  /** A twirp call's request and answer. */
  body?: unknown;
  answer?: unknown;
}

class TwirpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export class SimulatedCacheService {
  readonly dir: string;
  readonly token = randomBytes(16).toString('hex');
  readonly entries: SimEntry[] = [];
  readonly requests: SimRequest[] = [];
  private readonly secret = randomBytes(32);
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private nextId = 1;
  private clock = 0;
  /** `http://127.0.0.1:PORT`, once started. */
  url = '';

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'burrow-sim-cache-'));
    mkdirSync(join(this.dir, 'blobs'));
    mkdirSync(join(this.dir, 'blocks'));
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String((error as Error).stack ?? error));
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * What the runner gives a JavaScript action's process for the cache, and what makes
   * @actions/cache 6 choose service v2: ACTIONS_CACHE_SERVICE_V2 set, and a
   * GITHUB_SERVER_URL that is not GitHub Enterprise Server (on GHES it falls back to v1).
   */
  env(): Record<string, string> {
    return {
      ACTIONS_CACHE_SERVICE_V2: 'True',
      ACTIONS_RESULTS_URL: `${this.url}/`,
      ACTIONS_RUNTIME_TOKEN: this.token,
      GITHUB_SERVER_URL: 'https://github.com',
      // The storage half: only the Azure SDK's requests to SIM_BLOB_HOST come this way.
      HTTP_PROXY: this.url,
      NO_PROXY: '127.0.0.1,localhost',
    };
  }

  blobFile(key: string): string {
    const entry = this.entries.find((candidate) => candidate.key === key);
    if (entry === undefined) throw new Error(`the simulated cache has no entry ${key}`);
    return join(this.dir, 'blobs', String(entry.id));
  }

  /** Damages an entry's stored archive: cut to half its size, or with bytes in its middle flipped. */
  damage(key: string, how: 'truncate' | 'corrupt'): void {
    const file = this.blobFile(key);
    const size = statSync(file).size;
    if (how === 'truncate') {
      truncateSync(file, Math.floor(size / 2));
      return;
    }
    const bytes = readFileSync(file);
    for (let at = Math.floor(size / 3); at < Math.floor(size / 3) + 64 && at < size; at++) bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(file, bytes);
  }

  /** The finalized entries' keys, oldest first. */
  keys(): string[] {
    return this.entries.filter((entry) => entry.finalized).sort((a, b) => a.created - b.created).map((entry) => entry.key);
  }

  private sign(permissions: string, expiry: number, path: string): string {
    return createHmac('sha256', this.secret).update(`${permissions}\n${expiry}\n${path}`).digest('hex');
  }

  private signedUrl(entry: SimEntry, permissions: 'r' | 'cw'): string {
    const path = `/${CONTAINER}/${entry.id}`;
    const expiry = Date.now() + 10 * 60_000;
    return `http://${SIM_BLOB_HOST}${path}?sp=${permissions}&se=${expiry}&sig=${this.sign(permissions, expiry, path)}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.url ?? '/';
    // A proxied request names its host in the request line (absolute form).
    if (/^https?:\/\//.test(target)) {
      const url = new URL(target);
      if (url.hostname !== SIM_BLOB_HOST) {
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`the simulated cache service proxies only ${SIM_BLOB_HOST}, not ${url.hostname}`);
        return;
      }
      await this.storage(request, response, url);
      return;
    }
    if (request.method === 'POST' && target.startsWith(SERVICE)) {
      await this.twirp(request, response, target.slice(SERVICE.length));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
  }

  // ---- the service half: twirp JSON ----

  private async twirp(request: IncomingMessage, response: ServerResponse, method: string): Promise<void> {
    const raw = await readBody(request);
    let status = 200;
    let answer: unknown;
    let body: Record<string, unknown> = {};
    try {
      if (request.headers.authorization !== `Bearer ${this.token}`) throw new TwirpError(401, 'unauthenticated', 'the runtime token is missing or wrong');
      if (!String(request.headers['content-type']).startsWith('application/json')) throw new TwirpError(415, 'malformed', 'only the JSON encoding is simulated');
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      answer = this.call(method, body);
    } catch (error) {
      if (!(error instanceof TwirpError)) throw error;
      status = error.status;
      answer = { code: error.code, msg: error.message };
    }
    this.requests.push({ side: 'service', operation: method, status, key: typeof body.key === 'string' ? body.key : undefined, body, answer });
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer));
  }

  private call(method: string, body: Record<string, unknown>): unknown {
    const key = String(body.key ?? '');
    const version = String(body.version ?? '');
    if (key === '' || version === '') throw new TwirpError(400, 'invalid_argument', 'key and version are required');
    switch (method) {
      case 'CreateCacheEntry': {
        if (this.entries.some((entry) => entry.key === key && entry.version === version)) {
          throw new TwirpError(409, 'already_exists', 'cache entry with the same key, version, and scope already exists');
        }
        const entry: SimEntry = { id: this.nextId++, key, version, created: ++this.clock, finalized: false };
        this.entries.push(entry);
        return { ok: true, signed_upload_url: this.signedUrl(entry, 'cw') };
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = this.entries.find((candidate) => candidate.key === key && candidate.version === version && !candidate.finalized);
        if (entry === undefined) throw new TwirpError(404, 'not_found', `no cache entry ${key} is being uploaded`);
        const file = join(this.dir, 'blobs', String(entry.id));
        const size = existsSync(file) ? statSync(file).size : -1;
        if (String(size) !== String(body.size_bytes)) return { ok: false, message: `the uploaded blob has ${size} bytes, not ${String(body.size_bytes)}` };
        entry.finalized = true;
        entry.sizeBytes = size;
        return { ok: true, entry_id: String(entry.id) };
      }
      case 'GetCacheEntryDownloadURL': {
        const found = this.lookup(key, Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : [], version);
        if (found === undefined) return { ok: false };
        return { ok: true, signed_download_url: this.signedUrl(found, 'r'), matched_key: found.key };
      }
      default:
        throw new TwirpError(404, 'bad_route', `no such method ${method}`);
    }
  }

  /** GitHub's matching: the key exactly, then each restore key as a prefix, the newest entry first. */
  private lookup(key: string, restoreKeys: string[], version: string): SimEntry | undefined {
    const usable = this.entries.filter((entry) => entry.finalized && entry.version === version).sort((a, b) => b.created - a.created);
    const exact = usable.find((entry) => entry.key === key);
    if (exact !== undefined) return exact;
    for (const prefix of restoreKeys) {
      const match = usable.find((entry) => entry.key.startsWith(prefix));
      if (match !== undefined) return match;
    }
    return undefined;
  }

  // ---- the storage half: Azure Blob Storage's block blob operations ----

  private async storage(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    const comp = url.searchParams.get('comp');
    const operation = method === 'PUT'
      ? comp === 'block' ? 'PutBlock' : comp === 'blocklist' ? 'PutBlockList' : 'PutBlob'
      : method === 'HEAD' ? 'GetBlobProperties' : method === 'GET' ? 'GetBlob' : method;
    const range = request.headers['x-ms-range'] ?? request.headers.range;
    const record = (status: number, entry?: SimEntry): void => {
      this.requests.push({ side: 'blob', operation, status, key: entry?.key, range: Array.isArray(range) ? range.join(',') : range });
    };
    const fail = async (status: number, code: string, message: string, entry?: SimEntry): Promise<void> => {
      await readBody(request);
      record(status, entry);
      response.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code });
      response.end(method === 'HEAD' ? undefined : `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
    };

    const match = new RegExp(`^/${CONTAINER}/(\\d+)$`).exec(url.pathname);
    const entry = match === null ? undefined : this.entries.find((candidate) => candidate.id === Number(match[1]));
    const permissions = url.searchParams.get('sp') ?? '';
    const expiry = Number(url.searchParams.get('se'));
    const signature = Buffer.from(url.searchParams.get('sig') ?? '');
    const expected = Buffer.from(this.sign(permissions, expiry, url.pathname));
    if (entry === undefined || signature.length !== expected.length || !timingSafeEqual(signature, expected) || !(expiry > Date.now())) {
      await fail(403, 'AuthenticationFailed', 'the signature does not match, or has expired', entry);
      return;
    }
    const file = join(this.dir, 'blobs', String(entry.id));
    const headers = { 'x-ms-request-id': randomBytes(8).toString('hex'), 'x-ms-version': String(request.headers['x-ms-version'] ?? '2025-01-05'), date: new Date().toUTCString() };

    if (method === 'PUT') {
      if (!permissions.includes('w')) {
        await fail(403, 'AuthorizationPermissionMismatch', 'this URL may only read', entry);
        return;
      }
      if (entry.finalized) {
        await fail(409, 'BlobImmutable', 'the entry is finalized', entry);
        return;
      }
      const blocks = join(this.dir, 'blocks', String(entry.id));
      if (operation === 'PutBlob') {
        if (request.headers['x-ms-blob-type'] !== 'BlockBlob') {
          await fail(400, 'InvalidHeaderValue', 'x-ms-blob-type must be BlockBlob', entry);
          return;
        }
        await pipeline(request, createWriteStream(file));
      } else if (operation === 'PutBlock') {
        const id = url.searchParams.get('blockid');
        if (id === null || id === '') {
          await fail(400, 'InvalidQueryParameterValue', 'blockid is required', entry);
          return;
        }
        mkdirSync(blocks, { recursive: true });
        await pipeline(request, createWriteStream(join(blocks, Buffer.from(id, 'base64').toString('hex'))));
      } else {
        const list = (await readBody(request)).toString('utf8');
        const ids = [...list.matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map((found) => Buffer.from(found[2]!, 'base64').toString('hex'));
        if (ids.length === 0 || ids.some((id) => !existsSync(join(blocks, id)))) {
          await fail(400, 'InvalidBlockList', 'the list names a block never put', entry);
          return;
        }
        writeFileSync(file, '');
        for (const id of ids) appendFileSync(file, readFileSync(join(blocks, id)));
        rmSync(blocks, { recursive: true, force: true });
      }
      record(201, entry);
      response.writeHead(201, { ...headers, etag: `"0x${entry.id}${this.clock}"`, 'last-modified': new Date().toUTCString(), 'x-ms-request-server-encrypted': 'true', 'content-length': '0' });
      response.end();
      return;
    }

    if (method !== 'GET' && method !== 'HEAD') {
      await fail(405, 'UnsupportedHttpVerb', `${method} is not simulated`, entry);
      return;
    }
    if (!permissions.includes('r')) {
      await fail(403, 'AuthorizationPermissionMismatch', 'this URL may not read', entry);
      return;
    }
    if (!entry.finalized || !existsSync(file)) {
      await fail(404, 'BlobNotFound', 'no such blob', entry);
      return;
    }
    const size = statSync(file).size;
    const blobHeaders = { ...headers, etag: `"0x${entry.id}"`, 'last-modified': new Date().toUTCString(), 'x-ms-blob-type': 'BlockBlob', 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    if (method === 'HEAD') {
      record(200, entry);
      response.writeHead(200, { ...blobHeaders, 'content-length': String(size) });
      response.end();
      return;
    }
    const wanted = /^bytes=(\d+)-(\d*)$/.exec(String(range ?? ''));
    if (range !== undefined && wanted === null) {
      await fail(400, 'InvalidRange', `range ${String(range)} is not simulated`, entry);
      return;
    }
    if (wanted === null) {
      record(200, entry);
      response.writeHead(200, { ...blobHeaders, 'content-length': String(size) });
      await pipeline(createReadStream(file), response);
      return;
    }
    const start = Number(wanted[1]);
    const end = Math.min(wanted[2] === '' ? size - 1 : Number(wanted[2]), size - 1);
    if (start >= size || end < start) {
      response.setHeader('content-range', `bytes */${size}`);
      await fail(416, 'InvalidRange', 'the range is not satisfiable', entry);
      return;
    }
    record(206, entry);
    response.writeHead(206, { ...blobHeaders, 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${size}` });
    await pipeline(createReadStream(file, { start, end }), response);
  }
}
