import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { BurrowError } from '../../src/errors.js';
import {
  inspectExposedPorts, inspectPortBindings, inspectPorts, parseExpose, parsePublish, pastaPortArgs, portLines, portsColumn, resolvePorts, slirpHostfwdArgs, udpPortNote,
} from '../../src/network/ports.js';
import type { PublishedPort } from '../../src/network/types.js';

const tcp = (hostIp: string, hostPort: number, containerPort: number): PublishedPort => ({ hostIp, hostPort, containerPort, protocol: 'tcp' });
const udp = (hostIp: string, hostPort: number, containerPort: number): PublishedPort => ({ hostIp, hostPort, containerPort, protocol: 'udp' });

function listening(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => resolve(server));
  });
}
const portOf = (server: Server): number => (server.address() as { port: number }).port;
const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/** The message of what `run` throws, to check it is one line naming the spec and the form. */
function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BurrowError);
    return (error as BurrowError).message;
  }
  throw new Error('expected a BurrowError');
}

describe('-p as Docker reads it (docker run --help, "Publish or expose port")', () => {
  it('containerPort alone: a free host port on every address, tcp by default', () => {
    expect(parsePublish('80')).toEqual([{ hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
  });

  it('hostPort:containerPort, with /udp and /tcp (any case)', () => {
    expect(parsePublish('8080:80')).toEqual([{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    expect(parsePublish('5353:53/udp')).toEqual([{ hostIp: '', hostPort: 5353, containerPort: 53, protocol: 'udp' }]);
    expect(parsePublish('8080:80/TCP')[0]!.protocol).toBe('tcp');
  });

  it('hostIP:hostPort:containerPort and hostIP::containerPort (a free port on that address)', () => {
    expect(parsePublish('127.0.0.1:8080:80')).toEqual([{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    expect(parsePublish('127.0.0.1::80/udp')).toEqual([{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'udp' }]);
  });

  it('an IPv6 host address in brackets', () => {
    expect(parsePublish('[::1]:8080:80')).toEqual([{ hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    expect(parsePublish('[::1]::80')).toEqual([{ hostIp: '::1', hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
  });

  it('ranges of equal length on both sides, one mapping per port; a container range alone gets free ports', () => {
    expect(parsePublish('8000-8002:80-82')).toEqual([80, 81, 82].map((port, index) => ({ hostIp: '', hostPort: 8000 + index, containerPort: port, protocol: 'tcp' })));
    expect(parsePublish('127.0.0.1:7000-7001:7000-7001/udp').map((port) => `${port.hostIp} ${port.hostPort}->${port.containerPort}/${port.protocol}`)).toEqual(['127.0.0.1 7000->7000/udp', '127.0.0.1 7001->7001/udp']);
    expect(parsePublish('9000-9001').map((port) => [port.hostPort, port.containerPort])).toEqual([[0, 9000], [0, 9001]]);
  });

  it('a host range for one container port is "the first free one of the range", as Docker reads 8000-8010:80', () => {
    expect(parsePublish('127.0.0.1:8000-8010:80/udp')).toEqual([{ hostIp: '127.0.0.1', hostPort: 8000, hostPortEnd: 8010, containerPort: 80, protocol: 'udp' }]);
    expect(inspectPortBindings(parsePublish('8000-8010:80'))).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '8000-8010' }] });
  });

  it('0 as the host port is "a free one", as Docker reads it', () => {
    expect(parsePublish('0:80')).toEqual([{ hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
  });

  it.each([
    ['', 'no container port'],
    ['8080:', 'no container port'],
    ['abc', '"abc" is not a container port'],
    ['0', '"0" is not a container port'],
    ['65536', '"65536" is not a container port'],
    ['8080:80/sctp', 'unsupported protocol "sctp"'],
    ['8080:80/icmp', 'unsupported protocol "icmp"'],
    ['8000-8010:80-85', 'differ in length'],
    ['8000-8002:80-81', 'differ in length'],
    ['90-80:80-90', '"90-80" is not a host port or range'],
    ['x:80', '"x" is not a host port'],
    ['300.0.0.1:8080:80', '"300.0.0.1" is not an IPv4 address'],
    ['localhost:8080:80', '"localhost" is not an IPv4 address'],
    ['::1:8080:80', 'too many ":"'],
    ['[::1:8080:80', 'must be followed by ":"'],
    ['[1.2.3.4]:8080:80', '"1.2.3.4" is not an IPv6 address'],
    ['[::1]:80', 'needs hostPort:containerPort'],
  ])('refuses "%s" in one line naming it and the right form (%s)', (spec, problem) => {
    const message = failure(() => parsePublish(spec));
    expect(message).toContain(`invalid -p "${spec}"`);
    expect(message).toContain(problem);
    expect(message).toContain('[hostIP:][hostPort:]containerPort[/tcp|udp]');
    expect(message).not.toContain('\n');
  });
});

describe('--expose and the image ExposedPorts keys', () => {
  it('PORT, PORT/proto and ranges', () => {
    expect(parseExpose('80')).toEqual([{ port: 80, protocol: 'tcp' }]);
    expect(parseExpose('53/udp')).toEqual([{ port: 53, protocol: 'udp' }]);
    expect(parseExpose('7000-7002/tcp').map((port) => port.port)).toEqual([7000, 7001, 7002]);
    expect(failure(() => parseExpose('http'))).toContain('invalid --expose "http"');
  });
});

describe('the host ports of a start (bound here, each checked free)', () => {
  it('a taken TCP port is one line naming port, protocol and address', async () => {
    const server = await listening('127.0.0.1');
    const taken = portOf(server);
    try {
      const error = await resolvePorts([{ hostIp: '127.0.0.1', hostPort: taken, containerPort: 80, protocol: 'tcp' }], [], false).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BurrowError);
      expect((error as BurrowError).message).toMatch(new RegExp(`^port ${taken}/tcp on 127\\.0\\.0\\.1 is already in use: `));
      expect((error as BurrowError).code).toBe('IN_USE');
      // On every address: a listener on 127.0.0.1 takes the port for 0.0.0.0 too.
      const all = await resolvePorts([{ hostIp: '', hostPort: taken, containerPort: 80, protocol: 'tcp' }], [], false).catch((caught: unknown) => caught);
      expect((all as BurrowError).message).toContain(`port ${taken}/tcp on 0.0.0.0 is already in use`);
    } finally {
      await close(server);
    }
  });

  it('a taken UDP port is refused; the same number over TCP is free', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind({ address: '127.0.0.1', port: 0 }, resolve));
    const taken = socket.address().port;
    try {
      await expect(resolvePorts([{ hostIp: '127.0.0.1', hostPort: taken, containerPort: 53, protocol: 'udp' }], [], false)).rejects.toThrow(`port ${taken}/udp on 127.0.0.1 is already in use`);
      await expect(resolvePorts([{ hostIp: '127.0.0.1', hostPort: taken, containerPort: 53, protocol: 'tcp' }], [], false)).resolves.toHaveLength(1);
    } finally {
      socket.close();
    }
  });

  it('free ports for hostPort 0 and for -P, distinct, released afterwards; -p wins over -P for the same port', async () => {
    const ports = await resolvePorts(
      [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' }, { hostIp: '', hostPort: 0, containerPort: 81, protocol: 'tcp' }],
      [{ port: 80, protocol: 'tcp' }, { port: 443, protocol: 'tcp' }, { port: 53, protocol: 'udp' }],
      true,
    );
    expect(ports.map((port) => `${port.hostIp}>${port.containerPort}/${port.protocol}`).sort()).toEqual(['127.0.0.1>80/tcp', '>443/tcp', '>81/tcp', '>53/udp'].sort());
    const tcpPorts = ports.filter((port) => port.protocol === 'tcp').map((port) => port.hostPort);
    expect(new Set(tcpPorts).size).toBe(tcpPorts.length);
    for (const port of ports) expect(port.hostPort).toBeGreaterThan(1023);
    // Released: each can be bound again at once.
    const again = await resolvePorts(ports.map((port) => ({ ...port })), [], false);
    expect(again.map((port) => port.hostPort).sort()).toEqual(ports.map((port) => port.hostPort).sort());
  });

  it('a host range gives its first free port, past one taken; a range with none free is one line', async () => {
    const taken = await listening('127.0.0.1');
    const first = portOf(taken);
    try {
      const [port] = await resolvePorts(parsePublish(`127.0.0.1:${first}-${first + 20}:80`), [], false);
      expect(port!.hostPort).toBeGreaterThan(first);
      expect(port!.hostPort).toBeLessThanOrEqual(first + 20);
      expect(port).not.toHaveProperty('hostPortEnd');
      await expect(resolvePorts(parsePublish(`127.0.0.1:${first}-${first}:80`), [], false)).rejects.toThrow(`port ${first}/tcp on 127.0.0.1 is already in use`);
      // Two container ports on one range: distinct host ports.
      const two = await resolvePorts([...parsePublish(`127.0.0.1:${first}-${first + 20}:80`), ...parsePublish(`127.0.0.1:${first}-${first + 20}:81`)], [], false);
      expect(two[0]!.hostPort).not.toBe(two[1]!.hostPort);
    } finally {
      taken.close();
    }
  });

  it('-P without exposed ports, and nothing asked, publish nothing', async () => {
    await expect(resolvePorts([], [], true)).resolves.toEqual([]);
    await expect(resolvePorts([], [{ port: 80, protocol: 'tcp' }], false)).resolves.toEqual([]);
  });

  it('one host port asked twice is refused before anything is bound', async () => {
    await expect(resolvePorts([...parsePublish('18080:80'), ...parsePublish('127.0.0.1:18080:81')], [], false)).rejects.toThrow('host port 18080/tcp is published twice (for container ports 80 and 81)');
  });

  it('an address that is not the host\'s is named', async () => {
    await expect(resolvePorts(parsePublish('192.0.2.254:18081:80'), [], false)).rejects.toThrow('192.0.2.254 is not an address of this host');
  });
});

describe("the helpers' spellings", () => {
  it('pasta: -t/-u [ADDR/]HOST:CONTAINER, runs grouped into ranges, none for an absent protocol (checked with pasta 2023-03-09)', () => {
    expect(pastaPortArgs([])).toEqual(['-t', 'none', '-u', 'none']);
    expect(pastaPortArgs([tcp('', 8080, 80), tcp('127.0.0.1', 9000, 90), tcp('::1', 9001, 90)])).toEqual(['-t', '8080:80', '-t', '::1/9001:90', '-t', '127.0.0.1/9000:90', '-u', 'none']);
    expect(pastaPortArgs(parsePublish('127.0.0.1:8000-8002:80-82/udp').map((port) => ({ ...port })))).toEqual(['-t', 'none', '-u', '127.0.0.1/8000-8002:80-82']);
    // Not consecutive on the host side: two entries.
    expect(pastaPortArgs([tcp('', 8000, 80), tcp('', 8005, 81)])).toEqual(['-t', '8000:80', '-t', '8005:81', '-u', 'none']);
  });

  it('slirp4netns: PROTO:HOSTIP:HOSTPORT:GUESTPORT per port, IPv6 host addresses refused in one line', () => {
    expect(slirpHostfwdArgs([tcp('', 8080, 80), udp('127.0.0.1', 5353, 53)])).toEqual(['--slirp-hostfwd', 'tcp::8080:80', '--slirp-hostfwd', 'udp:127.0.0.1:5353:53']);
    expect(failure(() => slirpHostfwdArgs([tcp('::1', 8080, 80)]))).toContain('cannot be published on ::1 with slirp4netns');
  });
});

describe('showing ports as Docker does', () => {
  const ports = [tcp('', 8080, 80), udp('127.0.0.1', 5353, 53), tcp('::1', 8443, 443), ...[0, 1, 2].map((index) => tcp('', 9000 + index, 7000 + index))];

  it('burrow port: every mapping, or the addresses of one port', () => {
    expect(portLines(ports)).toEqual(['80/tcp -> 0.0.0.0:8080', '443/tcp -> [::1]:8443', '7000/tcp -> 0.0.0.0:9000', '7001/tcp -> 0.0.0.0:9001', '7002/tcp -> 0.0.0.0:9002', '53/udp -> 127.0.0.1:5353']);
    expect(portLines(ports, '80')).toEqual(['0.0.0.0:8080']);
    expect(portLines(ports, '53/udp')).toEqual(['127.0.0.1:5353']);
    expect(portLines(ports, '53')).toEqual([]);
    expect(failure(() => portLines(ports, 'eighty'))).toContain('invalid port "eighty"');
  });

  it("ps's PORTS column, consecutive ports grouped into a range", () => {
    expect(portsColumn(ports)).toBe('0.0.0.0:8080->80/tcp, [::1]:8443->443/tcp, 0.0.0.0:9000-9002->7000-7002/tcp, 127.0.0.1:5353->53/udp');
    expect(portsColumn([])).toBe('');
  });

  it("inspect: NetworkSettings.Ports, HostConfig.PortBindings as asked, Config.ExposedPorts", () => {
    expect(inspectPorts([{ port: 80, protocol: 'tcp' }, { port: 9999, protocol: 'tcp' }], [tcp('', 8080, 80), tcp('127.0.0.1', 8081, 80)])).toEqual({
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '8081' }],
      '9999/tcp': null,
    });
    expect(inspectPortBindings([...parsePublish('8080:80'), ...parsePublish('127.0.0.1::53/udp')])).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    expect(inspectExposedPorts([{ port: 80, protocol: 'tcp' }], parsePublish('8080:80'))).toEqual({ '80/tcp': {} });
    expect(inspectExposedPorts([], parsePublish('53/udp'))).toEqual({ '53/udp': {} });
  });
});

describe("the image's ExposedPorts (what -P publishes)", () => {
  it('keys as Docker writes them; sctp left out; a malformed key refuses the image in one line', async () => {
    const { imageRuntimeConfig } = await import('../../src/container/image-config.js');
    expect(imageRuntimeConfig({ ExposedPorts: { '80/tcp': {}, '53/udp': {}, '9000-9001': {}, '132/sctp': {} } }, 'img').exposedPorts).toEqual([
      { port: 80, protocol: 'tcp' }, { port: 53, protocol: 'udp' }, { port: 9000, protocol: 'tcp' }, { port: 9001, protocol: 'tcp' },
    ]);
    expect(imageRuntimeConfig({}, 'img').exposedPorts).toEqual([]);
    expect(failure(() => imageRuntimeConfig({ ExposedPorts: { 'http/tcp': {} } }, 'img'))).toContain('image img has an invalid config: ExposedPorts names "http/tcp"');
  });
});

describe("the UDP limits of Debian 12's helpers, named at the start", () => {
  it('pasta: a renumbered UDP port, and clients off the loopback without host-gateway', () => {
    expect(udpPortNote('pasta', [tcp('', 8080, 80), udp('127.0.0.1', 5353, 5353)], false)).toBeUndefined();
    expect(udpPortNote('pasta', [udp('127.0.0.1', 5353, 53)], false)).toMatch(/^burrow: note: .*127\.0\.0\.1:5353->53\/udp: publish it on its own number, -p 53:53\/udp\)$/);
    const both = udpPortNote('pasta', [udp('', 5353, 53)], false)!;
    expect(both).toContain('loopback get no replies');
    expect(both).toContain('unless --add-host NAME:host-gateway');
    expect(udpPortNote('pasta', [udp('', 5353, 5353)], true)).toBeUndefined();
  });

  it('slirp4netns: clients on the loopback, unless host-gateway', () => {
    expect(udpPortNote('slirp4netns', [udp('', 5353, 53)], false)).toMatch(/^burrow: note: with slirp4netns, clients on the host's loopback get no UDP replies \(0\.0\.0\.0:5353->53\/udp\)/);
    expect(udpPortNote('slirp4netns', [udp('192.0.2.2', 5353, 53)], false)).toBeUndefined();
    expect(udpPortNote('slirp4netns', [udp('', 5353, 53)], true)).toBeUndefined();
    expect(udpPortNote('slirp4netns', [tcp('', 8080, 80)], false)).toBeUndefined();
  });
});
