import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { withLockFileSync } from '../store/lockfile.js';
import type { Store } from '../store/store.js';
import { randomBytes } from '../util/random.js';
import { listRecords, type ContainerRecord } from '../container/record.js';
import type { NetworkAttachment } from './types.js';

/**
 * User-defined networks' records (`<store>/networks/<id>.json`) and the addresses
 * given to their members. A network is only data until a member starts: then its
 * switch runs (switch.ts, native/burrow-switch.c) in `<store>/networks/<id>/`.
 *
 * An address is given under the network's lock and written at once as a lease
 * (`<store>/networks/<id>/leases.json`, container id → address), because the
 * container's record that will name it is written later by create: two creates at
 * once must not both see the address free. A lease holds while its container's
 * directory exists (create makes it before it plans the network; rm removes it),
 * so a removed container's address is free again without anyone cleaning up.
 */
export interface NetworkRecord {
  id: string;
  name: string;
  subnet: string;
  gateway?: string | undefined;
  internal: boolean;
  created: string;
  labels: Record<string, string>;
}

export interface CreateNetworkOptions {
  subnet?: string | undefined;
  internal?: boolean | undefined;
  labels?: Record<string, string> | undefined;
}

/** Docker's rule for network names. */
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Words `--network` gives another meaning (modes and helpers): a network cannot take them. */
const RESERVED_NAMES = new Set(['none', 'host', 'bridge', 'default', 'private', 'pasta', 'slirp4netns', 'container']);

export function networksDir(store: Store): string {
  return join(store.root, 'networks');
}

/** The network's working directory: its switch's socket, lock and log, and the leases. */
export function networkDir(store: Store, id: string): string {
  return join(networksDir(store), id);
}

export function switchSocketPath(store: Store, id: string): string {
  return join(networkDir(store, id), 'switch.sock');
}

function recordPath(store: Store, id: string): string {
  return join(networksDir(store), `${id}.json`);
}

function namesLock(store: Store): string {
  return join(store.paths.locks, 'networks.lock');
}

/** The lock of one network's leases and switch start (a lock file, store/lockfile.ts). */
export function networkLock(store: Store, id: string): string {
  return join(store.paths.locks, `network-${id}.lock`);
}

// --- IPv4 arithmetic ---

export interface Subnet {
  /** The network address as a 32-bit number. */
  base: number;
  prefixLength: number;
}

export function parseAddress(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

export function formatAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function parseSubnet(text: string): Subnet {
  const [address, prefix, extra] = text.split('/');
  const base = address === undefined ? undefined : parseAddress(address);
  const prefixLength = prefix !== undefined && /^\d{1,2}$/.test(prefix) ? Number(prefix) : NaN;
  if (base === undefined || extra !== undefined || !(prefixLength >= 8 && prefixLength <= 30)) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid subnet "${text}": give an IPv4 network as ADDRESS/PREFIX with a prefix from 8 to 30, e.g. 10.89.5.0/24`);
  }
  const size = 2 ** (32 - prefixLength);
  if (base % size !== 0) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid subnet "${text}": the address has host bits set; the network is ${formatAddress(base - (base % size))}/${prefixLength}`);
  }
  return { base, prefixLength };
}

export function formatSubnet(subnet: Subnet): string {
  return `${formatAddress(subnet.base)}/${subnet.prefixLength}`;
}

function subnetSize(subnet: Subnet): number {
  return 2 ** (32 - subnet.prefixLength);
}

export function subnetsOverlap(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + subnetSize(b) && b.base < a.base + subnetSize(a);
}

/** Docker's locally administered MAC for an address: 02:42 and the address's four bytes. */
export function macForAddress(address: string): string {
  const value = parseAddress(address) ?? 0;
  const bytes = [0x02, 0x42, ...[24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256)];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** The first free /24 of 10.89.0.0/16 that overlaps none of `taken` (the range Podman uses for its networks). */
export function chooseSubnet(taken: Subnet[]): Subnet {
  for (let third = 0; third < 256; third++) {
    const candidate: Subnet = { base: parseAddress(`10.89.${third}.0`)!, prefixLength: 24 };
    if (!taken.some((other) => subnetsOverlap(candidate, other))) return candidate;
  }
  throw new BurrowError('IN_USE', 'every subnet of 10.89.0.0/16 is taken by a network: remove unused ones (burrow network prune) or give --subnet');
}

/**
 * The lowest address of the subnet that `taken` does not hold, skipping the
 * network address, the first host (kept for a gateway, as Docker's first
 * container gets .2) and the broadcast address.
 */
export function lowestFreeAddress(subnet: Subnet, taken: Set<string>): string | undefined {
  const size = subnetSize(subnet);
  for (let offset = 2; offset < size - 1; offset++) {
    const address = formatAddress(subnet.base + offset);
    if (!taken.has(address)) return address;
  }
  return undefined;
}

// --- records ---

function readNetwork(store: Store, id: string): NetworkRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(store, id), 'utf8')) as NetworkRecord;
  } catch {
    return undefined;
  }
}

