import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  chooseSubnet, createNetwork, findNetwork, inspectNetwork, joinNetwork, leaveNetwork, listNetworks, lowestFreeAddress,
  macForAddress, parseSubnet, pruneNetworks, removeNetwork,
} from '../../src/network/records.js';
import { Store } from '../../src/store/store.js';

/* User-defined networks' records and address leases, in a store of their own (no containers run). */
let base: string;
let store: Store;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'burrow-netrec-'));
  store = new Store(join(base, 'store'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** A container as far as leases care: its directory exists (create makes it before the network is planned). */
function container(id: string): string {
  mkdirSync(join(store.paths.containers, id), { recursive: true });
  return id;
}

describe('subnets and addresses', () => {
  it('parses a subnet and refuses host bits, a bad prefix and text', () => {
    expect(parseSubnet('10.89.3.0/24')).toEqual({ base: (10 << 24 | 89 << 16 | 3 << 8) >>> 0, prefixLength: 24 });
    expect(() => parseSubnet('10.89.3.7/24')).toThrow('the network is 10.89.3.0/24');
    expect(() => parseSubnet('10.89.3.0/31')).toThrow('prefix from 8 to 30');
    expect(() => parseSubnet('10.89.300.0/24')).toThrow('invalid subnet');
    expect(() => parseSubnet('banana')).toThrow('invalid subnet');
  });

  it('chooses the first 10.89.N.0/24 that overlaps no network', () => {
    expect(chooseSubnet([])).toEqual(parseSubnet('10.89.0.0/24'));
    expect(chooseSubnet([parseSubnet('10.89.0.0/23'), parseSubnet('10.89.3.0/24')])).toEqual(parseSubnet('10.89.2.0/24'));
  });

  it('gives the lowest free host address from .2, never the broadcast', () => {
    const subnet = parseSubnet('10.89.0.0/30');
    expect(lowestFreeAddress(subnet, new Set())).toBe('10.89.0.2');
    expect(lowestFreeAddress(subnet, new Set(['10.89.0.2']))).toBeUndefined();
  });

  it('makes Docker-style MACs from addresses', () => {
    expect(macForAddress('10.89.0.2')).toBe('02:42:0a:59:00:02');
    expect(macForAddress('172.18.255.254')).toBe('02:42:ac:12:ff:fe');
  });
});

describe('network records', () => {
  it('creates networks with distinct subnets and unique names, found by name or id prefix', () => {
    const first = createNetwork(store, 'front');
    const second = createNetwork(store, 'back', { internal: true, labels: { team: 'ci' } });
    expect(first.subnet).toBe('10.89.0.0/24');
    expect(second.subnet).toBe('10.89.1.0/24');
    expect(first.id).toMatch(/^[0-9a-f]{64}$/);
    expect(findNetwork(store, 'back')?.id).toBe(second.id);
    expect(findNetwork(store, second.id.slice(0, 8))?.name).toBe('back');
    expect(findNetwork(store, 'nothing')).toBeUndefined();
    expect(() => createNetwork(store, 'front')).toThrow('network with name front already exists');
    expect(listNetworks(store).map((network) => network.name)).toEqual(['front', 'back']);
  });

  it('refuses mode names, bad names and overlapping subnets', () => {
    for (const name of ['none', 'host', 'bridge', 'pasta']) expect(() => createNetwork(store, name)).toThrow('is a network mode');
    expect(() => createNetwork(store, 'a b')).toThrow('invalid network name');
    expect(() => createNetwork(store, 'container:x')).toThrow('invalid network name');
    createNetwork(store, 'wide', { subnet: '10.90.0.0/16' });
    expect(() => createNetwork(store, 'inside', { subnet: '10.90.7.0/24' })).toThrow("overlaps network wide's 10.90.0.0/16");
  });

  it('shows a network as Docker inspect does', () => {
    const network = createNetwork(store, 'shown', { subnet: '192.168.77.0/24', labels: { a: 'b' } });
    const shown = inspectNetwork(store, network);
    expect(shown).toMatchObject({ Name: 'shown', Id: network.id, Driver: 'bridge', Internal: false, Labels: { a: 'b' }, Containers: {} });
    expect(shown.IPAM.Config).toEqual([{ Subnet: '192.168.77.0/24' }]);
  });
});

describe('joining a network', () => {
  it('gives each container the lowest free address and its MAC, and the same one again when it joins again', () => {
    const network = createNetwork(store, 'n');
    const a = joinNetwork(store, network, container('a'.repeat(64)), ['db']);
    const b = joinNetwork(store, network, container('b'.repeat(64)), []);
    expect(a).toMatchObject({ network: network.id, name: 'n', address: '10.89.0.2', prefixLength: 24, mac: '02:42:0a:59:00:02', aliases: ['db'] });
    expect(b.address).toBe('10.89.0.3');
    expect(joinNetwork(store, network, 'a'.repeat(64), []).address).toBe('10.89.0.2');
    expect(joinNetwork(store, network, container('c'.repeat(64)), [], '02:00:00:00:00:09').mac).toBe('02:00:00:00:00:09');
  });

  it('frees an address when its container is removed or leaves', () => {
    const network = createNetwork(store, 'n');
    joinNetwork(store, network, container('a'.repeat(64)), []);
    joinNetwork(store, network, container('b'.repeat(64)), []);
    rmSync(join(store.paths.containers, 'a'.repeat(64)), { recursive: true });
    expect(joinNetwork(store, network, container('c'.repeat(64)), []).address).toBe('10.89.0.2');
    leaveNetwork(store, network, 'b'.repeat(64));
    expect(joinNetwork(store, network, container('d'.repeat(64)), []).address).toBe('10.89.0.3');
  });

  it('refuses an alias that is not one name, and a full network', () => {
    const network = createNetwork(store, 'tiny', { subnet: '10.91.0.0/30' });
    expect(() => joinNetwork(store, network, container('a'.repeat(64)), ['two words'])).toThrow('invalid network alias');
    joinNetwork(store, network, container('b'.repeat(64)), []);
    expect(() => joinNetwork(store, network, container('c'.repeat(64)), [])).toThrow('network tiny has no free address left in 10.91.0.0/30');
  });

  it('keeps a used network from rm and prune, and lets both remove it once its containers are gone', () => {
    const used = createNetwork(store, 'used');
    const unused = createNetwork(store, 'unused');
    joinNetwork(store, used, container('a'.repeat(64)), []);
    expect(() => removeNetwork(store, 'used')).toThrow(`network used is in use by container ${'a'.repeat(12)}`);
    expect(pruneNetworks(store)).toEqual(['unused']);
    expect(findNetwork(store, unused.id)).toBeUndefined();
    rmSync(join(store.paths.containers, 'a'.repeat(64)), { recursive: true });
    expect(removeNetwork(store, 'used').name).toBe('used');
    expect(listNetworks(store)).toEqual([]);
    expect(() => joinNetwork(store, used, container('b'.repeat(64)), [])).toThrow('no such network: used');
  });
});
