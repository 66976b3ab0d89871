import type { PortMapping, PublishedPort } from './types.js';

/**
 * Published ports: parsing -p, choosing and checking host ports at each start,
 * and the helpers' spellings. (Interface fixed for issue 11's helpers; net-ports implements it.)
 */

/** `-p [hostIP:][hostPort:]containerPort[-end][/tcp|udp]` → one mapping per port. */
export function parsePublish(spec: string): PortMapping[] {
  throw new Error(`-p is not implemented yet: ${spec}`);
}

/** `-P`/-p as asked → the host ports of this start (free ports chosen, each checked free). */
export async function resolvePorts(asked: PortMapping[], exposed: Array<{ port: number; protocol: 'tcp' | 'udp' }>, publishAll: boolean): Promise<PublishedPort[]> {
  if (asked.length === 0 && (!publishAll || exposed.length === 0)) return [];
  throw new Error('published ports are not implemented yet');
}

/** pasta's `-t`/`-u` arguments for these ports (`-t none`/`-u none` when there are none of a protocol). */
export function pastaPortArgs(ports: PublishedPort[]): string[] {
  return [...(ports.some((port) => port.protocol === 'tcp') ? [] : ['-t', 'none']), ...(ports.some((port) => port.protocol === 'udp') ? [] : ['-u', 'none'])];
}

/** burrow-net's `--slirp-hostfwd PROTO:HOSTIP:HOSTPORT:GUESTPORT` values for slirp4netns. */
export function slirpHostfwdArgs(ports: PublishedPort[]): string[] {
  return ports.flatMap((port) => ['--slirp-hostfwd', `${port.protocol}:${port.hostIp}:${port.hostPort}:${port.containerPort}`]);
}
