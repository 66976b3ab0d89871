import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type ServerOptions as TlsServerOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Transform } from 'node:stream';

/**
 * A fault injector in front of a real registry (not a fake registry): requests go
 * to the real docker-registry unless a rule says to hang, fail, cut or slow the
 * answer. Each test names the faults it injects.
 */
export type FaultAction =
  | { kind: 'hang' }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'truncate'; afterBytes: number }
  | { kind: 'throttle'; bytesPerSecond: number }
  | { kind: 'redirect'; location: string }
  /** Anything else a hostile server does (endless, trickled or lying answers): the handler owns the response. */
  | { kind: 'respond'; handler: (request: IncomingMessage, response: ServerResponse) => void }
  | { kind: 'pass' };

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** When the proxy received it (Date.now()): what a client waited between two requests, seen from the server. */
  receivedAt: number;
}

export type FaultRule = (request: SeenRequest, count: number) => FaultAction | undefined;

export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  private rule: FaultRule = () => undefined;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;

  /** `tls`: serve HTTPS (a throw-away certificate made by the test), e.g. to test certs.d trust. */
  constructor(private readonly upstream: string, private readonly bind = '127.0.0.1', private readonly tls?: TlsServerOptions) {}

  /** `host:port` to use in image references. */
  address = '';

  async start(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    this.server = this.tls === undefined ? createServer(handler) : createTlsServer(this.tls, handler);
    this.server.on(this.tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, this.bind, resolve));
    this.address = `${this.bind}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  setRule(rule: FaultRule): void {
    this.rule = rule;
  }

  count(predicate: (request: SeenRequest) => boolean): number {
    return this.seen.filter(predicate).length;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const seen: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, receivedAt: Date.now() };
    this.seen.push(seen);
    const sameSoFar = this.seen.filter((other) => other.method === seen.method && other.path === seen.path).length;
    const action = this.rule(seen, sameSoFar) ?? { kind: 'pass' };
    if (action.kind === 'hang') return;
    if (action.kind === 'respond') {
      action.handler(req, res);
      return;
    }
    if (action.kind === 'status') {
      res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
      res.end(action.body ?? '');
      return;
    }
    if (action.kind === 'redirect') {
      res.writeHead(307, { location: action.location });
      res.end();
      return;
    }
    const upstream = httpRequest(
      `http://${this.upstream}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: this.upstream } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (action.kind === 'truncate') {
          let sent = 0;
          answer.on('data', (chunk: Buffer) => {
            const room = action.afterBytes - sent;
            if (room <= 0) return;
            res.write(chunk.subarray(0, room));
            sent += Math.min(room, chunk.length);
            if (sent >= action.afterBytes) {
              // Cut the connection mid-body, as a broken network does.
              setTimeout(() => res.socket?.destroy(), 20);
            }
          });
          return;
        }
        if (action.kind === 'throttle') {
          answer.pipe(throttle(action.bytesPerSecond)).pipe(res);
          return;
        }
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}

function throttle(bytesPerSecond: number): Transform {
  const slice = Math.max(1, Math.floor(bytesPerSecond / 20));
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const pieces: Buffer[] = [];
      for (let at = 0; at < chunk.length; at += slice) pieces.push(chunk.subarray(at, at + slice));
      const push = (): void => {
        const piece = pieces.shift();
        if (piece === undefined) {
          callback();
          return;
        }
        this.push(piece);
        setTimeout(push, 50);
      };
      push();
    },
  });
}

export const isBlobGet = (request: SeenRequest): boolean => request.method === 'GET' && request.path.includes('/blobs/');
export const isManifestGet = (request: SeenRequest): boolean => request.method === 'GET' && request.path.includes('/manifests/');
export const isManifestHead = (request: SeenRequest): boolean => request.method === 'HEAD' && request.path.includes('/manifests/');
