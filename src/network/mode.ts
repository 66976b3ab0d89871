import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { findNetwork, joinNetwork } from './records.js';
import type { NetworkHelperName, NetworkPlan, PortMapping } from './types.js';

/**
 * `--network` as Docker and Podman spell it, into the plan's NetworkPlan:
 *   (not given), default, bridge, private  a private namespace, helper `auto`
 *   pasta[:OPT,OPT…]                     pasta, its options passed on
 *   slirp4netns[:OPT,OPT…]               slirp4netns, Podman's options for it
 *   none, host                           as before
 *   container:NAME                       the network of another container
 *   NAME                                 a user-defined network (`burrow network create`)
 */
export interface NetworkRequest {
  /** --network as given (undefined: the default). */
  spec?: string | undefined;
  ports: PortMapping[];
  publishAll: boolean;
  mac?: string | undefined;
  aliases: string[];
}

/** What --network names before anything is looked up. */
export type ParsedMode =
  | { kind: 'none' }
  | { kind: 'host' }
  | { kind: 'private'; helper: 'auto' | NetworkHelperName; options: string[] }
  | { kind: 'container'; container: string }
  | { kind: 'network'; name: string };

const PRIVATE_NAMES = new Set(['default', 'bridge', 'private']);

/**
 * Podman's `slirp4netns:` options, as slirp4netns's own flags. (port_handler is
 * Podman's choice of rootlessport, not slirp4netns's: refused.)
 */
const SLIRP_OPTIONS: Record<string, (value: string) => string[]> = {
  // The default (--disable-host-loopback) is left out by the start when this is true.
  allow_host_loopback: () => [],
  cidr: (value) => [`--cidr=${value}`],
  enable_ipv6: (value) => (value === 'true' ? ['--enable-ipv6'] : []),
  mtu: (value) => [`--mtu=${value}`],
  outbound_addr: (value) => [`--outbound-addr=${value}`],
  outbound_addr6: (value) => [`--outbound-addr6=${value}`],
};

export function parseNetworkMode(spec: string | undefined): ParsedMode {
  if (spec === undefined || PRIVATE_NAMES.has(spec)) return { kind: 'private', helper: 'auto', options: [] };
  if (spec === 'none' || spec === 'host') return { kind: spec };
  if (spec.startsWith('container:')) {
    const container = spec.slice('container:'.length);
    if (container === '') throw new BurrowError('INVALID_ARGUMENT', 'invalid --network "container:": name the container whose network to share');
    return { kind: 'container', container };
  }
  const colon = spec.indexOf(':');
  const head = colon < 0 ? spec : spec.slice(0, colon);
  if (head === 'pasta' || head === 'slirp4netns') {
    const options = colon < 0 ? [] : spec.slice(colon + 1).split(',').filter((option) => option !== '');
    if (head === 'slirp4netns') {
      for (const option of options) {
        if (SLIRP_OPTIONS[option.split('=')[0]!] === undefined || !option.includes('=')) {
          throw new BurrowError('INVALID_ARGUMENT', `unsupported slirp4netns option "${option}": use ${Object.keys(SLIRP_OPTIONS).map((name) => `${name}=…`).join(', ')}`);
        }
      }
    }
    return { kind: 'private', helper: head, options };
  }
  if (colon >= 0 || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(spec)) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid --network "${spec}": use none, host, pasta[:OPTIONS], slirp4netns[:OPTIONS], container:NAME or a network's name`);
  }
  return { kind: 'network', name: spec };
}

/** slirp4netns's command-line flags for Podman's `slirp4netns:` options. */
export function slirpOptionArgs(options: string[]): string[] {
  return options.flatMap((option) => {
    const at = option.indexOf('=');
    return SLIRP_OPTIONS[option.slice(0, at)]?.(option.slice(at + 1)) ?? [];
  });
}

