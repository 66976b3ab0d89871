import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
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
  const attach = spawnSync(NETATTACH_BINARY, ['--target', String(pid), file], { encoding: 'utf8' });
  return { id, pid, hosts, address: attachment.address, file, status: attach.status, stderr: attach.stderr };
}

/** Whether `from` gets the line a one-shot nc server in `to` sends (the server retried until it listens). */
async function reaches(from: number, to: number, address: string, port: number): Promise<boolean> {
  // A process group of its own: the nc under its shell goes with it.
  const server = spawn('nsenter', ['--preserve-credentials', '--user', '--net', '--target', String(to), 'sh', '-c', `echo hello-${port} | busybox nc -l -p ${port}`], { stdio: 'ignore', detached: true });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const client = inside(from, ['busybox', 'nc', '-w', '2', address, String(port)]);
      if (client.stdout.includes(`hello-${port}`)) return true;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
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
