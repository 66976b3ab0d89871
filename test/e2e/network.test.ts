import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, run } from '../helpers/cli.js';
import { busybox, suiteSandbox } from '../helpers/suite.js';
import { until } from '../helpers/poll.js';

/**
 * Issue 11, the network agent and the modes: a private network by default (pasta
 * where installed, else slirp4netns, else none with a note), none, host,
 * container:NAME, the helper's lifetime. All traffic stays on this machine: the
 * servers are the test's own on the host's loopback, or in a container.
 */

const box = suiteSandbox();
let server: Server;
let serverPort = 0;
let dns: Socket;
let dnsPort = 0;
const dnsQueries: string[] = [];
beforeAll(async () => {
  // A TCP server on the host's loopback only: it greets and closes.
  server = createServer((socket) => socket.end('hello from the host\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverPort = (server.address() as { port: number }).port;
  // A DNS responder on the host's loopback: every A question gets 198.51.100.7 (TEST-NET-2: never contacted).
  dns = createSocket('udp4');
  dns.on('message', (query, peer) => {
    let end = 12;
    while (end < query.length && query[end] !== 0) end += query[end]! + 1;
    const question = query.subarray(12, end + 5);
    dnsQueries.push(question.toString('latin1'));
    const header = Buffer.from([query[0]!, query[1]!, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 7]);
    dns.send(Buffer.concat([header, question, answer]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => dns.bind(0, '127.0.0.1', resolve));
  dnsPort = dns.address().port;
});

afterAll(async () => {
  server?.close();
  dns?.close();
});

const sh = async (script: string, flags: string[] = [], env: Record<string, string> = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> =>
  run(box, ['run', '--rm', ...flags, busybox(), 'sh', '-c', script], { env });

const containerDir = (id: string): string => join(box.root, 'containers', id);

/** The network agent as built. */
const NET_AGENT = fileURLToPath(new URL('../../build/native/burrow-net', import.meta.url));

/** The helper of a running container as burrow-net recorded it (PID.STARTTIME.BOOTID). */
function helperPid(id: string): number | undefined {
  const file = join(containerDir(id), 'network-helper');
  if (!existsSync(file)) return undefined;
  return Number(readFileSync(file, 'utf8').split('.')[0]);
}

const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
};

/**
 * A PATH without pasta and slirp4netns (a simulation of a host where neither is
 * installed): every other program of /usr/bin and /bin linked into a directory.
 */
function pathWithout(missing: string[]): string {
  const dir = join(box.dir, `path-without-${missing.join('-')}`);
  if (!existsSync(dir)) {
    mkdirSync(dir);
    for (const source of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
      if (!existsSync(source)) continue;
      for (const name of readdirSync(source)) {
        if (missing.includes(name) || existsSync(join(dir, name))) continue;
        symlinkSync(join(source, name), join(dir, name));
      }
    }
  }
  return dir;
}

/**
 * A client that keeps its side open a second: pasta of Debian 12 (2023) answers a
 * client that half-closes at once (`nc </dev/null`) by connecting to the server
 * again and again.
 */
const NC = 'sleep 1 | busybox nc -w 3';

/** The container's default gateway (the address pasta gives the host when host-gateway is asked for). */
const GATEWAY = "busybox ip route | busybox awk '/^default/ {print $3}'";

describe('burrow run: the default network (private, through pasta)', () => {
  it('gives the job an interface with an address, and /etc/resolv.conf names pasta\'s forwarder', async () => {
    const result = await sh('busybox ip -o -4 addr show | busybox awk \'{print $2}\'; cat /etc/resolv.conf');
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toContain('lo');
    expect(lines.some((line) => line !== 'lo' && /^[a-z]+\d*$/.test(line))).toBe(true);
    expect(result.stdout).toContain('nameserver 169.254.1.1');
  });

  it('reaches a server on the host\'s loopback only with --add-host NAME:host-gateway', async () => {
    const allowed = await sh(`${NC} h ${serverPort}; grep -c "^$(${GATEWAY})	host.containers.internal$" /etc/hosts`, ['--add-host', 'h:host-gateway']);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(allowed.stdout).toBe('hello from the host\n1');
    // Without it: no name for the host, and the container's own loopback is its own.
    // (The gateway itself is not tried: without host-gateway pasta sends that to the real gateway, off this machine.)
    const denied = await sh(`${NC} 127.0.0.1 ${serverPort}; grep -c host.containers.internal /etc/hosts; echo end`);
    expect(denied.stdout).not.toContain('hello from the host');
    expect(denied.stdout).toBe('0\nend');
  });

  it('writes --add-host, --dns, --dns-search, --dns-option and the hostname into /etc/hosts and /etc/resolv.conf', async () => {
    const result = await sh('cat /etc/hosts; echo ---; cat /etc/resolv.conf', ['--hostname', 'web', '--add-host', 'db.example:192.0.2.77', '--dns', '192.0.2.53', '--dns-search', 'corp.example', '--dns-option', 'ndots:2']);
    expect(result.exitCode, result.stderr).toBe(0);
    const [hosts, resolv] = result.stdout.split('---\n');
    expect(hosts).toMatch(/^192\.0\.2\.77\tdb\.example$/m);
    expect(hosts).toMatch(/\tweb( |$)/m);
    expect(hosts).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
    expect(resolv).toMatch(/^nameserver 192\.0\.2\.53$/m);
    expect(resolv).not.toContain('169.254.1.1');
    expect(resolv).toMatch(/^search corp\.example$/m);
    expect(resolv).toMatch(/^options .*ndots:2/m);
  });

  it('shows the mode and the address in inspect, as Docker spells them', async () => {
    const created = await run(box, ['run', '-d', busybox(), 'sleep', '30']);
    expect(created.exitCode, created.stderr).toBe(0);
    const id = created.stdout.trim();
    const [info] = JSON.parse((await run(box, ['inspect', id])).stdout) as Array<{ HostConfig: { NetworkMode: string }; NetworkSettings: { IPAddress: string; NetworkHelper: string } }>;
    expect(info!.HostConfig.NetworkMode).toBe('bridge');
    expect(info!.NetworkSettings.NetworkHelper).toBe('pasta');
    expect(info!.NetworkSettings.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await run(box, ['rm', '-f', id]);
  });

  it('answers DNS inside through pasta from a resolver on the host (the test\'s own on the loopback: pasta:-U,53:PORT, as the test cannot bind port 53)', async () => {
    const result = await sh('cat /etc/resolv.conf; busybox nslookup build.burrow.test', ['--network', `pasta:-U,53:${dnsPort}`, '--dns', '127.0.0.1']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^nameserver 127\.0\.0\.1$/m);
    expect(result.stdout).toMatch(/Name:\s+build\.burrow\.test\nAddress:\s+198\.51\.100\.7/);
    expect(dnsQueries.some((question) => question.includes('build'))).toBe(true);
  });

  it('sets --mac-address on the interface, with pasta and with slirp4netns', async () => {
    for (const mode of ['pasta', 'slirp4netns']) {
      // (ip, not /sys/class/net: the container's /sys is the host's, bound read-only.)
      const result = await sh('busybox ip -o link', ['--network', mode, '--mac-address', '92:d0:c6:0a:29:33']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/link\/ether 92:d0:c6:0a:29:33 /);
    }
    expect(expectOneLineError(await run(box, ['run', '--rm', '--mac-address', '01:00:5e:00:00:01', busybox(), 'true']))).toMatch(/invalid --mac-address/);
  });

  it('runs slirp4netns when asked (--network slirp4netns), with its own addresses', async () => {
    const result = await sh('busybox ip -o -4 addr show tap0 | busybox awk \'{print $4}\'; cat /etc/resolv.conf', ['--network', 'slirp4netns']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('10.0.2.100/24');
    expect(result.stdout).toContain('nameserver 10.0.2.3');
  });

  it('reaches the host\'s loopback through slirp4netns only with host-gateway too', async () => {
    const allowed = await sh(`${NC} h ${serverPort}`, ['--network', 'slirp4netns', '--add-host', 'h:host-gateway']);
    expect(allowed.stdout, allowed.stderr).toContain('hello from the host');
    const denied = await sh(`${NC} 10.0.2.2 ${serverPort}; echo end`, ['--network', 'slirp4netns']);
    expect(denied.stdout).not.toContain('hello from the host');
    expect(denied.stdout).toContain('end');
  });
});

describe('burrow run: none, container:NAME and the errors', () => {
  it('--network none has a loopback only and reaches nothing', async () => {
    const result = await sh(`busybox ip -o link | busybox awk -F': ' '{print $2}'; ${NC} 192.0.2.1 ${serverPort}; ${NC} 127.0.0.1 ${serverPort}; echo end`, ['--network', 'none', '--add-host', 'h:host-gateway']);
    expect(result.stdout.split('\n').filter((line) => line !== '' && line !== 'end')).toEqual(['lo']);
    expect(result.stdout).not.toContain('hello from the host');
    expect(result.stderr).toMatch(/unreachable/i);
  });

  it('container:NAME shares the other container\'s localhost, and is refused while it is not running', async () => {
    const serving = await run(box, ['run', '-d', '--name', 'net-sidecar', busybox(), 'sh', '-c', 'mkdir /www && echo sidecar-page > /www/index.html && exec busybox httpd -f -p 127.0.0.1:8080 -h /www']);
    expect(serving.exitCode, serving.stderr).toBe(0);
    let page = { exitCode: -1, stdout: '', stderr: '' };
    await until(async () => {
      page = await sh('busybox wget -q -O - http://127.0.0.1:8080/index.html', ['--network', 'container:net-sidecar']);
      return page.exitCode === 0;
    }, 15_000, 'the sidecar serving on its localhost');
    expect(page.stdout).toBe('sidecar-page');
    // Its own loopback, no address of its own: the namespace is the sidecar's.
    const [info] = JSON.parse((await run(box, ['inspect', 'net-sidecar'])).stdout) as Array<{ Id: string }>;
    const joined = await run(box, ['create', '--network', 'container:net-sidecar', busybox(), 'true']);
    expect(joined.exitCode, joined.stderr).toBe(0);
    const [joinedInfo] = JSON.parse((await run(box, ['inspect', joined.stdout.trim()])).stdout) as Array<{ HostConfig: { NetworkMode: string } }>;
    expect(joinedInfo!.HostConfig.NetworkMode).toBe('container:net-sidecar');
    expect(info!.Id).toMatch(/^[0-9a-f]{64}$/);
    await run(box, ['stop', '-t', '1', 'net-sidecar']);
    const refused = await run(box, ['start', joined.stdout.trim()]);
    expect(refused.exitCode).toBe(125);
    expect(expectOneLineError(refused)).toMatch(/cannot join the network of container net-sidecar: it is not running/);
    await run(box, ['rm', '-f', 'net-sidecar', joined.stdout.trim()]);
  });

  it('container:NAME of a container on the host\'s network is the host\'s network, as in Docker', async () => {
    expect((await run(box, ['run', '-d', '--name', 'net-hostmode', '--network', 'host', busybox(), 'sleep', '60'])).exitCode).toBe(0);
    const host = await sh('busybox ip -o link | wc -l', ['--network', 'host']);
    const joined = await sh('busybox ip -o link | wc -l', ['--network', 'container:net-hostmode']);
    expect(joined.exitCode, joined.stderr).toBe(0);
    expect(Number(joined.stdout)).toBeGreaterThan(1);
    expect(joined.stdout).toBe(host.stdout);
    await run(box, ['rm', '-f', 'net-hostmode']);
  });

  it('refuses a --network it does not know, with one line', async () => {
    expect(expectOneLineError(await run(box, ['run', '--rm', '--network', 'no-such-net', busybox(), 'true']))).toMatch(/network no-such-net not found/);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--network', 'pasta2:x', busybox(), 'true']))).toMatch(/invalid --network "pasta2:x"/);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--network', 'slirp4netns:port_handler=rootlesskit', busybox(), 'true']))).toMatch(/unsupported slirp4netns option/);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--add-host', 'nocolon', busybox(), 'true']))).toMatch(/invalid --add-host "nocolon"/);
  });

  it('a helper that fails to start stops the start with its own words, attached and detached, and nothing is left', async () => {
    for (const detach of [[], ['-d']]) {
      const result = await run(box, ['run', '--rm', ...detach, '--network', 'pasta:--no-such-option', busybox(), 'true']);
      expect(result.exitCode).toBe(125);
      expect(expectOneLineError(result)).toMatch(/cannot set up the container's network: pasta failed: .*--no-such-option.*; run 'burrow doctor'$/);
    }
    const left = await execa('pgrep', ['-f', `^pasta .*${join(box.root, 'containers')}`], { reject: false });
    expect(String(left.stdout)).toBe('');
  });

  it('an explicit helper that is not installed is an error naming the package (simulated: PATH without it)', async () => {
    const PATH = pathWithout(['pasta', 'passt', 'slirp4netns']);
    for (const [mode, pkg] of [['pasta', 'passt'], ['slirp4netns', 'slirp4netns']] as const) {
      const result = await run(box, ['run', '--rm', '--network', mode, busybox(), 'true'], { env: { PATH } });
      expect(result.exitCode).toBe(125);
      expect(expectOneLineError(result)).toMatch(new RegExp(`${mode} is not installed.*apt-get install ${pkg}.*burrow doctor`));
    }
  });

  it('the default falls back to none with one note when no helper is installed (simulated: PATH without them)', async () => {
    const PATH = pathWithout(['pasta', 'passt', 'slirp4netns']);
    const result = await sh('busybox ip -o link | busybox awk -F\': \' \'{print $2}\'', [], { PATH });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('lo');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/runs without a network .*neither pasta .* nor slirp4netns is installed; run 'burrow doctor'/);
  });
});

describe('burrow-net: the job waits for the network, and "the sandbox is up" means with its network', () => {
  /**
   * burrow-net in front of `unshare` and a shell standing in for the launcher (it writes a
   * bwrap-like info on fd 7, as bwrap's --info-fd, then reads the answer on fd 6, as
   * burrow-init does), with a pasta on PATH that forks its "daemon" and is held on a FIFO
   * until the test lets it go (simulated: the launcher's shell and pasta).
   */
  async function heldStart(name: string, release: string): Promise<{ heldInfo: string; info: string; answer: string }> {
    const dir = join(box.dir, `relay-${name}`);
    const fakes = join(dir, 'bin');
    mkdirSync(fakes, { recursive: true });
    const fifo = join(dir, 'let-go');
    await execa('mkfifo', [fifo]);
    writeFileSync(join(fakes, 'pasta'), `#!/bin/sh
while [ $# -gt 1 ]; do [ "$1" = --pid ] && pidfile=$2; shift; done
sleep 60 </dev/null >/dev/null 2>&1 &
echo $! > "$pidfile"
read -r word < ${fifo}
[ "$word" = ok ] || { echo "pasta: $word" >&2; exit 1; }
`);
    chmodSync(join(fakes, 'pasta'), 0o755);
    const written = join(dir, 'info-written');
    const launcher = `echo "ready $$" >&5; exec 5>&-; printf '{\\n    "child-pid": 4242\\n}\\n' >&7; exec 7>&-; : > ${written}; read -r answer <&6; echo "$answer"`;
    const child = execa(NET_AGENT, ['--dir', dir, '--helper', 'pasta', '--', 'unshare', '--user', '--map-root-user', '--net', '--', 'sh', '-c', launcher], {
      reject: false, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { PATH: `${fakes}:${process.env.PATH ?? '/usr/bin:/bin'}` }, timeout: 60_000,
    });
    let info = '';
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => { info += chunk.toString(); });
    // The info is in the pipe to the agent, and pasta is not up: nothing has reached the launcher's info channel.
    await until(() => existsSync(written), 20_000, 'the launcher\'s info written');
    const heldInfo = info;
    writeFileSync(fifo, `${release}\n`);
    const result = await child;
    return { heldInfo, info, answer: String(result.stdout) };
  }

  it('holds bwrap\'s info back until the helper is up, then passes it on whole after `go`', async () => {
    const started = await heldStart('up', 'ok');
    expect(started.heldInfo).toBe('');
    expect(started.answer).toBe('go');
    expect(started.info).toBe('{\n    "child-pid": 4242\n}\n');
  });

  it('says a helper\'s failure on the info channel, as the launcher says its own, instead of the sandbox\'s pid, and answers `fail`', async () => {
    const failed = await heldStart('failed', 'no tun');
    expect(failed.heldInfo).toBe('');
    expect(failed.answer).toBe('fail pasta failed: pasta: no tun');
    expect(failed.info).toBe('burrow-why pasta failed: pasta: no tun\n{"burrow-error":"network"}\n');
  });
});

describe('burrow run: a network helper that hangs, and the terminal\'s Ctrl-C', () => {
  it('a helper that never gets ready fails the start after 20 s with one line, and nothing is left running (simulated: a pasta and a slirp4netns on PATH that hang)', async () => {
    const fakes = join(box.dir, 'hanging-helpers');
    mkdirSync(fakes, { recursive: true });
    for (const name of ['pasta', 'slirp4netns']) {
      // Its pid where the test finds it, then a sleep that would outlive the start if nobody killed it.
      writeFileSync(join(fakes, name), `#!/bin/sh\necho $$ > ${join(fakes, `${name}.pid`)}\nexec sleep 600\n`);
      chmodSync(join(fakes, name), 0o755);
    }
    const PATH = `${fakes}:${process.env.PATH ?? '/usr/bin:/bin'}`;
    const results = await Promise.all(['pasta', 'slirp4netns'].map((helper) => run(box, ['run', '--rm', '--network', helper, busybox(), 'true'], { env: { PATH }, timeout: 90_000 })));
    for (const [index, helper] of ['pasta', 'slirp4netns'].entries()) {
      expect(results[index]!.exitCode).toBe(125);
      expect(expectOneLineError(results[index]!)).toMatch(new RegExp(`cannot set up the container's network: ${helper} did not start within 20 s; run 'burrow doctor'$`));
      const pid = Number(readFileSync(join(fakes, `${helper}.pid`), 'utf8'));
      expect(alive(pid)).toBe(false);
    }
    const agents = await execa('pgrep', ['-f', `burrow-net --dir ${join(box.root, 'containers')}`], { reject: false });
    expect(String(agents.stdout)).toBe('');
  }, 120_000);

  it('Ctrl-C (SIGINT to the foreground process group) leaves slirp4netns running for a job that traps it (simulated launcher: burrow-net in front of unshare and a shell that traps INT)', async () => {
    // Not through `burrow run`: its launcher chain (unshare, sh, bwrap) is in the same group and ends on SIGINT itself.
    const dir = join(box.dir, 'ctrl-c');
    mkdirSync(dir, { recursive: true });
    const launcher = `trap 'echo got INT' INT; echo "ready $$" >&5; exec 5>&-; read -r answer <&6; echo "$answer"; while :; do sleep 0.1; done`;
    // Its own process group, as a shell gives a foreground job: the group is what the terminal signals.
    const child = execa(NET_AGENT, ['--dir', dir, '--helper', 'slirp4netns', '--helper-arg', '--configure', '--', 'unshare', '--user', '--map-root-user', '--net', '--', 'sh', '-c', launcher], {
      reject: false, detached: true, stdin: 'ignore', timeout: 60_000,
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    await until(() => /^go$/m.test(out), 20_000, 'the agent\'s go');
    const helper = Number(readFileSync(join(dir, 'network-helper'), 'utf8').split('.')[0]);
    expect(alive(helper)).toBe(true);
    process.kill(-child.pid!, 'SIGINT');
    await until(() => out.includes('got INT'), 10_000, 'the job got SIGINT');
    expect(alive(helper)).toBe(true);
    process.kill(child.pid!, 'SIGKILL');
    await child;
    // The launcher ended: the agent ends its helper.
    await until(() => !alive(helper), 5_000, 'the helper gone with the launcher');
  });
});

describe('burrow run: the user networks without a helper, and -p where nothing is published', () => {
  it('--network NAME keeps its network, without outbound access, when no helper is installed: one note (simulated: PATH without them)', async () => {
    const PATH = pathWithout(['pasta', 'passt', 'slirp4netns']);
    expect((await run(box, ['network', 'create', 'lonely'])).exitCode).toBe(0);
    const server = await run(box, ['run', '-d', '--dns', '127.0.0.1', '--name', 'lonely-server', '--network', 'lonely', busybox(), 'sh', '-c', 'while true; do echo hello-alone | busybox nc -l -p 8080; done'], { env: { PATH } });
    expect(server.exitCode, server.stderr).toBe(0);
    expect(server.stderr).toMatch(/^burrow: the container has no outbound network access, only its network lonely: neither pasta .* nor slirp4netns is installed; run 'burrow doctor'$/);
    const result = await run(box, ['run', '--rm', '--dns', '127.0.0.1', '--network', 'lonely', busybox(), 'sh', '-c',
      'for i in 1 2 3 4 5 6 7 8 9 10; do busybox nc -w 2 lonely-server 8080 2>/dev/null && break; sleep 1; done; echo ---; busybox ip route'], { env: { PATH } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('has no outbound network access, only its network lonely');
    const [reply, routes] = result.stdout.split('---\n');
    expect(reply!.trim()).toBe('hello-alone');
    expect(routes).not.toMatch(/default/);
    // Ports need a helper: still an error, naming why.
    const published = await run(box, ['run', '--rm', '--network', 'lonely', '-p', '18098:80', busybox(), 'true'], { env: { PATH } });
    expect(published.exitCode).toBe(125);
    expect(expectOneLineError(published)).toMatch(/neither pasta .* nor slirp4netns is installed, and published ports need one; run 'burrow doctor'/);
    await run(box, ['rm', '-f', 'lonely-server']);
  });

  it('-p with --network host or none: Docker\'s warning, and the container runs', async () => {
    for (const mode of ['host', 'none']) {
      const result = await run(box, ['run', '--rm', '--network', mode, '-p', '18097:80', busybox(), 'echo', 'ran']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe('ran');
      expect(result.stderr).toBe(`WARNING: Published ports are discarded when using ${mode} network mode`);
    }
  });

  it('inspect of a container that does not run shows NetworkSettings.Ports as {}, as Docker does', async () => {
    expect((await run(box, ['create', '--name', 'idle-ports', '-p', '18096:80', busybox(), 'true'])).exitCode).toBe(0);
    const inspected = (JSON.parse((await run(box, ['inspect', 'idle-ports'])).stdout) as Array<{ NetworkSettings: { Ports: unknown }; HostConfig: { PortBindings: unknown } }>)[0]!;
    expect(inspected.NetworkSettings.Ports).toEqual({});
    expect(inspected.HostConfig.PortBindings).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '18096' }] });
    await run(box, ['rm', 'idle-ports']);
  });
});

describe('burrow run: the helper lives exactly as long as the container', () => {
  it('a helper killed mid-run is reported (log and inspect) and the container is not hung', async () => {
    const created = await run(box, ['run', '-d', busybox(), 'sleep', '60']);
    expect(created.exitCode, created.stderr).toBe(0);
    const id = created.stdout.trim();
    const pid = helperPid(id);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    await until(async () => (await run(box, ['logs', id])).stderr.includes('the network helper pasta exited'), 10_000, 'the report in the log');
    const [info] = JSON.parse((await run(box, ['inspect', id])).stdout) as Array<{ State: { Running: boolean }; NetworkSettings: { HelperError?: string } }>;
    expect(info!.State.Running).toBe(true);
    expect(info!.NetworkSettings.HelperError).toMatch(/the network helper pasta exited.*no network from now on/);
    const exec = await run(box, ['exec', id, 'echo', 'still here']);
    expect(exec.stdout).toBe('still here');
    const removed = await run(box, ['rm', '-f', id]);
    expect(removed.exitCode, removed.stderr).toBe(0);
  });

  it('rm -f kills the helper, also one a crashed agent left behind', async () => {
    const created = await run(box, ['run', '-d', busybox(), 'sleep', '60']);
    const id = created.stdout.trim();
    const pid = helperPid(id)!;
    expect(alive(pid)).toBe(true);
    expect((await run(box, ['rm', '-f', id])).exitCode).toBe(0);
    await until(() => !alive(pid), 5_000, 'the helper gone after rm -f');

    // A crash: the agent killed, so nobody kills pasta when the container ends.
    const second = (await run(box, ['run', '-d', busybox(), 'sleep', '60'])).stdout.trim();
    const leftover = helperPid(second)!;
    // The agent's own command line starts with burrow-net (the monitor's names it further on).
    const agents = await execa('pgrep', ['-f', `^[^ ]*/burrow-net --dir ${containerDir(second)}`], { reject: false });
    const agentPids = String(agents.stdout).split('\n').filter(Boolean).map(Number);
    expect(agentPids).toHaveLength(1);
    for (const agent of agentPids) process.kill(agent, 'SIGKILL');
    await run(box, ['stop', '-t', '1', second]);
    expect(alive(leftover)).toBe(true);
    expect((await run(box, ['rm', second])).exitCode).toBe(0);
    await until(() => !alive(leftover), 5_000, 'the leftover helper gone after rm');
  });

  it('20 containers started and removed at once leave no helper running', async () => {
    const started = await Promise.all(Array.from({ length: 20 }, () => run(box, ['run', '-d', busybox(), 'sleep', '60'], { timeout: 120_000 })));
    for (const result of started) expect(result.exitCode, result.stderr).toBe(0);
    const ids = started.map((result) => result.stdout.trim());
    const pids = ids.map(helperPid);
    for (const pid of pids) expect(pid).toBeGreaterThan(0);
    const removed = await Promise.all(ids.map((id) => run(box, ['rm', '-f', id], { timeout: 120_000 })));
    for (const result of removed) expect(result.exitCode, result.stderr).toBe(0);
    await until(() => pids.every((pid) => !alive(pid!)), 10_000, 'every helper gone');
    // From the host: no pasta of this store's containers (pasta's command line names its pid file in the container's directory).
    const left = await execa('pgrep', ['-f', `^pasta .*${join(box.root, 'containers')}`], { reject: false });
    expect(String(left.stdout)).toBe('');
  });
});
