import { spawn } from 'node:child_process';
import { findContainer, lockContainer, readRecord, writeRecord, type ContainerRecord } from '../container/record.js';
import { containerState } from '../container/state.js';
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { parentOf } from '../util/process-identity.js';
import { hostEnv } from '../util/spawn.js';
import { forgetAttachment, prepareAttachment } from './attach.js';
import { joinNetwork, leaveNetwork, requireNetwork, type NetworkRecord } from './records.js';
import { disconnectFromSwitch, NETATTACH_BINARY } from './switch.js';
import type { NetworkPlan } from './types.js';

/**
 * `network connect` and `network disconnect`: a stopped container's record
 * changes (its next start joins or leaves); a running one is also joined at once
 * (burrow-netattach against its sandbox) or cut off (its switch drops the tap).
 */

type PrivatePlan = Extract<NetworkPlan, { mode: 'private' }>;

/**
 * How long connect and disconnect wait for the container's lock: a start holds it until its
 * job runs (up to its network helper's and the sandbox's time-outs), and a connect that
 * gave up then would have to be retried by hand.
 */
const LOCK_WAIT_MS = 40_000;

/**
 * Runs `change` on the container's record read under its lock (as stop and rm take it):
 * two connects at once would each write their own copy and lose the other's network, and
 * a connect while `start` reads the record would see "not running" and the container
 * would run without the network.
 */
async function withLockedRecord<T>(store: Store, containerQuery: string, change: (record: ContainerRecord) => Promise<T>): Promise<T> {
  const found = findContainer(store, containerQuery);
  const lock = await lockContainer(store, found.id, LOCK_WAIT_MS);
  try {
    const record = readRecord(store, found.id);
    if (record === undefined) throw new BurrowError('NOT_FOUND', `no such container: ${found.name} (removed by another burrow command)`);
    return await change(record);
  } finally {
    lock.release();
  }
}

function privatePlan(record: ContainerRecord): PrivatePlan {
  const plan = record.plan.network;
  if (plan.mode === 'private') return plan;
  throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} has --network ${plan.mode}: only a container with a network of its own (the default, or --network NAME) can join a network`);
}

function hostsFileOf(record: ContainerRecord): string {
  const hosts = record.plan.files.find((file) => file.target === '/etc/hosts');
  if (hosts === undefined) throw new BurrowError('NOT_FOUND', `container ${record.name} has no /etc/hosts of burrow's`);
  return hosts.source;
}

async function netattach(pid: number, file: string): Promise<void> {
  const stderr = await new Promise<string | undefined>((resolve) => {
    const child = spawn(NETATTACH_BINARY, ['--target', String(pid), file], { stdio: ['ignore', 'ignore', 'pipe'], env: hostEnv() });
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    child.on('error', (error) => resolve(`${NETATTACH_BINARY}: ${error.message}`));
    child.on('close', (code) => resolve(code === 0 ? undefined : text.trim() || `exit ${code}`));
  });
  if (stderr !== undefined) throw new BurrowError('NETWORK', stderr.split('\n')[0]!.replace(/^burrow-netattach: /, ''));
}

export async function connectContainer(store: Store, networkName: string, containerQuery: string, aliases: string[]): Promise<void> {
  const network = requireNetwork(store, networkName);
  await withLockedRecord(store, containerQuery, (record) => connectLocked(store, network, record, aliases));
}

async function connectLocked(store: Store, network: NetworkRecord, record: ContainerRecord, aliases: string[]): Promise<void> {
  const plan = privatePlan(record);
  if (plan.networks.some((entry) => entry.network === network.id)) {
    throw new BurrowError('IN_USE', `container ${record.name} is already connected to network ${network.name}`);
  }
  const attachment = joinNetwork(store, network, record.id, aliases);
  plan.networks.push(attachment);
  writeRecord(store, record);
  const state = containerState(store, record);
  if (state.status !== 'running' || state.sandbox === undefined) return;
  try {
    const file = await prepareAttachment(store, record.id, record.name, hostsFileOf(record), attachment, 'eth%d');
    // Through the launcher (the sandbox's parent, in the user namespace that owns the network's): as burrow-net does, so the
    // switch's keeper is the launcher's parent (burrow-monitor), and the switch waits for a restart by the monitor.
    await netattach(parentOf(state.sandbox.pid) ?? state.sandbox.pid, file);
  } catch (error) {
    forgetAttachment(store, record.id, network.id);
    plan.networks = plan.networks.filter((entry) => entry.network !== network.id);
    writeRecord(store, record);
    leaveNetwork(store, network, record.id);
    throw error;
  }
}

export async function disconnectContainer(store: Store, networkName: string, containerQuery: string): Promise<void> {
  const network = requireNetwork(store, networkName);
  await withLockedRecord(store, containerQuery, (record) => disconnectLocked(store, network, record));
}

async function disconnectLocked(store: Store, network: NetworkRecord, record: ContainerRecord): Promise<void> {
  const plan = privatePlan(record);
  if (!plan.networks.some((entry) => entry.network === network.id)) {
    throw new BurrowError('NOT_FOUND', `container ${record.name} is not connected to network ${network.name}`);
  }
  // Running or not: a switch that still holds its tap (a sandbox just ending) lets it go.
  await disconnectFromSwitch(store, network, record.id);
  forgetAttachment(store, record.id, network.id);
  plan.networks = plan.networks.filter((entry) => entry.network !== network.id);
  writeRecord(store, record);
  leaveNetwork(store, network, record.id);
}
