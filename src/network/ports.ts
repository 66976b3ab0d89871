import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, isIPv6, type Server } from 'node:net';
import { BurrowError, errnoOf } from '../errors.js';
import type { PortMapping, PublishedPort } from './types.js';

/**
 * Published ports: parsing -p, choosing and checking host ports at each start,
 * the helpers' spellings, and Docker's ways of showing them (port, ps, inspect).
 */

export type Protocol = 'tcp' | 'udp';

/** A port the image (or --expose) declares: what -P publishes. */
export interface ExposedPort {
  port: number;
  protocol: Protocol;
}

const PUBLISH_FORM = 'use [hostIP:][hostPort:]containerPort[/tcp|udp], e.g. 8080:80, 127.0.0.1:8080:80/udp, [::1]:8080:80, 8000-8010:80-90 or 8000-8010:80';

function badPublish(spec: string, problem: string): BurrowError {
  return new BurrowError('INVALID_ARGUMENT', `invalid -p "${spec}": ${problem}: ${PUBLISH_FORM}`);
}

/** `N` or `N-M` (1..65535; 0 allowed for a host port: "a free one"), or undefined when the text is not that. */
function portRange(text: string, allowZero: boolean): { start: number; end: number } | undefined {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (match === null) return undefined;
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  const lowest = allowZero && match[2] === undefined ? 0 : 1;
  if (start < lowest || end > 65535 || end < start) return undefined;
  return { start, end };
}

function parseProtocol(text: string | undefined, spec: string, form: (spec: string, problem: string) => BurrowError): Protocol {
  if (text === undefined || text === '') return 'tcp';
  const protocol = text.toLowerCase();
  if (protocol === 'tcp' || protocol === 'udp') return protocol;
  throw form(spec, `unsupported protocol "${text}" (tcp or udp; sctp is not supported by pasta or slirp4netns)`);
}

/**
 * Splits `[hostIP:][hostPort:]containerPort` into its parts (hostIP may be
 * `[IPv6]`), as Docker's nat.ParsePortSpec reads it.
 */
function splitPublish(body: string, spec: string): { hostIp: string; hostPort: string; containerPort: string } {
  let hostIp = '';
  let rest = body;
  if (body.startsWith('[')) {
    const close = body.indexOf(']');
    if (close < 0 || body[close + 1] !== ':') throw badPublish(spec, 'an IPv6 host address in [ ] must be followed by ":"');
    hostIp = body.slice(1, close);
    if (!isIPv6(hostIp)) throw badPublish(spec, `"${hostIp}" is not an IPv6 address`);
    rest = body.slice(close + 2);
    const parts = rest.split(':');
    if (parts.length !== 2) throw badPublish(spec, 'an address needs hostPort:containerPort after it (hostPort may be empty)');
    return { hostIp, hostPort: parts[0]!, containerPort: parts[1]! };
  }
  const parts = rest.split(':');
  if (parts.length === 1) return { hostIp: '', hostPort: '', containerPort: parts[0]! };
  if (parts.length === 2) return { hostIp: '', hostPort: parts[0]!, containerPort: parts[1]! };
  if (parts.length === 3) {
    hostIp = parts[0]!;
    if (isIP(hostIp) !== 4) throw badPublish(spec, `"${hostIp}" is not an IPv4 address (write an IPv6 one in [ ])`);
    return { hostIp, hostPort: parts[1]!, containerPort: parts[2]! };
  }
  throw badPublish(spec, 'too many ":" (write an IPv6 host address in [ ])');
}

