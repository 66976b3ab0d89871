import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareAttachment } from '../../src/network/attach.js';
import { createNetwork, joinNetwork, networkDir, switchSocketPath, type NetworkRecord } from '../../src/network/records.js';
import { disconnectFromSwitch, NETATTACH_BINARY, switchRunning } from '../../src/network/switch.js';
import { Store } from '../../src/store/store.js';

/*
 * native/burrow-switch and native/burrow-netattach as built (build/native), with
 * network namespaces of the unprivileged test user made by
 * `unshare --user --net --map-root-user sleep` standing for containers' sandboxes
 * (burrow's own launcher puts them there in e2e/network-user.test.ts). The
 * traffic is busybox nc between those namespaces.
 */
const rootless = process.getuid?.() !== 0;
let base: string;
let store: Store;
const sleepers: ChildProcess[] = [];
const sandboxes: number[] = [];

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'burrow-switch-'));
  store = new Store(join(base, 'store'));
});
afterAll(() => {
  killAll();
  rmSync(base, { recursive: true, force: true });
});

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A process in a user and network namespace of its own (a container's sandbox,
 * for the switch), under a shell of its own that stands for its burrow-monitor
 * (the keeper the switch waits for): it lives on after the sandbox for `keeperSeconds`.
 */
async function sandbox(keeperSeconds = 0): Promise<{ pid: number; keeper: ChildProcess }> {
  const keeper = spawn('sh', ['-c', `unshare --user --net --map-root-user sleep 300 & echo $!; wait; sleep ${keeperSeconds}`], { stdio: ['ignore', 'pipe', 'ignore'] });
  sleepers.push(keeper);
  const pid = await new Promise<number>((resolve) => keeper.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
  sandboxes.push(pid);
  const own = readlinkSync('/proc/self/ns/net');
  await until(() => { try { return readlinkSync(`/proc/${pid}/ns/net`) !== own; } catch { return false; } }, 'the namespace exists');
  return { pid, keeper };
}

function killAll(): void {
  for (const pid of sandboxes) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  for (const sleeper of sleepers) sleeper.kill('SIGKILL');
}

function inside(pid: number, command: string[], timeout = 10_000): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('nsenter', ['--preserve-credentials', '--user', '--net', '--target', String(pid), ...command], { encoding: 'utf8', timeout });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Member { id: string; pid: number; hosts: string; address: string; file: string }

/** A container's side of joining: its directory and hosts file, an address, the attach file, then burrow-netattach. */
async function joinAs(network: NetworkRecord, name: string, aliases: string[], pid: number, address?: string, within: Store = store): Promise<Member & { status: number | null; stderr: string }> {
  const id = `${name.padEnd(12, '0')}${'0'.repeat(52)}`.replace(/[^0-9a-z]/g, '0');
  const dir = join(within.paths.containers, id);
  mkdirSync(dir, { recursive: true });
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, `127.0.0.1\tlocalhost\n# network ${network.name}\n# --add-host\n10.1.1.1\tkept\n`);
  const attachment = joinNetwork(within, network, id, aliases);
  if (address !== undefined) attachment.address = address;
  const file = await prepareAttachment(within, id, name, hosts, attachment, 'eth1');
  // A bound: a switch that hangs must fail the test, not stall it.
  const attach = spawnSync(NETATTACH_BINARY, ['--target', String(pid), file], { encoding: 'utf8', timeout: 20_000 });
  return { id, pid, hosts, address: attachment.address, file, status: attach.status, stderr: attach.stderr };
}

/** Whether `from` gets the line a one-shot nc server in `to` sends (the server retried until it listens). */
async function reaches(from: number, to: number, address: string, port: number): Promise<boolean> {
  // A process group of its own: the nc under its shell goes with it. Listening again after each
  // connection: an attempt that connected and then timed out must not use up the only answer.
  const server = spawn('nsenter', ['--preserve-credentials', '--user', '--net', '--target', String(to), 'sh', '-c', `while true; do echo hello-${port} | busybox nc -l -p ${port}; done`], { stdio: 'ignore', detached: true });
  try {
    // Until the server listens (nsenter, sh and nc start it: over a second on a loaded machine), for 10 s at most.
    const deadline = Date.now() + 10_000;
    do {
      const client = inside(from, ['busybox', 'nc', '-w', '2', address, String(port)]);
      if (client.stdout.includes(`hello-${port}`)) return true;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } while (Date.now() < deadline);
    return false;
  } finally {
    try { process.kill(-server.pid!, 'SIGKILL'); } catch { /* already gone */ }
  }
}

