import { describe, expect, it } from 'vitest';
import { agentArgs, NET_BINARY, networksOnlyAgentArgs, parseDefaultRoute, withoutGiven } from '../../src/network/helper-args.js';
import type { NetworkPlan } from '../../src/network/types.js';
import { bootId } from '../../src/util/process-identity.js';

const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
`;

describe('the network agent\'s command (network/helper-args.ts)', () => {
  it('reads the default route from /proc/net/route (little-endian gateway), and nothing from a table without one', () => {
    expect(parseDefaultRoute(ROUTE)).toEqual({ iface: 'eth0', gateway: '192.0.2.1' });
    expect(parseDefaultRoute(ROUTE.split('\n').slice(0, 2).join('\n'))).toBeUndefined();
    expect(parseDefaultRoute('')).toBeUndefined();
  });

  it('drops burrow\'s `none` for a forwarding option the user gave, in either spelling', () => {
    expect(withoutGiven(['-T', 'none', '-U', 'none'], ['-U', '53:5353'])).toEqual(['-T', 'none']);
    expect(withoutGiven(['-T', 'none', '-U', 'none'], ['--tcp-ns=8080'])).toEqual(['-U', 'none']);
    expect(withoutGiven(['-t', '8080:80', '-U', 'none'], ['-t', '9090'])).toEqual(['-t', '8080:80', '-U', 'none']);
  });

  it('gives burrow-net the helper\'s options one --helper-arg each, slirp4netns\'s ports as --slirp-hostfwd', () => {
    const plan = { mode: 'private', helper: 'auto', helperOptions: [], networks: [], ports: [], exposedPorts: [], publishAll: false } as unknown as Extract<NetworkPlan, { mode: 'private' }>;
    const pasta = agentArgs('/d', 'pasta', plan, [], false);
    // The boot id is burrow's to read (util/process-identity.ts), handed to the agent for the helper's identity.
    expect(pasta.slice(0, 7)).toEqual([NET_BINARY, '--dir', '/d', '--boot-id', bootId(), '--helper', 'pasta']);
    expect(pasta.at(-1)).toBe('--');
    expect(pasta).toContain('--no-map-gw');
    expect(agentArgs('/d', 'pasta', plan, [], true)).not.toContain('--no-map-gw');
    const slirp = agentArgs('/d', 'slirp4netns', plan, [], false);
    expect(slirp).toContain('--disable-host-loopback');
    expect(networksOnlyAgentArgs('/d')).toEqual([NET_BINARY, '--dir', '/d', '--boot-id', bootId(), '--helper', 'none', '--']);
  });
});
