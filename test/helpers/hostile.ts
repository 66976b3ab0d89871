import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultAction } from './fault-proxy.js';

/**
 * What a hostile registry answers, as FaultProxy actions: bodies that never end,
 * trickle a byte at a time, or announce more than they are. Each stops when the
 * client hangs up, so a test leaves nothing running.
 */

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** Writes `chunk` as fast as the client reads, forever (until it hangs up). */
function flood(res: ServerResponse): void {
  const pump = (): void => {
    while (!res.destroyed && res.write(CHUNK));
    if (!res.destroyed) res.once('drain', pump);
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}

/** A 200 whose body never ends (chunked, no Content-Length). */
export function endless(headers: Record<string, string> = {}, status = 200): FaultAction {
  return {
    kind: 'respond',
    handler: (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(status, { 'content-type': 'application/octet-stream', ...headers });
      flood(res);
    },
  };
}

/** A 200 announcing `length` bytes (say a terabyte), then sending as fast as the client reads. */
export function hugeLength(length: number, headers: Record<string, string> = {}): FaultAction {
  return {
    kind: 'respond',
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', ...headers, 'content-length': String(length) });
      flood(res);
    },
  };
}

/** Slow-loris body: headers at once, then one byte every `everyMs`, forever. */
export function trickleBody(everyMs: number, headers: Record<string, string> = {}, length?: number): FaultAction {
  return {
    kind: 'respond',
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', ...headers, ...(length === undefined ? {} : { 'content-length': String(length) }) });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('a')), everyMs);
      res.on('close', () => clearInterval(timer));
    },
  };
}

/** Slow-loris headers: the status line, then one header byte every `everyMs`, never a blank line. */
export function trickleHeaders(everyMs: number): FaultAction {
  return {
    kind: 'respond',
    handler: (_req, res) => {
      const socket = res.socket!;
      socket.write('HTTP/1.1 200 OK\r\nX-Slow: ');
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('a')), everyMs);
      socket.on('close', () => clearInterval(timer));
    },
  };
}

/** Endless informational answers (103 Early Hints), which restart an idle timer each time. */
export function endlessInformational(everyMs: number): FaultAction {
  return {
    kind: 'respond',
    handler: (_req, res) => {
      const socket = res.socket!;
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n')), everyMs);
      socket.on('close', () => clearInterval(timer));
    },
  };
}

/** A fixed answer. */
export function answer(status: number, body: string | Buffer, headers: Record<string, string> = {}): FaultAction {
  return {
    kind: 'respond',
    handler: (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    },
  };
}
