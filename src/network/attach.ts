import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { containerDir } from '../container/record.js';
import { BurrowError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Store } from '../store/store.js';
import { findNetwork, switchSocketPath } from './records.js';
import { ensureSwitch } from './switch.js';
import type { NetworkAttachment } from './types.js';

/**
 * A start's user-defined networks: each network's switch made sure to run, and
 * one attach file per network in the container's directory (DIR/network-ID.attach),
 * which burrow-net reads at each launch and gives to `burrow-netattach --target
 * PID FILE` (native/burrow-netattach.c).
 */
export async function prepareAttachments(store: Store, containerId: string, containerName: string, hostsFile: string, attachments: NetworkAttachment[]): Promise<string[]> {
  const files: string[] = [];
  for (const [index, attachment] of attachments.entries()) {
    // eth0 is the helper's (pasta, slirp4netns); the networks follow in the order the container joined them.
    files.push(await prepareAttachment(store, containerId, containerName, hostsFile, attachment, `eth${index + 1}`));
  }
  // burrow-net joins every DIR/*.attach at each launch (a restart by the monitor too): none of a network left.
  const dir = containerDir(store, containerId);
  for (const name of readdirSync(dir)) {
    if (name.endsWith(ATTACH_SUFFIX) && !files.includes(join(dir, name))) rmSync(join(dir, name), { force: true });
  }
  return files;
}

const ATTACH_SUFFIX = '.attach';

function attachFile(store: Store, containerId: string, networkId: string): string {
  return join(containerDir(store, containerId), `network-${networkId.slice(0, 12)}${ATTACH_SUFFIX}`);
}

/** `network disconnect`: the next launch (a restart by the monitor too) does not join the network again. */
export function forgetAttachment(store: Store, containerId: string, networkId: string): void {
  rmSync(attachFile(store, containerId, networkId), { force: true });
}

/**
 * One network's attach file (its switch running): `ifname` is the tap's name
 * (`eth%d` lets the kernel pick the lowest free one, for `network connect`).
 */
export async function prepareAttachment(store: Store, containerId: string, containerName: string, hostsFile: string, attachment: NetworkAttachment, ifname: string): Promise<string> {
  const network = findNetwork(store, attachment.network);
  if (network === undefined) throw new BurrowError('NOT_FOUND', `network ${attachment.name} of container ${containerName} no longer exists: disconnect it (burrow network disconnect ${attachment.name} ${containerName}) or create it again`);
  await ensureSwitch(store, network);
  const file = attachFile(store, containerId, network.id);
  writeFileAtomic(file, attachText({
    socket: switchSocketPath(store, network.id),
    ifname,
    address: attachment.address,
    prefix: String(attachment.prefixLength),
    mac: attachment.mac,
    container: containerId,
    name: containerName,
    // Peers find the container by name, aliases and short id, as Docker's resolver answers them.
    aliases: [...new Set([...attachment.aliases, containerId.slice(0, 12)])].filter((alias) => alias !== containerName).join(' '),
    hosts: hostsFile,
  }), 0o600);
  return file;
}

/** key=value lines; a value never spans lines (the switch writes them into hosts files). */
export function attachText(fields: Record<string, string>): string {
  return Object.entries(fields).map(([key, value]) => {
    if (/[\n\r#]/.test(value)) throw new BurrowError('INVALID_ARGUMENT', `the network ${key} "${value}" has a character a hosts file cannot hold`);
    return `${key}=${value}\n`;
  }).join('');
}
