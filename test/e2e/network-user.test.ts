import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, removeAllContainers, run } from '../helpers/cli.js';
import { busybox, suiteSandbox } from '../helpers/suite.js';
import { until } from '../helpers/poll.js';

/*
 * User-defined networks end to end, as the unprivileged test user: containers
 * started with --network NAME get a tap on the network's switch
 * (native/burrow-switch.c) beside their own pasta/slirp4netns, find their peers
 * by name and alias in /etc/hosts, and reach them with busybox nc; all traffic
 * stays in namespaces the test made.
 */
const box = suiteSandbox();

/**
 * A name not in /etc/hosts is asked of the container's resolver: 127.0.0.1 inside
 * refuses at once, where pasta's would forward the query off this machine.
 */
const LOCAL_DNS = ['--dns', '127.0.0.1'];

/** A server in the container: answers each connection to 8080 with one line. */
const SERVE = (text: string): string[] => ['sh', '-c', `while true; do echo ${text} | busybox nc -l -p 8080; done`];

beforeAll(async () => {
  expect((await run(box, ['network', 'create', 'front'])).exitCode).toBe(0);
  expect((await run(box, ['network', 'create', 'back'])).exitCode).toBe(0);
});

const runDetached = async (args: string[]): Promise<string> => {
  const result = await run(box, ['run', '-d', ...args]);
  if (result.exitCode !== 0) throw new Error(`burrow run -d failed (${result.exitCode}): ${result.stderr}`);
  return result.stdout.trim();
};

/** What `nc HOST 8080` inside a running container reads ('' when it reaches nothing). */
const fetchFrom = async (container: string, host: string): Promise<string> => (await run(box, ['exec', container, 'busybox', 'nc', '-w', '2', host, '8080'])).stdout.trim();

interface InspectedNetwork { Name: string; Id: string; Driver: string; IPAM: { Config: Array<{ Subnet: string }> }; Containers: Record<string, { Name: string; IPv4Address: string; MacAddress: string }> }
const inspectNetwork = async (name: string): Promise<InspectedNetwork> => (JSON.parse((await run(box, ['network', 'inspect', name])).stdout) as InspectedNetwork[])[0]!;

/** burrow-switch processes of this test's store. */
const switches = async (): Promise<string[]> => (await execa('pgrep', ['-a', '-f', `burrow-switch ${box.root}`], { reject: false })).stdout.split('\n').filter(Boolean);

