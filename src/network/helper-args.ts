import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { nativeBinary } from '../util/native.js';
import { bootId } from '../util/process-identity.js';
import { PASTA_DNS } from './helpers.js';
import { slirpOptionArgs } from './mode.js';
import { pastaPortArgs, slirpHostfwdArgs } from './ports.js';
import type { NetworkHelperName, NetworkPlan, PublishedPort } from './types.js';

/**
 * The command of the network agent (native/burrow-net.c) for a start, and the
 * host facts its helper copies: what goes in front of the launcher, decided in
 * container/network.ts.
 */

export const NET_BINARY = nativeBinary('burrow-net');

type PrivatePlan = Extract<NetworkPlan, { mode: 'private' }>;

/** The host's default route (interface and gateway) in /proc/net/route's text, or undefined. */
export function parseDefaultRoute(text: string): { iface: string; gateway: string } | undefined {
  for (const line of text.split('\n').slice(1)) {
    const [iface, destination, gateway] = line.trim().split(/\s+/);
    if (iface === undefined || destination !== '00000000' || gateway === undefined) continue;
    const value = parseInt(gateway, 16);
    // Little-endian hex, as the kernel prints it.
    return { iface, gateway: [value & 255, (value >>> 8) & 255, (value >>> 16) & 255, (value >>> 24) & 255].join('.') };
  }
  return undefined;
}

/** pasta's view: the host's address on its default route (copied into the namespace) and its gateway. */
export function pastaAddresses(): { address?: string; gateway?: string } {
  let text: string;
  try {
    text = readFileSync('/proc/net/route', 'latin1');
  } catch {
    return {};
  }
  const route = parseDefaultRoute(text);
  if (route === undefined) return {};
  const address = networkInterfaces()[route.iface]?.find((entry) => entry.family === 'IPv4')?.address;
  return { ...(address === undefined ? {} : { address }), gateway: route.gateway };
}

/** pasta's spellings of its four forwarding options: one the user gave (`pasta:-U,53:5353`) replaces burrow's `none`. */
const PASTA_FORWARDS: Record<string, string> = { '-t': '--tcp-ports', '-u': '--udp-ports', '-T': '--tcp-ns', '-U': '--udp-ns' };

/** `defaults` (pairs of a forwarding option and `none`) without the pairs whose option `given` holds. */
export function withoutGiven(defaults: string[], given: string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < defaults.length; index += 2) {
    const option = defaults[index]!;
    const long = PASTA_FORWARDS[option];
    if (defaults[index + 1] === 'none' && given.some((word) => word === option || word === long || (long !== undefined && word.startsWith(`${long}=`)))) continue;
    kept.push(option, defaults[index + 1]!);
  }
  return kept;
}

/** burrow-net's command for the helper of this start (it finds the networks to join as DIR/ *.attach, written by prepareAttachments). */
export function agentArgs(dir: string, helper: NetworkHelperName, plan: PrivatePlan, ports: PublishedPort[], hostGateway: boolean): string[] {
  let helperArgs: string[];
  let extra: string[] = [];
  if (helper === 'pasta') {
    // Podman's pasta options; --no-map-gw keeps the host's loopback out of reach unless host-gateway was asked for.
    helperArgs = ['--config-net', '--quiet', ...withoutGiven(['-T', 'none', '-U', 'none', ...pastaPortArgs(ports)], plan.helperOptions), '--dns-forward', PASTA_DNS, ...(hostGateway ? [] : ['--no-map-gw']), ...(plan.mac === undefined ? [] : ['--ns-mac-addr', plan.mac]), ...plan.helperOptions];
  } else {
    const allowLoopback = hostGateway || plan.helperOptions.includes('allow_host_loopback=true');
    helperArgs = ['--configure', '--mtu=65520', ...(allowLoopback ? [] : ['--disable-host-loopback']), ...(plan.mac === undefined ? [] : [`--macaddress=${plan.mac}`]), ...slirpOptionArgs(plan.helperOptions)];
    extra = slirpHostfwdArgs(ports);
  }
  return [NET_BINARY, '--dir', dir, '--boot-id', bootId(), '--helper', helper, ...helperArgs.flatMap((arg) => ['--helper-arg', arg]), ...extra, '--'];
}

/** burrow-net's command without a helper: the loopback and the user networks alone. */
export function networksOnlyAgentArgs(dir: string): string[] {
  return [NET_BINARY, '--dir', dir, '--boot-id', bootId(), '--helper', 'none', '--'];
}
