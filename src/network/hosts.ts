import { BurrowError } from '../errors.js';
import { isIP } from 'node:net';

/**
 * The container's /etc/hosts, written at each start: the localhost lines, the
 * container's own address with its hostname and name, the --add-host lines.
 * burrow-switch appends and keeps current one `# network NAME` section per
 * user-defined network (its members by name and alias).
 */
export interface HostsInput {
  hostname: string;
  /** The container's name (Docker lists it beside the hostname on a network). */
  name?: string | undefined;
  /** The container's address, when known before it starts; else 127.0.1.1 as Debian does. */
  address?: string | undefined;
  /** --add-host NAME:ADDR, ADDR resolved (`host-gateway` replaced). */
  extraHosts: Array<{ name: string; address: string }>;
}

/** Docker's name of the host's address (`--add-host NAME:host-gateway`) and Podman's fixed name for it. */
export const HOST_GATEWAY = 'host-gateway';
export const HOST_CONTAINERS_INTERNAL = 'host.containers.internal';

/** `--add-host NAME:ADDR` (also `NAME=ADDR`, as Docker 25 takes it) → name and address (or `host-gateway`). */
export function parseAddHost(spec: string): { name: string; address: string } {
  const at = spec.search(/[:=]/);
  const name = at < 0 ? '' : spec.slice(0, at);
  let address = at < 0 ? '' : spec.slice(at + 1);
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  if (name === '' || /\s/.test(name) || (address !== HOST_GATEWAY && isIP(address) === 0)) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid --add-host "${spec}": expected NAME:ADDRESS (an IP address or host-gateway)`);
  }
  return { name, address };
}

/** Whether the --add-host lines ask for the host's address. */
export function wantsHostGateway(extraHosts: string[]): boolean {
  return extraHosts.some((spec) => parseAddHost(spec).address === HOST_GATEWAY);
}

export function hostsFile({ hostname, name, address, extraHosts }: HostsInput): string {
  const own = [...new Set([hostname, ...(name === undefined || name === '' ? [] : [name])])].join(' ');
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${address ?? '127.0.1.1'}\t${own}`,
    ...extraHosts.map((host) => `${host.address}\t${host.name}`),
  ];
  return `${lines.join('\n')}\n`;
}
