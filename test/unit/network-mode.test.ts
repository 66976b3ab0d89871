import { describe, expect, it } from 'vitest';
import { networkModeName, onDefaultNetwork, parseNetworkMode, slirpOptionArgs } from '../../src/network/mode.js';
import { normaliseNetworkPlan } from '../../src/container/record.js';
import { chooseHelper, tunProblem } from '../../src/network/helpers.js';
import { hostsFile, parseAddHost, wantsHostGateway } from '../../src/network/hosts.js';
import { resolvConf } from '../../src/network/resolv.js';
import { NETWORK_READY_STEP } from '../../src/rootfs/shell.js';
import { spawnSync } from 'node:child_process';

const names = { extraHosts: [], dns: [], dnsSearch: [], dnsOptions: [] };

describe('--network', () => {
  it('reads the modes as Docker and Podman spell them', () => {
    for (const spec of [undefined, 'default', 'bridge', 'private']) expect(parseNetworkMode(spec)).toEqual({ kind: 'private', helper: 'auto', options: [] });
    expect(parseNetworkMode('none')).toEqual({ kind: 'none' });
    expect(parseNetworkMode('host')).toEqual({ kind: 'host' });
    expect(parseNetworkMode('pasta')).toEqual({ kind: 'private', helper: 'pasta', options: [] });
    expect(parseNetworkMode('pasta:-U,53:5353,--ipv4-only')).toEqual({ kind: 'private', helper: 'pasta', options: ['-U', '53:5353', '--ipv4-only'] });
    expect(parseNetworkMode('slirp4netns:allow_host_loopback=true,mtu=1500')).toEqual({ kind: 'private', helper: 'slirp4netns', options: ['allow_host_loopback=true', 'mtu=1500'] });
    expect(parseNetworkMode('container:web')).toEqual({ kind: 'container', container: 'web' });
    expect(parseNetworkMode('backend')).toEqual({ kind: 'network', name: 'backend' });
  });

  it('refuses what it cannot read, with one line', () => {
    expect(() => parseNetworkMode('container:')).toThrow(/name the container/);
    expect(() => parseNetworkMode('bridge:x')).toThrow(/invalid --network "bridge:x"/);
    expect(() => parseNetworkMode('slirp4netns:port_handler=slirp4netns')).toThrow(/unsupported slirp4netns option "port_handler=slirp4netns"/);
    expect(() => parseNetworkMode('slirp4netns:mtu')).toThrow(/unsupported slirp4netns option "mtu"/);
  });

  it('turns Podman\'s slirp4netns options into slirp4netns\'s flags', () => {
    expect(slirpOptionArgs(['mtu=1500', 'cidr=10.5.0.0/24', 'enable_ipv6=true', 'allow_host_loopback=true'])).toEqual(['--mtu=1500', '--cidr=10.5.0.0/24', '--enable-ipv6']);
  });

  it('names the mode as HostConfig.NetworkMode does, and reads records from before issue 11', () => {
    const privatePlan = { mode: 'private' as const, helper: 'auto' as const, helperOptions: [], ports: [], publishAll: false, exposedPorts: [], networks: [] };
    expect(networkModeName(privatePlan)).toBe('bridge');
    expect(networkModeName({ ...privatePlan, helper: 'pasta', helperOptions: ['-4'] })).toBe('pasta:-4');
    expect(networkModeName({ mode: 'container', container: 'abc' }, () => 'web')).toBe('container:web');
    expect(normaliseNetworkPlan('host')).toEqual({ mode: 'host' });
    expect(normaliseNetworkPlan('none')).toEqual({ mode: 'none' });
    expect(normaliseNetworkPlan(privatePlan)).toBe(privatePlan);
  });

  it('a user network is the mode unless the container is on the default network too (connected later)', () => {
    const member = { network: 'n1', name: 'front', address: '10.89.0.2', prefixLength: 24, mac: '02:42:0a:59:00:02', aliases: [] };
    const privatePlan = { mode: 'private' as const, helper: 'auto' as const, helperOptions: [], ports: [], publishAll: false, exposedPorts: [], networks: [member] };
    expect(networkModeName({ ...privatePlan, defaultNetwork: false })).toBe('front');
    expect(networkModeName({ ...privatePlan, defaultNetwork: true })).toBe('bridge');
    // Records from before the flag: on the default network only without user networks.
    expect(onDefaultNetwork(privatePlan)).toBe(false);
    expect(onDefaultNetwork({ ...privatePlan, networks: [] })).toBe(true);
  });
});