export function listNetworks(store: Store): NetworkRecord[] {
  if (!existsSync(networksDir(store))) return [];
  return readdirSync(networksDir(store))
    .filter((entry) => entry.endsWith('.json'))
    .map((entry) => readNetwork(store, entry.slice(0, -'.json'.length)))
    .filter((record): record is NetworkRecord => record !== undefined)
    .sort((a, b) => a.created.localeCompare(b.created));
}

/** The network by name or id (unique prefix), if there is one. */
export function findNetwork(store: Store, nameOrId: string): NetworkRecord | undefined {
  const networks = listNetworks(store);
  const exact = networks.find((network) => network.name === nameOrId || network.id === nameOrId);
  if (exact !== undefined) return exact;
  const byPrefix = /^[a-f0-9]+$/.test(nameOrId) ? networks.filter((network) => network.id.startsWith(nameOrId)) : [];
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}

/** findNetwork, or the one-line error a command gives for a missing network. */
export function requireNetwork(store: Store, nameOrId: string): NetworkRecord {
  const network = findNetwork(store, nameOrId);
  if (network === undefined) throw new BurrowError('NOT_FOUND', `no such network: ${nameOrId} (burrow network ls lists them; burrow network create ${nameOrId} makes it)`);
  return network;
}

export function isNetworkName(text: string): boolean {
  return NETWORK_NAME.test(text) && !RESERVED_NAMES.has(text);
}

export function createNetwork(store: Store, name: string, options: CreateNetworkOptions = {}): NetworkRecord {
  if (RESERVED_NAMES.has(name)) throw new BurrowError('INVALID_ARGUMENT', `"${name}" is a network mode, not a name a network can have: choose another`);
  if (!NETWORK_NAME.test(name)) throw new BurrowError('INVALID_ARGUMENT', `invalid network name "${name}": use [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  const wanted = options.subnet === undefined ? undefined : parseSubnet(options.subnet);
  return withLockFileSync(namesLock(store), () => {
    const networks = listNetworks(store);
    if (networks.some((network) => network.name === name)) throw new BurrowError('IN_USE', `network with name ${name} already exists: remove it first or choose another name`);
    const taken = networks.map((network) => parseSubnet(network.subnet));
    if (wanted !== undefined) {
      const clash = networks.find((network) => subnetsOverlap(wanted, parseSubnet(network.subnet)));
      if (clash !== undefined) throw new BurrowError('IN_USE', `subnet ${formatSubnet(wanted)} overlaps network ${clash.name}'s ${clash.subnet}: choose another --subnet`);
    }
    const subnet = wanted ?? chooseSubnet(taken);
    const record: NetworkRecord = {
      id: randomBytes(32).toString('hex'),
      name,
      subnet: formatSubnet(subnet),
      internal: options.internal === true,
      created: new Date().toISOString(),
      labels: options.labels ?? {},
    };
    mkdirSync(networkDir(store, record.id), { recursive: true, mode: 0o700 });
    writeFileAtomic(recordPath(store, record.id), `${JSON.stringify(record, null, 2)}\n`);
    return record;
  });
}

// --- members ---

interface Lease {
  address: string;
  mac: string;
}

function leasesPath(store: Store, id: string): string {
  return join(networkDir(store, id), 'leases.json');
}

function readLeases(store: Store, id: string): Record<string, Lease> {
  try {
    return JSON.parse(readFileSync(leasesPath(store, id), 'utf8')) as Record<string, Lease>;
  } catch {
    return {};
  }
}

function containerExists(store: Store, containerId: string): boolean {
  return existsSync(join(store.paths.containers, containerId));
}

/** Leases of containers that still exist (the others' addresses are free). */
function liveLeases(store: Store, id: string): Record<string, Lease> {
  return Object.fromEntries(Object.entries(readLeases(store, id)).filter(([containerId]) => containerExists(store, containerId)));
}

/** The user-defined networks a container's record joined (none for the other modes). */
export function attachmentsOf(record: ContainerRecord): NetworkAttachment[] {
  const plan = record.plan.network;
  return plan.mode === 'private' ? plan.networks : [];
}