/** `-p [hostIP:][hostPort:]containerPort[-end][/tcp|udp]` → one mapping per port. */
export function parsePublish(spec: string): PortMapping[] {
  const slash = spec.lastIndexOf('/');
  const body = slash < 0 ? spec : spec.slice(0, slash);
  const protocol = parseProtocol(slash < 0 ? undefined : spec.slice(slash + 1), spec, badPublish);
  const parts = splitPublish(body, spec);
  if (parts.containerPort === '') throw badPublish(spec, 'no container port');
  const container = portRange(parts.containerPort, false);
  if (container === undefined) throw badPublish(spec, `"${parts.containerPort}" is not a container port or range (1-65535)`);
  const count = container.end - container.start + 1;
  let host: { start: number; end: number } | undefined = { start: 0, end: 0 };
  if (parts.hostPort !== '') {
    host = portRange(parts.hostPort, true);
    if (host === undefined) throw badPublish(spec, `"${parts.hostPort}" is not a host port or range (1-65535, or 0 for a free one)`);
    // Docker's 8000-8010:80: one container port on the first free host port of a range.
    if (count === 1 && host.end > host.start) return [{ hostIp: parts.hostIp, hostPort: host.start, hostPortEnd: host.end, containerPort: container.start, protocol }];
    if (host.end - host.start + 1 !== count) {
      throw badPublish(spec, `the host range ${parts.hostPort} and the container range ${parts.containerPort} differ in length`);
    }
  }
  const fixedHost = parts.hostPort !== '' && host.start !== 0;
  return Array.from({ length: count }, (_, index) => ({
    hostIp: parts.hostIp,
    hostPort: fixedHost ? host.start + index : 0,
    containerPort: container.start + index,
    protocol,
  }));
}

/** `--expose PORT[-END][/tcp|udp]`, and the image's ExposedPorts keys (`80/tcp`). */
export function parseExpose(spec: string): ExposedPort[] {
  const form = (text: string, problem: string): BurrowError => new BurrowError('INVALID_ARGUMENT', `invalid --expose "${text}": ${problem}: use PORT[-END][/tcp|udp], e.g. 80 or 8000-8010/udp`);
  const slash = spec.lastIndexOf('/');
  const protocol = parseProtocol(slash < 0 ? undefined : spec.slice(slash + 1), spec, form);
  const range = portRange(slash < 0 ? spec : spec.slice(0, slash), false);
  if (range === undefined) throw form(spec, 'not a port or range (1-65535)');
  return Array.from({ length: range.end - range.start + 1 }, (_, index) => ({ port: range.start + index, protocol }));
}

