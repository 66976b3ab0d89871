import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { writeFileAtomic } from '../store/atomic.js';
import { prepareAttachments } from '../network/attach.js';
import { NAME_FILES, NO_NAMES, writeInPlace, writeNameFiles } from '../network/files.js';
import { agentArgs, networksOnlyAgentArgs, pastaAddresses } from '../network/helper-args.js';
import { chooseHelper, killLeftoverHelper, PASTA_DNS, SLIRP_DNS, SLIRP_HOST } from '../network/helpers.js';
import { wantsHostGateway } from '../network/hosts.js';
import { onDefaultNetwork } from '../network/mode.js';
import { findNetwork } from '../network/records.js';
import { resolvePorts, udpPortNote } from '../network/ports.js';
import type { NameSettings, NetworkPlan, NetworkRunState } from '../network/types.js';
import type { LaunchNetwork } from './launcher.js';
import { containerDir, findContainer, type ContainerRecord } from './record.js';
import { containerState } from './state.js';

/** The run state of a start's network (ports, helper), read by port, ps and inspect. */
export const NETWORK_FILE = 'network.json';

/** What a start resolved the container's network to: the launch's namespace and what goes in front of the launcher. */
export interface StartNetwork {
  network: LaunchNetwork;
  /** burrow-net and its options (a private network), else nothing. */
  agent: string[];
}

/**
 * Resolves the container's network for this start: the helper (or the fallback to
 * none, with one note), free host ports, the attachments, the name files and
 * DIR/network.json; and kills a helper a crash left behind.
 */
export async function prepareNetwork(store: Store, record: ContainerRecord, onNote: ((note: string) => void) | undefined): Promise<StartNetwork> {
  const dir = containerDir(store, record.id);
  const plan = record.plan;
  const net = plan.network;
  const names = plan.names ?? NO_NAMES;
  const base = { hostname: plan.hostname, name: record.name, names };
  killLeftoverHelper(dir);
  rmSync(join(dir, NETWORK_FILE), { force: true });
  if (net.mode === 'host') {
    writeNameFiles(dir, { ...base, network: 'host', nameservers: [] });
    return { network: { kind: 'host' }, agent: [] };
  }
  if (net.mode === 'container') return joinContainer(store, record, net.container);
  const choice = net.mode === 'private' ? chooseHelper(net, hasOutbound(store, net)) : { helper: undefined, networksOnly: false };
  if (choice.note !== undefined) onNote?.(choice.note);
  if (net.mode !== 'private' || (choice.helper === undefined && !choice.networksOnly)) {
    writeNameFiles(dir, { ...base, network: 'none', nameservers: [] });
    return { network: { kind: 'none' }, agent: [] };
  }
  if (choice.helper === undefined) return networksOnly(store, record, dir, net, base, onNote);
  const helper = choice.helper;
  const ports = await resolvePorts(net.ports, net.exposedPorts, net.publishAll);
  const gatewayWanted = wantsHostGateway(names.extraHosts);
  const udpNote = udpPortNote(helper, ports, gatewayWanted);
  if (udpNote !== undefined) onNote?.(udpNote);
  const addresses = helper === 'pasta' ? pastaAddresses() : { address: '10.0.2.100', gateway: SLIRP_HOST };
  const hostGateway = gatewayWanted ? (helper === 'pasta' ? addresses.gateway : SLIRP_HOST) : undefined;
  writeNameFiles(dir, { ...base, network: helper, address: addresses.address, hostGateway, nameservers: [helper === 'pasta' ? PASTA_DNS : SLIRP_DNS] });
  await prepareAttachments(store, record.id, record.name, join(dir, NAME_FILES.hosts), net.networks);
  const state: NetworkRunState = { helper, ports, hostGateway, address: addresses.address, gateway: addresses.gateway, mac: net.mac };
  writeFileAtomic(join(dir, NETWORK_FILE), JSON.stringify(state), 0o644, { durable: false });
  return { network: { kind: 'private' }, agent: agentArgs(dir, helper, net, ports, hostGateway !== undefined) };
}

type PrivatePlan = Extract<NetworkPlan, { mode: 'private' }>;

/** Outbound access: the default network, or a user-defined network that is not internal (Docker's rule). */
function hasOutbound(store: Store, plan: PrivatePlan): boolean {
  return onDefaultNetwork(plan) || plan.networks.some((attachment) => findNetwork(store, attachment.network)?.internal !== true);
}

/**
 * The user networks without a helper (all internal, or no helper installed): the
 * loopback and the networks' taps, no route out, nothing published, no
 * resolver but the hosts file (as Docker's internal networks: peers by name).
 */
async function networksOnly(store: Store, record: ContainerRecord, dir: string, net: PrivatePlan, base: { hostname: string; name: string; names: NameSettings }, onNote: ((note: string) => void) | undefined): Promise<StartNetwork> {
  // Docker publishes nothing on an internal network (create refuses -p there; a later network connect/disconnect can get here).
  if (net.ports.length > 0 || net.publishAll) onNote?.(`WARNING: Published ports are discarded: container ${record.name} has no outbound network (its networks are all internal)`);
  const address = net.networks[0]?.address;
  writeNameFiles(dir, { ...base, network: 'none', address, nameservers: [] });
  await prepareAttachments(store, record.id, record.name, join(dir, NAME_FILES.hosts), net.networks);
  const state: NetworkRunState = { helper: undefined, ports: [], address, mac: net.mac };
  writeFileAtomic(join(dir, NETWORK_FILE), JSON.stringify(state), 0o644, { durable: false });
  return { network: { kind: 'private' }, agent: networksOnlyAgentArgs(dir) };
}

/** `container:NAME`: that container's sandbox, which must be running; its hosts and resolv.conf are shared as Docker does. */
function joinContainer(store: Store, record: ContainerRecord, id: string): StartNetwork {
  let other: ContainerRecord;
  try {
    other = findContainer(store, id);
  } catch {
    throw new BurrowError('NOT_FOUND', `cannot join the network of container ${id.slice(0, 12)}: it no longer exists (recreate this container with another --network)`);
  }
  const state = containerState(store, other);
  if (state.status !== 'running' || state.sandbox === undefined) {
    throw new BurrowError('INVALID_ARGUMENT', `cannot join the network of container ${other.name}: it is not running (start it first)`);
  }
  const dir = containerDir(store, record.id);
  const otherDir = containerDir(store, other.id);
  for (const file of [NAME_FILES.hosts, NAME_FILES.resolv]) {
    try {
      writeInPlace(join(dir, file), readFileSync(join(otherDir, file), 'utf8'));
    } catch {
      // The other container's file is gone (removed meanwhile): keep this one's.
    }
  }
  writeInPlace(join(dir, NAME_FILES.hostname), `${record.plan.hostname}\n`);
  // The other container's network is the host's (a namespace no user may enter): so is this one's, as in Docker.
  if (other.plan.network.mode === 'host') return { network: { kind: 'host' }, agent: [] };
  return { network: { kind: 'container', pid: state.sandbox.pid }, agent: [] };
}

/** The run state of the container's last start (undefined without a private network). */
export function readNetworkState(store: Store, id: string): NetworkRunState | undefined {
  try {
    return JSON.parse(readFileSync(join(containerDir(store, id), NETWORK_FILE), 'utf8')) as NetworkRunState;
  } catch {
    return undefined;
  }
}