/** Gives a container an address on the network (under its lock), for create and `network connect`. */
export function joinNetwork(store: Store, network: NetworkRecord, containerId: string, aliases: string[], mac?: string): NetworkAttachment {
  const subnet = parseSubnet(network.subnet);
  // An alias becomes a name in peers' hosts files: one word a resolver can look up.
  const bad = aliases.find((alias) => !NETWORK_NAME.test(alias));
  if (bad !== undefined) throw new BurrowError('INVALID_ARGUMENT', `invalid network alias "${bad}": use [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  return withLockFileSync(networkLock(store, network.id), () => {
    // Removed since it was looked up (rm takes this lock too).
    if (!existsSync(recordPath(store, network.id))) throw new BurrowError('NOT_FOUND', `no such network: ${network.name}`);
    const leases = liveLeases(store, network.id);
    const taken = new Set(Object.entries(leases).filter(([owner]) => owner !== containerId).map(([, lease]) => lease.address));
    const own = leases[containerId];
    const address = own?.address ?? lowestFreeAddress(subnet, taken);
    if (address === undefined) throw new BurrowError('IN_USE', `network ${network.name} has no free address left in ${network.subnet}: remove containers from it, or use a network with a larger --subnet`);
    const lease: Lease = { address, mac: mac ?? own?.mac ?? macForAddress(address) };
    mkdirSync(networkDir(store, network.id), { recursive: true, mode: 0o700 });
    writeFileAtomic(leasesPath(store, network.id), `${JSON.stringify({ ...leases, [containerId]: lease }, null, 2)}\n`);
    return { network: network.id, name: network.name, address, prefixLength: subnet.prefixLength, gateway: network.gateway, mac: lease.mac, aliases };
  });
}

/** Frees the container's address on the network (`network disconnect`). */
export function leaveNetwork(store: Store, network: NetworkRecord, containerId: string): void {
  withLockFileSync(networkLock(store, network.id), () => {
    const leases = liveLeases(store, network.id);
    delete leases[containerId];
    writeFileAtomic(leasesPath(store, network.id), `${JSON.stringify(leases, null, 2)}\n`);
  });
}

/** A container of the network, as inspect shows it. */
export interface NetworkMember {
  id: string;
  name: string;
  attachment: NetworkAttachment;
}

/** The containers whose records join the network. */
export function networkMembers(store: Store, network: NetworkRecord): NetworkMember[] {
  const members: NetworkMember[] = [];
  for (const record of listRecords(store)) {
    const attachment = attachmentsOf(record).find((entry) => entry.network === network.id);
    if (attachment !== undefined) members.push({ id: record.id, name: record.name, attachment });
  }
  return members;
}

/** Ids of containers that use the network: by their records, or a lease of a container still being created. */
export function networkUsers(store: Store, network: NetworkRecord): string[] {
  const members = networkMembers(store, network);
  const users = new Set(members.map((member) => member.name));
  const named = new Set(members.map((member) => member.id));
  for (const containerId of Object.keys(liveLeases(store, network.id))) if (!named.has(containerId)) users.add(containerId.slice(0, 12));
  return [...users];
}

/** Removes a network no container uses; refuses (one line) while one does. */
export function removeNetwork(store: Store, nameOrId: string): NetworkRecord {
  const network = requireNetwork(store, nameOrId);
  withLockFileSync(networkLock(store, network.id), () => {
    const users = networkUsers(store, network);
    if (users.length > 0) throw new BurrowError('IN_USE', `network ${network.name} is in use by container ${users.join(', ')}: remove the containers or disconnect them (burrow network disconnect ${network.name} CONTAINER) first`);
    rmSync(recordPath(store, network.id), { force: true });
    rmSync(networkDir(store, network.id), { recursive: true, force: true });
  });
  return network;
}

/** Removes every network no container uses; returns their names. */
export function pruneNetworks(store: Store): string[] {
  const removed: string[] = [];
  for (const network of listNetworks(store)) {
    if (networkUsers(store, network).length > 0) continue;
    removeNetwork(store, network.id);
    removed.push(network.name);
  }
  return removed;
}

/** `network inspect` / `network ls --format json`: Docker's shape. */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge';
  EnableIPv6: false;
  IPAM: { Driver: 'default'; Options: Record<string, string>; Config: Array<{ Subnet: string; Gateway?: string }> };
  Internal: boolean;
  Attachable: false;
  Ingress: false;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export function inspectNetwork(store: Store, network: NetworkRecord): NetworkInspect {
  const containers: NetworkInspect['Containers'] = {};
  for (const member of networkMembers(store, network)) {
    containers[member.id] = {
      Name: member.name,
      EndpointID: '',
      MacAddress: member.attachment.mac,
      IPv4Address: `${member.attachment.address}/${member.attachment.prefixLength}`,
      IPv6Address: '',
    };
  }
  return {
    Name: network.name,
    Id: network.id,
    Created: network.created,
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [network.gateway === undefined ? { Subnet: network.subnet } : { Subnet: network.subnet, Gateway: network.gateway }] },
    Internal: network.internal,
    Attachable: false,
    Ingress: false,
    Containers: containers,
    Options: {},
    Labels: network.labels,
  };
}

/** A container's user-defined networks as Docker's inspect shows them (NetworkSettings.Networks). */
export function inspectAttachments(record: ContainerRecord): Record<string, { NetworkID: string; IPAddress: string; IPPrefixLen: number; Gateway: string; MacAddress: string; Aliases: string[] }> {
  return Object.fromEntries(attachmentsOf(record).map((attachment) => [attachment.name, {
    NetworkID: attachment.network,
    IPAddress: attachment.address,
    IPPrefixLen: attachment.prefixLength,
    Gateway: attachment.gateway ?? '',
    MacAddress: attachment.mac,
    Aliases: attachment.aliases,
  }]));
}