/** A MAC address as Docker takes it (six hex octets, unicast). */
function checkMac(mac: string): void {
  if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac) || (parseInt(mac.slice(0, 2), 16) & 1) === 1) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid --mac-address "${mac}": expected six hex octets such as 92:d0:c6:0a:29:33, not a multicast address`);
  }
}

/**
 * The plan's network for a new container (`containerId`: its id, for a user
 * network's address). `lookupContainer` finds a `container:NAME` (its id).
 */
export function networkPlan(store: Store, request: NetworkRequest, exposedPorts: Array<{ port: number; protocol: 'tcp' | 'udp' }>, containerId: string, lookupContainer: (name: string) => string, onNote?: (note: string) => void): NetworkPlan {
  const parsed = parseNetworkMode(request.spec);
  const publishes = request.ports.length > 0 || request.publishAll;
  if (request.mac !== undefined) checkMac(request.mac);
  if (parsed.kind === 'none' || parsed.kind === 'host' || parsed.kind === 'container') {
    // Docker refuses -p with container:NAME and warns (in these words) with host; with none it takes them silently: burrow says so too.
    if (publishes && parsed.kind === 'container') throw new BurrowError('INVALID_ARGUMENT', 'conflicting options: port publishing and the container network mode');
    if (publishes) onNote?.(`WARNING: Published ports are discarded when using ${parsed.kind} network mode`);
    if (request.mac !== undefined) throw new BurrowError('INVALID_ARGUMENT', `conflicting options: --mac-address and the ${parsed.kind} network mode`);
    if (request.aliases.length > 0) throw new BurrowError('INVALID_ARGUMENT', '--network-alias is only for user-defined networks');
    if (parsed.kind === 'container') return { mode: 'container', container: lookupContainer(parsed.container) };
    return { mode: parsed.kind };
  }
  const base = {
    mode: 'private' as const,
    helperOptions: [] as string[],
    ports: request.ports,
    publishAll: request.publishAll,
    // Kept without -P too: inspect shows them (Config.ExposedPorts); resolvePorts publishes them only with -P.
    exposedPorts,
    mac: request.mac,
  };
  if (parsed.kind === 'private') {
    if (request.aliases.length > 0) throw new BurrowError('INVALID_ARGUMENT', '--network-alias is only for user-defined networks');
    return { ...base, helper: parsed.helper, helperOptions: parsed.options, networks: [], defaultNetwork: true };
  }
  const network = findNetwork(store, parsed.name);
  if (network === undefined) throw new BurrowError('NOT_FOUND', `network ${parsed.name} not found: create it with 'burrow network create ${parsed.name}', or use none, host, pasta, slirp4netns or container:NAME`);
  // An internal network has no way out, and so no way in from the host (Docker publishes nothing there).
  if (network.internal && publishes) throw new BurrowError('INVALID_ARGUMENT', `conflicting options: port publishing and the internal network ${network.name} (it has no outbound access, so nothing is published): drop -p/-P, or use a network created without --internal`);
  return { ...base, helper: 'auto', networks: [joinNetwork(store, network, containerId, request.aliases, request.mac)], defaultNetwork: false };
}

/** Whether a private network includes the default one (the helper's, with outbound access); see NetworkPlan. */
export function onDefaultNetwork(plan: Extract<NetworkPlan, { mode: 'private' }>): boolean {
  return plan.defaultNetwork ?? plan.networks.length === 0;
}

/** A plan's network as Docker's HostConfig.NetworkMode spells it. */
export function networkModeName(plan: NetworkPlan, containerName: (id: string) => string = (id) => id): string {
  switch (plan.mode) {
    case 'none':
    case 'host':
      return plan.mode;
    case 'container':
      return `container:${containerName(plan.container)}`;
    case 'private':
      if (plan.networks.length > 0 && !onDefaultNetwork(plan)) return plan.networks[0]!.name;
      if (plan.helper === 'auto') return 'bridge';
      return plan.helperOptions.length === 0 ? plan.helper : `${plan.helper}:${plan.helperOptions.join(',')}`;
  }
}