describe.skipIf(!rootless)('the switch of a user-defined network (as the unprivileged user)', () => {
  let front: NetworkRecord;
  let back: NetworkRecord;
  let a: Member;
  let b: Member;
  let outsider: Member;

  it('connects two sandboxes: each gets its tap with address, MAC and MTU, and they talk', async () => {
    front = createNetwork(store, 'front');
    back = createNetwork(store, 'back');
    const [pa, pb] = [await sandbox(), await sandbox()];
    const ja = await joinAs(front, 'alpha', ['db'], pa.pid);
    expect(ja.stderr).toBe('');
    expect(ja.status).toBe(0);
    const jb = await joinAs(front, 'beta', [], pb.pid);
    expect(jb.status).toBe(0);
    [a, b] = [ja, jb];
    const link = inside(b.pid, ['busybox', 'ip', 'addr', 'show', 'eth1']).stdout;
    expect(link).toContain('inet 10.89.0.3/24');
    expect(link).toContain('link/ether 02:42:0a:59:00:03');
    expect(link).toContain('mtu 65520');
    expect(await switchRunning(store, front)).toBe(true);
    expect(await reaches(a.pid, b.pid, b.address, 7001)).toBe(true);
    expect(await reaches(b.pid, a.pid, a.address, 7002)).toBe(true);
  });

  it("lists each member's peers by name and aliases in its hosts file's section, keeping the other lines", () => {
    const hostsA = readFileSync(a.hosts, 'utf8');
    const hostsB = readFileSync(b.hosts, 'utf8');
    expect(hostsA).toBe(`127.0.0.1\tlocalhost\n# network front\n10.89.0.3\tbeta beta00000000\n# --add-host\n10.1.1.1\tkept\n`);
    expect(hostsB).toContain(`# network front\n10.89.0.2\talpha db alpha0000000\n# --add-host\n10.1.1.1\tkept\n`);
  });

  it('isolates networks: a sandbox on another switch, even given an address in the same subnet (simulation), reaches neither', async () => {
    const po = await sandbox();
    const joined = await joinAs(back, 'outsider', [], po.pid, '10.89.0.9');
    expect(joined.status).toBe(0);
    outsider = joined;
    expect(inside(po.pid, ['busybox', 'ip', 'addr', 'show', 'eth1']).stdout).toContain('inet 10.89.0.9/24');
    expect(await reaches(outsider.pid, b.pid, b.address, 7003)).toBe(false);
    expect(readFileSync(a.hosts, 'utf8')).not.toContain('outsider');
  });

  it('drops a member whose sandbox ended: its peers no longer list it', async () => {
    process.kill(b.pid, 'SIGKILL');
    await until(() => !readFileSync(a.hosts, 'utf8').includes('beta'), "beta leaves alpha's hosts file");
    expect(readFileSync(a.hosts, 'utf8')).toBe(`127.0.0.1\tlocalhost\n# network front\n# --add-host\n10.1.1.1\tkept\n`);
  });

  it('disconnects a running member on request: its tap is gone from its namespace', async () => {
    const pc = await sandbox();
    const c = await joinAs(front, 'gamma', [], pc.pid);
    expect(c.status).toBe(0);
    await until(() => readFileSync(a.hosts, 'utf8').includes('gamma'), "gamma enters alpha's hosts file");
    expect(await disconnectFromSwitch(store, front, c.id)).toBe(true);
    expect(inside(c.pid, ['busybox', 'ip', 'link', 'show', 'eth1']).status).not.toBe(0);
    expect(readFileSync(a.hosts, 'utf8')).not.toContain('gamma');
    expect(readFileSync(c.hosts, 'utf8')).toContain('# network front\n# --add-host\n');
    expect(await disconnectFromSwitch(store, front, c.id)).toBe(false);
  });

  it('says in one line why it cannot attach (a process that is gone)', async () => {
    const result = spawnSync(NETATTACH_BINARY, ['--target', '999999999', a.file], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('cannot connect container');
  });

  it('works under a store whose path is longer than a unix socket address holds', async () => {
    const deep = new Store(join(base, 'x'.repeat(60), 'y'.repeat(60), 'store'));
    const network = createNetwork(deep, 'deep');
    expect(Buffer.byteLength(switchSocketPath(deep, network.id))).toBeGreaterThan(107);
    const [pd, pe] = [await sandbox(), await sandbox()];
    expect((await joinAs(network, 'delta', [], pd.pid, undefined, deep)).stderr).toBe('');
    const e = await joinAs(network, 'epsilon', [], pe.pid, undefined, deep);
    expect(e.status).toBe(0);
    expect(await switchRunning(deep, network)).toBe(true);
    expect(await reaches(pd.pid, pe.pid, e.address, 7004)).toBe(true);
    expect(await disconnectFromSwitch(deep, network, e.id)).toBe(true);
  });

  it('stays while the keeper of a member that ended lives (a restart policy), and takes the member back', async () => {
    const network = createNetwork(store, 'restarting');
    const first = await sandbox(300);
    const joined = await joinAs(network, 'zeta', [], first.pid);
    expect(joined.status).toBe(0);
    process.kill(first.pid, 'SIGKILL');
    // Past the switch's idle time (5 s) with no member: only the keeper holds it.
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    expect(await switchRunning(store, network)).toBe(true);
    const again = await sandbox();
    const rejoined = spawnSync(NETATTACH_BINARY, ['--target', String(again.pid), joined.file], { encoding: 'utf8' });
    expect(rejoined.stderr).toBe('');
    expect(inside(again.pid, ['busybox', 'ip', 'addr', 'show', 'eth1']).stdout).toContain(`inet ${joined.address}/24`);
    first.keeper.kill('SIGKILL');
    process.kill(again.pid, 'SIGKILL');
    again.keeper.kill('SIGKILL');
    await until(() => !existsSync(switchSocketPath(store, network.id)), 'the switch ends once the keepers are gone');
  });

  it('never waits on a hosts file the container locked (flock /etc/hosts in the job): another member still attaches and talks', async () => {
    const network = createNetwork(store, 'locked');
    const [pl, pm] = [await sandbox(), await sandbox()];
    const l = await joinAs(network, 'lima', [], pl.pid);
    expect(l.status).toBe(0);
    // The same lock a job's `flock -s /etc/hosts sleep inf` takes: /etc/hosts is this file, bind-mounted.
    const holder = spawn('sh', ['-c', 'exec 3<"$1"; flock -s 3; exec sleep 300', 'sh', l.hosts], { stdio: 'ignore' });
    sleepers.push(holder);
    await until(() => spawnSync('flock', ['-n', '-x', l.hosts, 'true']).status !== 0, 'the lock is held');
    const m = await joinAs(network, 'mike', [], pm.pid);
    expect(m.stderr).toBe('');
    expect(m.status).toBe(0);
    expect(await reaches(pl.pid, pm.pid, m.address, 7005)).toBe(true);
    expect(readFileSync(m.hosts, 'utf8')).toContain(`${l.address}\tlima`);
    // Kept current once the lock is let go.
    expect(readFileSync(l.hosts, 'utf8')).not.toContain('mike');
    holder.kill('SIGKILL');
    await until(() => readFileSync(l.hosts, 'utf8').includes(`${m.address}\tmike`), "mike enters lima's hosts file once it is unlocked");
  });

  it('forwards by the MACs members attached with: one that takes a peer\'s MAC reaches no one and gets none of its frames', async () => {
    const network = createNetwork(store, 'guarded');
    const [pp, pq, pr] = [await sandbox(), await sandbox(), await sandbox()];
    const [p, q, r] = [await joinAs(network, 'papa', [], pp.pid), await joinAs(network, 'quebec', [], pq.pid), await joinAs(network, 'romeo', [], pr.pid)];
    expect([p.status, q.status, r.status]).toEqual([0, 0, 0]);
    expect(await reaches(pp.pid, pr.pid, r.address, 7006)).toBe(true);
    const macOf = (member: Member): string => /mac=(.*)/.exec(readFileSync(member.file, 'utf8'))![1]!;
    // papa (root with CAP_NET_ADMIN in its namespace, as a job may be) takes quebec's MAC and keeps sending.
    expect(inside(pp.pid, ['busybox', 'ip', 'link', 'set', 'eth1', 'address', macOf(q)]).status).toBe(0);
    const spoofer = spawn('nsenter', ['--preserve-credentials', '--user', '--net', '--target', String(pp.pid), 'busybox', 'ping', '-i', '0.1', '-w', '60', r.address], { stdio: 'ignore', detached: true });
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const received = (): number => Number(inside(pp.pid, ['cat', '/proc/net/dev']).stdout.split('\n').find((line) => line.trim().startsWith('eth1:'))!.split(':')[1]!.trim().split(/\s+/)[1]);
      const before = received();
      const ping = inside(pr.pid, ['busybox', 'ping', '-c', '30', '-i', '0.1', '-W', '1', q.address], 20_000);
      const after = received();
      // romeo's unicast to quebec goes to quebec, all of it; papa sees only broadcasts (romeo's
      // ARP requests, more of them on a loaded machine), never the 30 echo requests meant for quebec.
      expect(ping.stdout).toContain('30 packets received');
      expect(after - before).toBeLessThan(30);
      expect(await reaches(pp.pid, pr.pid, r.address, 7007)).toBe(false);
    } finally {
      try { process.kill(-spoofer.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  });

  it('refuses, in one line, a member with the MAC or the address of another member of its network', async () => {
    const network = createNetwork(store, 'unique');
    const [ps, pt] = [await sandbox(), await sandbox()];
    const s1 = await joinAs(network, 'sierra', [], ps.pid);
    expect(s1.status).toBe(0);
    const sameAddress = await joinAs(network, 'tango', [], pt.pid, s1.address);
    expect(sameAddress.status).toBe(1);
    expect(sameAddress.stderr.trim().split('\n')).toHaveLength(1);
    expect(sameAddress.stderr).toContain('another member of the network has its address');
    const sameMac = join(base, 'same-mac.attach');
    writeFileSync(sameMac, readFileSync(sameAddress.file, 'utf8').replace(/^mac=.*$/m, /^mac=.*$/m.exec(readFileSync(s1.file, 'utf8'))![0]).replace(/^address=.*$/m, 'address=10.89.0.77'));
    const refused = spawnSync(NETATTACH_BINARY, ['--target', String(pt.pid), sameMac], { encoding: 'utf8', timeout: 20_000 });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('another member of the network has its MAC address');
  });

  it('refuses a hosts file that is a symbolic link or a relative path', async () => {
    const network = createNetwork(store, 'strict');
    const pu = await sandbox();
    const u = await joinAs(network, 'uniform', [], pu.pid);
    expect(u.status).toBe(0);
    const link = join(base, 'hosts-link');
    symlinkSync(u.hosts, link);
    const pv = await sandbox();
    const text = readFileSync(u.file, 'utf8').replace(/^container=.*$/m, `container=${'v'.repeat(64)}`).replace(/^address=.*$/m, 'address=10.89.0.88').replace(/^mac=.*$/m, 'mac=02:42:0a:59:00:58');
    for (const [hosts, why] of [[link, 'symbolic link'], ['relative/hosts', 'not an absolute path']] as const) {
      const file = join(base, 'bad-hosts.attach');
      writeFileSync(file, text.replace(/^hosts=.*$/m, `hosts=${hosts}`));
      const refused = spawnSync(NETATTACH_BINARY, ['--target', String(pv.pid), file], { encoding: 'utf8', timeout: 20_000 });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(why);
    }
  });

  it('gives up, in one line, on a switch that does not answer (simulation: a socket that accepts and says nothing)', async () => {
    const socketPath = join(base, 'silent.sock');
    const held: Socket[] = [];
    const server = createServer((connection) => { held.push(connection); });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const pw = await sandbox();
      const file = join(base, 'silent.attach');
      writeFileSync(file, readFileSync(a.file, 'utf8').replace(/^socket=.*$/m, `socket=${socketPath}`));
      const result = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn(NETATTACH_BINARY, ['--target', String(pw.pid), file], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
        const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
        child.on('close', (status) => { clearTimeout(timer); resolve({ status, stderr }); });
      });
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('did not answer');
    } finally {
      for (const connection of held) connection.destroy();
      server.close();
    }
  }, 40_000);

  it('says to start again when it finds no switch', () => {
    const file = join(base, 'none.attach');
    writeFileSync(file, readFileSync(a.file, 'utf8').replace(/^socket=.*$/m, `socket=${join(base, 'no-such.sock')}`));
    const result = spawnSync(NETATTACH_BINARY, ['--target', String(a.pid), file], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/switch is not running .*: start the container again/);
  });

  it('ends each switch (and removes its socket) once its members are gone', async () => {
    killAll();
    for (const network of [front, back]) {
      await until(() => !existsSync(switchSocketPath(store, network.id)), `the switch of ${network.name} ends`);
      expect(await switchRunning(store, network)).toBe(false);
    }
    const left = spawnSync('pgrep', ['-f', `burrow-switch ${networkDir(store, front.id)}`]).status;
    expect(left).toBe(1);
  });
});
