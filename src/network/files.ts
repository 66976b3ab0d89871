import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hostsFile, HOST_CONTAINERS_INTERNAL, HOST_GATEWAY, parseAddHost } from './hosts.js';
import { hostResolvConf, hostWords, resolvConf } from './resolv.js';
import type { NameSettings, NetworkHelperName } from './types.js';

/**
 * A container's /etc/hosts, /etc/hostname and /etc/resolv.conf, in its directory
 * (bind-mounted by bwrap). Written at create, rewritten at each start for what the
 * start resolved (the helper, its addresses). Rewritten in place, never replaced:
 * a bind mount holds the inode, so a running container that shares them (and
 * burrow-switch, which keeps the hosts file's network sections) sees the change.
 * At start nothing else writes them: the container is not running, so no switch
 * has it as a member.
 */
export const NAME_FILES = { hosts: 'hosts', hostname: 'hostname', resolv: 'resolv.conf' } as const;

export const NO_NAMES: NameSettings = { extraHosts: [], dns: [], dnsSearch: [], dnsOptions: [] };

/** What a start knows of the container's network when it writes the files. */
export interface NameContext {
  hostname: string;
  name?: string | undefined;
  /** none, host, or the helper of a private network (undefined: none after the fallback). */
  network: 'none' | 'host' | NetworkHelperName;
  names: NameSettings;
  /** The container's own address, when known. */
  address?: string | undefined;
  /** Where the host's loopback is reached from inside (host-gateway), when asked for. */
  hostGateway?: string | undefined;
  /** The nameservers that answer inside (pasta's and slirp4netns's forwarders). */
  nameservers: string[];
}

/** Writes `text` into `path` keeping its inode (created when missing). */
export function writeInPlace(path: string, text: string): void {
  try {
    if (readFileSync(path, 'utf8') === text) return;
  } catch {
    // Not there yet: created below.
  }
  const fd = openSync(path, 'w', 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export function writeNameFiles(dir: string, context: NameContext): Array<{ source: string; target: string }> {
  const extraHosts = context.names.extraHosts.map(parseAddHost).flatMap((host) => {
    if (host.address !== HOST_GATEWAY) return [host];
    return context.hostGateway === undefined ? [] : [host];
  }).map((host) => (host.address === HOST_GATEWAY ? { name: host.name, address: context.hostGateway! } : host));
  if (context.hostGateway !== undefined) extraHosts.push({ name: HOST_CONTAINERS_INTERNAL, address: context.hostGateway });
  const host = hostResolvConf();
  const files = {
    hosts: hostsFile({ hostname: context.hostname, name: context.name, address: context.address, extraHosts }),
    hostname: `${context.hostname}\n`,
    resolv: context.network === 'host' && context.names.dns.length === 0 && context.names.dnsSearch.length === 0 && context.names.dnsOptions.length === 0
      ? host
      : resolvConf({ nameservers: context.network === 'host' ? hostWords(host, 'nameserver') : context.nameservers, names: context.names, host }),
  };
  writeInPlace(join(dir, NAME_FILES.hosts), files.hosts);
  writeInPlace(join(dir, NAME_FILES.hostname), files.hostname);
  writeInPlace(join(dir, NAME_FILES.resolv), files.resolv);
  return [
    { source: join(dir, NAME_FILES.hosts), target: '/etc/hosts' },
    { source: join(dir, NAME_FILES.hostname), target: '/etc/hostname' },
    { source: join(dir, NAME_FILES.resolv), target: '/etc/resolv.conf' },
  ];
}