describe('user-defined networks', () => {
  it('lists and inspects networks as Docker does', async () => {
    const listed = await run(box, ['network', 'ls']);
    expect(listed.stdout).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE\n/);
    expect(listed.stdout).toMatch(/front\s+bridge\s+local/);
    const front = await inspectNetwork('front');
    expect(front).toMatchObject({ Name: 'front', Driver: 'bridge' });
    expect(front.IPAM.Config[0]!.Subnet).toMatch(/^10\.89\.\d+\.0\/24$/);
    expect(front.Id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lets two containers on one network reach each other by name and by alias', async () => {
    await runDetached([...LOCAL_DNS, '--name', 'web', '--network', 'front', '--network-alias', 'www', busybox(), ...SERVE('hello-from-web')]);
    await runDetached([...LOCAL_DNS, '--name', 'client', '--network', 'front', busybox(), 'sleep', '300']);
    await until(async () => (await fetchFrom('client', 'web')) === 'hello-from-web', 20_000, 'client reaches web by name');
    expect(await fetchFrom('client', 'www')).toBe('hello-from-web');
    const hosts = (await run(box, ['exec', 'client', 'cat', '/etc/hosts'])).stdout;
    expect(hosts).toMatch(/# network front\n(.*\n)*10\.89\.\d+\.\d+\tweb www /);
    const members = Object.values((await inspectNetwork('front')).Containers);
    expect(members.map((member) => member.Name).sort()).toEqual(['client', 'web']);
    for (const member of members) expect(member.IPv4Address).toMatch(/^10\.89\.\d+\.\d+\/24$/);
    const inspected = (JSON.parse((await run(box, ['inspect', 'web'])).stdout) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string; Aliases: string[] }> } }>)[0]!;
    expect(inspected.NetworkSettings.Networks.front).toMatchObject({ IPAddress: members.find((member) => member.Name === 'web')!.IPv4Address.split('/')[0], Aliases: ['www'] });
  });

  it('keeps a container on another network from reaching them, by name or by address', async () => {
    await runDetached([...LOCAL_DNS, '--cap-add', 'NET_ADMIN', '--name', 'stranger', '--network', 'back', busybox(), 'sleep', '300']);
    const web = Object.values((await inspectNetwork('front')).Containers).find((member) => member.Name === 'web')!;
    const address = web.IPv4Address.split('/')[0]!;
    // The same request reaches web from its own network: the refusal below is the isolation, not a broken server.
    expect(await fetchFrom('client', address)).toBe('hello-from-web');
    expect(await fetchFrom('stranger', 'web')).toBe('');
    // By address, through its own network's interface (a route the job adds with NET_ADMIN in its own namespace):
    // without it the request would leave through pasta towards the host's network, which no test may reach.
    const subnet = `${address.split('.').slice(0, 3).join('.')}.0/24`;
    expect((await run(box, ['exec', 'stranger', 'busybox', 'ip', 'route', 'add', subnet, 'dev', 'eth1'])).exitCode).toBe(0);
    try {
      expect(await fetchFrom('stranger', address)).toBe('');
    } finally {
      await run(box, ['exec', 'stranger', 'busybox', 'ip', 'route', 'del', subnet, 'dev', 'eth1']);
    }
    expect((await run(box, ['exec', 'stranger', 'cat', '/etc/hosts'])).stdout).not.toContain('web');
  });

  it('connects and disconnects a running container', async () => {
    expect((await run(box, ['network', 'connect', '--alias', 'friend', 'front', 'stranger'])).exitCode).toBe(0);
    await until(async () => (await fetchFrom('stranger', 'web')) === 'hello-from-web', 20_000, 'stranger reaches web once connected');
    await until(async () => (await run(box, ['exec', 'client', 'cat', '/etc/hosts'])).stdout.includes('stranger'), 10_000, "stranger in client's hosts");
    expect((await run(box, ['exec', 'client', 'cat', '/etc/hosts'])).stdout).toMatch(/\tstranger friend /);
    expect(Object.values((await inspectNetwork('front')).Containers).map((member) => member.Name)).toContain('stranger');
    expect(expectOneLineError(await run(box, ['network', 'connect', 'front', 'stranger']))).toContain('already connected');

    expect((await run(box, ['network', 'disconnect', 'front', 'stranger'])).exitCode).toBe(0);
    expect(await fetchFrom('stranger', 'web')).toBe('');
    expect(Object.values((await inspectNetwork('front')).Containers).map((member) => member.Name)).not.toContain('stranger');
    await until(async () => !(await run(box, ['exec', 'client', 'cat', '/etc/hosts'])).stdout.includes('stranger'), 10_000, "stranger leaves client's hosts");
  });

  it('connects a stopped container for its next start', async () => {
    await run(box, ['create', ...LOCAL_DNS, '--name', 'later', busybox(), ...SERVE('hello-from-later')]);
    expect((await run(box, ['network', 'connect', 'front', 'later'])).exitCode).toBe(0);
    expect(Object.values((await inspectNetwork('front')).Containers).map((member) => member.Name)).toContain('later');
    expect((await run(box, ['start', 'later'])).exitCode).toBe(0);
    await until(async () => (await fetchFrom('client', 'later')) === 'hello-from-later', 20_000, 'client reaches later');
  });

  it('two connects at once both hold, and a connect racing start is in the container that runs', async () => {
    await run(box, ['create', ...LOCAL_DNS, '--name', 'both', busybox(), 'sleep', '60']);
    const connects = await Promise.all(['front', 'back'].map((network) => run(box, ['network', 'connect', network, 'both'])));
    for (const result of connects) expect(result.exitCode, result.stderr).toBe(0);
    const [both] = JSON.parse((await run(box, ['inspect', 'both'])).stdout) as Array<{ NetworkSettings: { Networks: Record<string, unknown> } }>;
    expect(Object.keys(both!.NetworkSettings.Networks).sort()).toEqual(expect.arrayContaining(['back', 'front']));

    await run(box, ['create', ...LOCAL_DNS, '--name', 'racer', busybox(), 'sleep', '60']);
    const [started, connected] = await Promise.all([run(box, ['start', 'racer']), run(box, ['network', 'connect', 'front', 'racer'])]);
    expect(started.exitCode, started.stderr).toBe(0);
    expect(connected.exitCode, connected.stderr).toBe(0);
    // Either in the record the start read, or joined at once because it ran: the tap is there.
    // (/proc/net/dev: the container's /sys shows the interfaces as they were when it was mounted.)
    expect((await run(box, ['exec', 'racer', 'cat', '/proc/net/dev'])).stdout).toMatch(/^\s*eth1:/m);
    expect((await run(box, ['rm', '-f', 'both', 'racer'])).exitCode).toBe(0);
  });

  it('drops a stopped peer from /etc/hosts', async () => {
    expect((await run(box, ['stop', '-t', '1', 'web'])).exitCode).toBe(0);
    await until(async () => !/\tweb /.test((await run(box, ['exec', 'client', 'cat', '/etc/hosts'])).stdout), 10_000, "web leaves client's hosts");
    expect(await fetchFrom('client', 'www')).toBe('');
  });

  it('starts a member while another holds a lock on its /etc/hosts for ever (flock in the job), and they talk', async () => {
    // busybox here has no flock applet: a static one, mounted in.
    const locker = join(box.home, 'locker');
    writeFileSync(`${locker}.c`, '#include <stdio.h>\n#include <fcntl.h>\n#include <sys/file.h>\n#include <unistd.h>\nint main(int c, char **v) { int fd = open(v[1], O_RDONLY); if (fd < 0 || flock(fd, LOCK_SH) != 0) return 1; puts("locked"); fflush(stdout); for (;;) pause(); }\n');
    await execa('cc', ['-O2', '-static', '-o', locker, `${locker}.c`]);
    await runDetached([...LOCAL_DNS, '--name', 'locker', '--network', 'front', '-v', `${locker}:/locker:ro`, busybox(), '/locker', '/etc/hosts']);
    await until(async () => (await run(box, ['logs', 'locker'])).stdout.includes('locked'), 10_000, 'locker holds a lock on its /etc/hosts');
    await runDetached([...LOCAL_DNS, '--name', 'late', '--network', 'front', busybox(), ...SERVE('hello-from-late')]);
    await until(async () => (await fetchFrom('client', 'late')) === 'hello-from-late', 20_000, 'client reaches late');
  });

  it("refuses to start a container with a running peer's MAC on the network, in one line, exit 125", async () => {
    const client = Object.values((await inspectNetwork('front')).Containers).find((member) => member.Name === 'client')!;
    const result = await run(box, ['run', '--rm', ...LOCAL_DNS, '--network', 'front', '--mac-address', client.MacAddress, busybox(), 'true']);
    expect(result.exitCode).toBe(125);
    expect(expectOneLineError(result)).toContain('another member of the network has its MAC address');
    expect(await fetchFrom('client', 'late')).toBe('hello-from-late');
  });

  it('refuses to remove a network in use, in one line', async () => {
    expect(expectOneLineError(await run(box, ['network', 'rm', 'front']))).toMatch(/network front is in use by container/);
    expect(expectOneLineError(await run(box, ['network', 'rm', 'nothing-such']))).toContain('no such network: nothing-such');
    expect(expectOneLineError(await run(box, ['run', '--rm', ...LOCAL_DNS, '--network', 'nothing-such', busybox(), 'true']))).toContain('nothing-such');
  });

  it('gives containers created at once distinct addresses', async () => {
    const created = await Promise.all(Array.from({ length: 6 }, () => run(box, ['create', '--network', 'back', busybox(), 'true'])));
    expect(created.map((result) => result.exitCode)).toEqual([0, 0, 0, 0, 0, 0]);
    const addresses = Object.values((await inspectNetwork('back')).Containers).map((member) => member.IPv4Address);
    expect(addresses).toHaveLength(7);
    expect(new Set(addresses).size).toBe(7);
  });

  it('an internal network: peers by name, no way out (no helper, no default route), nothing published', async () => {
    expect((await run(box, ['network', 'create', '--internal', 'inner'])).exitCode).toBe(0);
    await runDetached([...LOCAL_DNS, '--name', 'vault', '--network', 'inner', busybox(), ...SERVE('hello-from-vault')]);
    const inside = await run(box, ['run', '--rm', ...LOCAL_DNS, '--network', 'inner', busybox(), 'sh', '-c',
      'for i in 1 2 3 4 5 6 7 8 9 10; do busybox nc -w 2 vault 8080 2>/dev/null && break; sleep 1; done; echo ---; busybox ip -o link | busybox awk -F": " \'{print $2}\'; echo ---; busybox ip route; echo ---; busybox nc -w 2 192.0.2.1 80 </dev/null 2>&1; echo "exit $?"']);
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.stderr).toBe('');
    const [reply, links, routes, outward] = inside.stdout.split('---\n');
    expect(reply!.trim()).toBe('hello-from-vault');
    // The loopback and the network's tap: no interface of pasta's, no route but the network's subnet.
    expect(links!.trim().split('\n').map((link) => link.replace(/@.*/, ''))).toEqual(['lo', 'eth1']);
    expect(routes!.trim()).toMatch(/^10\.89\.\d+\.0\/24 dev eth1 [^\n]*$/);
    // An address off the subnet (TEST-NET-1): refused inside the namespace, nothing sent.
    expect(outward).toMatch(/unreachable[\s\S]*exit 1/i);
    const vault = (JSON.parse((await run(box, ['inspect', 'vault'])).stdout) as Array<{ Id: string; NetworkSettings: { NetworkHelper: string | null; Networks: Record<string, { IPAddress: string }> } }>)[0]!;
    expect(vault.NetworkSettings.NetworkHelper).toBeNull();
    expect(vault.NetworkSettings.Networks.inner!.IPAddress).toMatch(/^10\.89\.\d+\.\d+$/);
    expect(existsSync(join(box.root, 'containers', vault.Id, 'network-helper'))).toBe(false);
    // Docker publishes nothing on an internal network: -p there is refused before anything is made.
    const published = await run(box, ['run', '--rm', '--network', 'inner', '-p', '18099:80', busybox(), 'true']);
    expect(published.exitCode).toBe(125);
    expect(expectOneLineError(published)).toMatch(/port publishing and the internal network inner/);
  });

  it('a container on the default network keeps its way out when connected to an internal network', async () => {
    await runDetached([...LOCAL_DNS, '--name', 'mixed', busybox(), 'sleep', '300']);
    expect((await run(box, ['network', 'connect', 'inner', 'mixed'])).exitCode).toBe(0);
    expect((await run(box, ['restart', '-t', '1', 'mixed'])).exitCode).toBe(0);
    await until(async () => (await fetchFrom('mixed', 'vault')) === 'hello-from-vault', 20_000, 'mixed reaches vault after its restart');
    expect((await run(box, ['exec', 'mixed', 'busybox', 'ip', 'route'])).stdout).toMatch(/^default via /m);
  });

  it('a container restarted by its monitor (restart policy) rejoins the network it was connected to while it ran', async () => {
    await runDetached([...LOCAL_DNS, '--restart', 'always', '--name', 'phoenix', busybox(), ...SERVE('hello-from-phoenix')]);
    expect((await run(box, ['network', 'connect', 'front', 'phoenix'])).exitCode).toBe(0);
    await until(async () => (await fetchFrom('client', 'phoenix')) === 'hello-from-phoenix', 20_000, 'client reaches phoenix once connected');
    const inspect = async (): Promise<{ State: { Pid: number; Running: boolean } }> => (JSON.parse((await run(box, ['inspect', 'phoenix'])).stdout) as Array<{ State: { Pid: number; Running: boolean } }>)[0]!;
    const before = await inspect();
    process.kill(before.State.Pid, 'SIGKILL');
    await until(async () => {
      const now = await inspect();
      return now.State.Running && now.State.Pid !== 0 && now.State.Pid !== before.State.Pid;
    }, 30_000, 'the monitor restarts phoenix');
    await until(async () => (await fetchFrom('client', 'phoenix')) === 'hello-from-phoenix', 20_000, 'client reaches phoenix after the restart');
    // Disconnected, then restarted again: it does not come back to the network.
    expect((await run(box, ['network', 'disconnect', 'front', 'phoenix'])).exitCode).toBe(0);
    const second = await inspect();
    process.kill(second.State.Pid, 'SIGKILL');
    await until(async () => {
      const now = await inspect();
      return now.State.Running && now.State.Pid !== 0 && now.State.Pid !== second.State.Pid;
    }, 30_000, 'the monitor restarts phoenix again');
    expect((await run(box, ['exec', 'phoenix', 'busybox', 'ip', '-o', 'link'])).stdout).not.toMatch(/eth1/);
  });

  it('leaves no switch running once the containers are removed, and then removes the networks', async () => {
    expect((await switches()).length).toBeGreaterThan(0);
    await removeAllContainers(box);
    await until(async () => (await switches()).length === 0, 30_000, 'every switch of the store ends');
    expect((await run(box, ['network', 'rm', 'front', 'back', 'inner'])).stdout.split('\n').filter(Boolean)).toEqual(['front', 'back', 'inner']);
    expect((await run(box, ['network', 'ls', '-q'])).stdout).toBe('');
  });

  it('prunes networks no container uses (network prune, system prune)', async () => {
    await run(box, ['network', 'create', 'spare']);
    await run(box, ['network', 'create', 'kept']);
    await run(box, ['create', '--name', 'holder', '--network', 'kept', busybox(), 'true']);
    expect((await run(box, ['network', 'prune', '-f'])).stdout).toBe('Deleted Networks:\nspare');
    await run(box, ['rm', 'holder']);
    expect((await run(box, ['system', 'prune', '-f'])).stdout).toContain('Deleted Networks:\nkept\n');
    expect((await run(box, ['network', 'ls', '-q'])).stdout).toBe('');
  });
});