/** Each port once, in the order first seen. */
export function uniqueExposed(ports: ExposedPort[]): ExposedPort[] {
  const seen = new Set<string>();
  return ports.filter((port) => {
    const key = `${port.port}/${port.protocol}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The address a host port is bound to: '' is every IPv4 address, as Docker shows it. */
export function shownHostIp(hostIp: string): string {
  return hostIp === '' ? '0.0.0.0' : hostIp;
}

type Held = Server | UdpSocket;

function release(held: Held[]): Promise<void> {
  return Promise.all(held.map((socket) => new Promise<void>((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  }))).then(() => undefined);
}

/** Binds the host port as the helper will (0: the kernel picks a free one) and holds it; resolves to the port bound. */
function hold(protocol: Protocol, hostIp: string, port: number, held: Held[]): Promise<number> {
  const address = shownHostIp(hostIp);
  return new Promise((resolve, reject) => {
    if (protocol === 'tcp') {
      const server = createServer();
      server.once('error', reject);
      // exclusive: no sharing with a cluster master; listening is what pasta does with the port.
      server.listen({ host: address, port, exclusive: true }, () => {
        held.push(server);
        const bound = server.address();
        resolve(typeof bound === 'object' && bound !== null ? bound.port : port);
      });
      return;
    }
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => {
      held.push(socket);
      resolve(socket.address().port);
    });
  });
}

function portError(error: unknown, protocol: Protocol, hostIp: string, port: number, containerPort: number): BurrowError {
  const where = `port ${port === 0 ? '(any)' : port}/${protocol} on ${shownHostIp(hostIp)}`;
  const errno = errnoOf(error);
  if (errno === 'EADDRINUSE') {
    return new BurrowError('IN_USE', `${where} is already in use: stop what holds it, choose another host port, or publish the container port alone (-p ${containerPort}/${protocol}) for a free one`);
  }
  if (errno === 'EADDRNOTAVAIL') return new BurrowError('INVALID_ARGUMENT', `${where} cannot be published: ${shownHostIp(hostIp)} is not an address of this host (see ip addr)`);
  if (errno === 'EACCES') return new BurrowError('DENIED', `${where} cannot be published: ports below 1024 need privileges (net.ipv4.ip_unprivileged_port_start), choose one above`);
  return new BurrowError('IO', `${where} cannot be published: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/**
 * `-P`/-p as asked → the host ports of this start. Every host port is bound here
 * (a free one chosen by the kernel for hostPort 0, as Docker does) and all are held
 * together, so two of them are never the same, then released just before the helper
 * binds them: a port taken is one line before the container exists, never a helper
 * that fails half-way. (Between the release and the helper's bind another process
 * could take it; the helper then fails the start, which the agent reports.)
 */
export async function resolvePorts(asked: PortMapping[], exposed: ExposedPort[], publishAll: boolean): Promise<PublishedPort[]> {
  const explicit = new Set(asked.map((port) => `${port.containerPort}/${port.protocol}`));
  // -P: each exposed port not published by -p, on a free port of every address (Docker's rule).
  const all: PortMapping[] = [
    ...asked,
    ...(publishAll ? uniqueExposed(exposed).filter((port) => !explicit.has(`${port.port}/${port.protocol}`)).map((port) => ({ hostIp: '', hostPort: 0, containerPort: port.port, protocol: port.protocol })) : []),
  ];
  if (all.length === 0) return [];
  const twice = new Map<string, PortMapping>();
  for (const port of all) {
    if (port.hostPort === 0 || port.hostPortEnd !== undefined) continue;
    const key = `${port.hostPort}/${port.protocol}`;
    const other = twice.get(key);
    if (other !== undefined && (other.hostIp === port.hostIp || other.hostIp === '' || port.hostIp === '')) {
      throw new BurrowError('INVALID_ARGUMENT', `host port ${port.hostPort}/${port.protocol} is published twice (for container ports ${other.containerPort} and ${port.containerPort}): give each its own host port`);
    }
    twice.set(key, port);
  }
  const held: Held[] = [];
  const published: PublishedPort[] = [];
  try {
    // Fixed ports first, then ranges, so that a port the kernel or a range picks is never one asked for by number.
    const fixed = (port: PortMapping): boolean => port.hostPort !== 0 && port.hostPortEnd === undefined;
    const order = [...all.filter(fixed), ...all.filter((port) => port.hostPortEnd !== undefined), ...all.filter((port) => port.hostPort === 0)];
    for (const { hostPortEnd, ...port } of order) {
      if (hostPortEnd !== undefined) {
        published.push({ ...port, hostPort: await holdInRange(port, hostPortEnd, held) });
        continue;
      }
      try {
        published.push({ ...port, hostPort: await hold(port.protocol, port.hostIp, port.hostPort, held) });
      } catch (error) {
        throw portError(error, port.protocol, port.hostIp, port.hostPort, port.containerPort);
      }
    }
  } finally {
    await release(held);
  }
  return sortPorts(published);
}

/** The first host port from port.hostPort to `end` that can be bound (Docker's `-p 8000-8010:80`), held. */
async function holdInRange(port: PortMapping, end: number, held: Held[]): Promise<number> {
  for (let candidate = port.hostPort; candidate <= end; candidate++) {
    try {
      return await hold(port.protocol, port.hostIp, candidate, held);
    } catch (error) {
      if (errnoOf(error) !== 'EADDRINUSE') throw portError(error, port.protocol, port.hostIp, candidate, port.containerPort);
    }
  }
  throw new BurrowError('IN_USE', `no port of ${port.hostPort}-${end}/${port.protocol} on ${shownHostIp(port.hostIp)} is free: stop what holds them, choose another range, or publish the container port alone (-p ${port.containerPort}/${port.protocol}) for any free one`);
}

/** By protocol, container port, then host address: the order port, ps and inspect show them in. */
export function sortPorts<T extends PublishedPort>(ports: T[]): T[] {
  return [...ports].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.containerPort - b.containerPort || a.hostIp.localeCompare(b.hostIp) || a.hostPort - b.hostPort);
}

/**
 * Runs of ports that go up together (host and container port both +1, same
 * address and protocol): 8000-8010:80-90 stays one entry for pasta and ps.
 */
function runs(ports: PublishedPort[]): PublishedPort[][] {
  const sorted = [...ports].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.hostIp.localeCompare(b.hostIp) || a.containerPort - b.containerPort);
  const groups: PublishedPort[][] = [];
  for (const port of sorted) {
    const group = groups.at(-1);
    const last = group?.at(-1);
    if (group !== undefined && last !== undefined && last.protocol === port.protocol && last.hostIp === port.hostIp && port.containerPort === last.containerPort + 1 && port.hostPort === last.hostPort + 1) group.push(port);
    else groups.push([port]);
  }
  return groups;
}

function span(first: number, last: number): string {
  return first === last ? String(first) : `${first}-${last}`;
}

/**
 * pasta's `-t`/`-u` arguments for these ports: `-t [ADDR/]HOST[-END]:CONTAINER[-END]`
 * (no ADDR: every address, IPv4 and IPv6, as Docker's default), `-t none`/`-u none`
 * when there are none of a protocol (pasta's default, `auto`, would forward every
 * port the job binds). Checked against Debian's pasta 2023-03-09.
 */
export function pastaPortArgs(ports: PublishedPort[]): string[] {
  const args: string[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const flag = protocol === 'tcp' ? '-t' : '-u';
    const groups = runs(ports.filter((port) => port.protocol === protocol));
    if (groups.length === 0) args.push(flag, 'none');
    for (const group of groups) {
      const first = group[0]!;
      const last = group.at(-1)!;
      args.push(flag, `${first.hostIp === '' ? '' : `${first.hostIp}/`}${span(first.hostPort, last.hostPort)}:${span(first.containerPort, last.containerPort)}`);
    }
  }
  return args;
}

/**
 * burrow-net's `--slirp-hostfwd PROTO:HOSTIP:HOSTPORT:GUESTPORT` values for
 * slirp4netns (HOSTIP empty: 0.0.0.0). slirp4netns's add_hostfwd takes IPv4 host
 * addresses only (its API reads host_addr as an in_addr): an IPv6 one is refused
 * here, before the start, rather than by the agent half-way.
 */
export function slirpHostfwdArgs(ports: PublishedPort[]): string[] {
  const v6 = ports.find((port) => isIPv6(port.hostIp));
  if (v6 !== undefined) {
    throw new BurrowError('INVALID_ARGUMENT', `port ${v6.containerPort}/${v6.protocol} cannot be published on ${v6.hostIp} with slirp4netns (it publishes on IPv4 addresses only): use an IPv4 host address, or --network pasta`);
  }
  return ports.flatMap((port) => ['--slirp-hostfwd', `${port.protocol}:${port.hostIp}:${port.hostPort}:${port.containerPort}`]);
}

const isLoopback = (hostIp: string): boolean => hostIp.startsWith('127.') || hostIp === '::1';

/**
 * One line naming the published UDP ports that Debian 12's helpers will not
 * answer through, or undefined (measured with the helpers alone: unshare plus
 * pasta or slirp4netns, no burrow): pasta 2023-03-09 drops the replies of a UDP
 * port published on another number to a client on the host's loopback, and,
 * with --no-map-gw (burrow's default, which keeps the host's loopback out of
 * reach), every reply to a client on another address; slirp4netns with
 * --disable-host-loopback (same reason) drops the replies to a client on the
 * host's loopback. `hostGateway`: host-gateway was asked for (neither option given).
 */
export function udpPortNote(helper: 'pasta' | 'slirp4netns', ports: PublishedPort[], hostGateway: boolean): string | undefined {
  const udp = ports.filter((port) => port.protocol === 'udp');
  const shown = (list: PublishedPort[]): string => list.map((port) => `${hostAddress(port)}->${port.containerPort}/udp`).join(', ');
  if (helper === 'pasta') {
    const renumbered = udp.filter((port) => port.hostPort !== port.containerPort && (port.hostIp === '' || isLoopback(port.hostIp)));
    const offLoopback = hostGateway ? [] : udp.filter((port) => !isLoopback(port.hostIp));
    if (renumbered.length === 0 && offLoopback.length === 0) return undefined;
    const why = [
      ...(renumbered.length > 0 ? [`clients on the host's loopback get no replies from a UDP port published on another number (${shown(renumbered)}: publish it on its own number, -p ${renumbered[0]!.containerPort}:${renumbered[0]!.containerPort}/udp)`] : []),
      ...(offLoopback.length > 0 ? [`clients on the host's other addresses get no UDP replies (${shown(offLoopback)}) unless --add-host NAME:host-gateway is given`] : []),
    ];
    return `burrow: note: with this host's pasta (2023), ${why.join('; and ')}`;
  }
  const loopback = hostGateway ? [] : udp.filter((port) => port.hostIp === '' || isLoopback(port.hostIp));
  if (loopback.length === 0) return undefined;
  return `burrow: note: with slirp4netns, clients on the host's loopback get no UDP replies (${shown(loopback)}): reach it on the host's own address, or give --add-host NAME:host-gateway`;
}

/** `HOSTIP:PORT` as Docker prints it (an IPv6 address in [ ]). */
function hostAddress(port: PublishedPort): string {
  const ip = shownHostIp(port.hostIp);
  return `${isIPv6(ip) ? `[${ip}]` : ip}:${port.hostPort}`;
}

/** `burrow port NAME [PORT[/proto]]`: the lines Docker prints (`80/tcp -> 0.0.0.0:8080`, or `0.0.0.0:8080` for one port asked). */
export function portLines(ports: PublishedPort[], query?: string): string[] {
  const sorted = sortPorts(ports);
  if (query === undefined) return sorted.map((port) => `${port.containerPort}/${port.protocol} -> ${hostAddress(port)}`);
  const match = /^(\d{1,5})(?:\/(\w+))?$/.exec(query);
  if (match === null) throw new BurrowError('INVALID_ARGUMENT', `invalid port "${query}": use PORT or PORT/tcp or PORT/udp`);
  const protocol = parseProtocol(match[2], query, (spec, problem) => new BurrowError('INVALID_ARGUMENT', `invalid port "${spec}": ${problem}`));
  return sorted.filter((port) => port.containerPort === Number(match[1]) && port.protocol === protocol).map(hostAddress);
}

/** ps's PORTS column: `0.0.0.0:8080->80/tcp, 127.0.0.1:8000-8002->8000-8002/udp`, ranges grouped as Docker does. */
export function portsColumn(ports: PublishedPort[]): string {
  return runs(ports)
    .sort((a, b) => a[0]!.protocol.localeCompare(b[0]!.protocol) || a[0]!.containerPort - b[0]!.containerPort || a[0]!.hostIp.localeCompare(b[0]!.hostIp))
    .map((group) => {
      const first = group[0]!;
      const last = group.at(-1)!;
      const ip = shownHostIp(first.hostIp);
      return `${isIPv6(ip) ? `[${ip}]` : ip}:${span(first.hostPort, last.hostPort)}->${span(first.containerPort, last.containerPort)}/${first.protocol}`;
    })
    .join(', ');
}

type Bindings = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

/** inspect's NetworkSettings.Ports: each exposed or published port, with its bindings of this start (null: exposed, not published). */
export function inspectPorts(exposed: ExposedPort[], published: PublishedPort[]): Bindings {
  const result: Bindings = {};
  for (const port of uniqueExposed(exposed)) result[`${port.port}/${port.protocol}`] = null;
  for (const port of sortPorts(published)) {
    const key = `${port.containerPort}/${port.protocol}`;
    (result[key] ??= []).push({ HostIp: shownHostIp(port.hostIp), HostPort: String(port.hostPort) });
  }
  return result;
}

/** inspect's HostConfig.PortBindings: -p as asked (HostIp '' for all, HostPort '' for a free one). */
export function inspectPortBindings(asked: PortMapping[]): Record<string, Array<{ HostIp: string; HostPort: string }>> {
  const result: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const port of asked) {
    const hostPort = port.hostPort === 0 ? '' : port.hostPortEnd === undefined ? String(port.hostPort) : `${port.hostPort}-${port.hostPortEnd}`;
    (result[`${port.containerPort}/${port.protocol}`] ??= []).push({ HostIp: port.hostIp, HostPort: hostPort });
  }
  return result;
}

/** inspect's Config.ExposedPorts: the image's, --expose's and every -p container port (Docker adds those too). */
export function inspectExposedPorts(exposed: ExposedPort[], asked: PortMapping[]): Record<string, Record<string, never>> {
  const all = uniqueExposed([...exposed, ...asked.map((port) => ({ port: port.containerPort, protocol: port.protocol }))]);
  return Object.fromEntries(all.map((port) => [`${port.port}/${port.protocol}`, {}]));
}