describe('the helper of a start (this host: /dev/net/tun usable, as the bed makes it)', () => {
  const member = { network: 'n1', name: 'inner', address: '10.89.0.2', prefixLength: 24, mac: '02:42:0a:59:00:02', aliases: [] };
  const plan = { mode: 'private' as const, helper: 'auto' as const, helperOptions: [], ports: [], publishAll: false, exposedPorts: [], networks: [member], defaultNetwork: false };

  it.skipIf(tunProblem() !== undefined)('no outbound access (every network internal): no helper, the networks joined, nothing said', () => {
    expect(chooseHelper(plan, false)).toEqual({ helper: undefined, networksOnly: true });
    expect(chooseHelper({ ...plan, helper: 'pasta' }, false)).toEqual({ helper: undefined, networksOnly: true });
  });
});

describe('/etc/hosts and /etc/resolv.conf', () => {
  it('reads --add-host as Docker does', () => {
    expect(parseAddHost('db:192.0.2.7')).toEqual({ name: 'db', address: '192.0.2.7' });
    expect(parseAddHost('db=192.0.2.7')).toEqual({ name: 'db', address: '192.0.2.7' });
    expect(parseAddHost('v6:[2001:db8::1]')).toEqual({ name: 'v6', address: '2001:db8::1' });
    expect(parseAddHost('h:host-gateway')).toEqual({ name: 'h', address: 'host-gateway' });
    expect(() => parseAddHost('db:not-an-address')).toThrow(/invalid --add-host "db:not-an-address"/);
    expect(wantsHostGateway(['a:192.0.2.1', 'h:host-gateway'])).toBe(true);
    expect(wantsHostGateway(['a:192.0.2.1'])).toBe(false);
  });

  it('lists localhost, the container and the extra hosts', () => {
    expect(hostsFile({ hostname: 'web', name: 'app', address: '192.0.2.2', extraHosts: [{ name: 'db', address: '192.0.2.7' }] }))
      .toBe('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n192.0.2.2\tweb app\n192.0.2.7\tdb\n');
    expect(hostsFile({ hostname: 'web', extraHosts: [] })).toContain('127.0.1.1\tweb\n');
  });

  it('names the mode\'s nameserver, --dns replacing it, the host\'s search and options kept unless replaced', () => {
    const host = 'nameserver 10.255.255.53\nsearch corp.example\noptions ndots:3 edns0\n';
    expect(resolvConf({ nameservers: ['169.254.1.1'], names, host })).toBe('search corp.example\nnameserver 169.254.1.1\noptions ndots:3 edns0\n');
    expect(resolvConf({ nameservers: ['169.254.1.1'], names: { ...names, dns: ['192.0.2.53'], dnsSearch: ['a.example'], dnsOptions: ['ndots:1'] }, host }))
      .toBe('search a.example\nnameserver 192.0.2.53\noptions edns0 ndots:1\n');
    expect(resolvConf({ nameservers: [], names, host: '' })).toBe('');
  });
});

describe('the launcher\'s side of burrow-net', () => {
  it('says `ready PID` on fd 5 and closes it, and leaves the answer on fd 6 to burrow-init (bwrap\'s sandbox is built meanwhile)', () => {
    const ran = spawnSync('/bin/sh', ['-c', `fail() { printf 'fail %s %s\\n' "$1" "$why"; exit 125; }\nexec 5>&1 6<<EOF\ngo\nEOF\n${NETWORK_READY_STEP}{ echo more >&5; } 2>/dev/null || echo fd-5-closed; echo through; cat <&6`], { encoding: 'utf8' });
    expect(ran.status).toBe(0);
    expect(ran.stdout).toBe(`ready ${ran.pid}\nfd-5-closed\nthrough\ngo\n`);
  });

  it('fails as `network` when the agent is gone before the launcher could say ready', () => {
    const ran = spawnSync('/bin/sh', ['-c', `fail() { printf 'fail %s %s\\n' "$1" "$why"; exit 125; }\ntrap '' PIPE\nexec 5>&-\n${NETWORK_READY_STEP}echo through`], { encoding: 'utf8' });
    expect(ran.status).toBe(125);
    expect(ran.stdout).toBe('fail network the network agent ended before the container started\n');
  });
});
