import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CGEXEC_BINARY, createContainerCgroup, detectCgroupHost, entryArgv, oomKilled, readStats, removeContainerCgroup, resolveLimits } from '../../src/cgroup/index.js';

/*
 * native/burrow-cgexec run as it is (build/native). The move itself needs a real
 * cgroup; the failure paths and the check after the move are shown on ordinary
 * files standing for cgroup.procs (simulation), with fd 3 as the launcher's info
 * channel.
 */
const BINARY = join(import.meta.dirname, '../../build/native/burrow-cgexec');
let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'burrow-cgexec-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** Runs `sh -c SCRIPT` with fd 3 on a file; returns the status, stderr and what fd 3 got. */
function run(script: string): { status: number | null; stderr: string; info: string } {
  const info = join(base, 'info');
  const result = spawnSync('sh', ['-c', `${script} 3>"${info}"`], { encoding: 'utf8', env: { ...process.env, B: BINARY, D: base } });
  return { status: result.status, stderr: result.stderr, info: existsSync(info) ? readFileSync(info, 'utf8') : '' };
}

describe('burrow-cgexec', () => {
  it('is built where entryArgv names it (native/burrow-cgexec beside the modules)', () => {
    expect(CGEXEC_BINARY.endsWith('/native/burrow-cgexec')).toBe(true);
    expect(existsSync(BINARY)).toBe(true);
  });

  it('a cgroup it cannot enter: exit 125, burrow-why and the cgroup error on fd 3, the reason on stderr, the command never runs', () => {
    const result = run(`"$B" --procs "$D/none/cgroup.procs" -- touch "$D/ran"`);
    expect(result.status).toBe(125);
    expect(result.info).toBe(`burrow-why cannot enter the container's cgroup ${base}/none/cgroup.procs: No such file or directory\n{"burrow-error":"cgroup"}\n`);
    expect(result.stderr).toContain('No such file or directory');
    expect(existsSync(join(base, 'ran'))).toBe(false);
  });

  it('a move the kernel took but that left it elsewhere (simulation: a plain file takes the write) is caught by the check', () => {
    writeFileSync(join(base, 'cgroup.procs'), '');
    const result = run(`"$B" --procs "$D/cgroup.procs" -- touch "$D/ran"`);
    expect(result.status).toBe(125);
    expect(result.info).toContain('this process is not in it after the move');
    expect(existsSync(join(base, 'ran'))).toBe(false);
  });

  it('listed after the move (simulation: the file already lists the pid that exec keeps): the command runs with fd 3 left open', () => {
    // sh writes its own pid on the second line and execs burrow-cgexec under it; "0" overwrites the first line.
    const result = run(`printf '9\\n%s\\n' $$ > "$D/cgroup.procs"; exec "$B" --procs "$D/cgroup.procs" -- sh -c 'echo ran >&3'`);
    expect(result.status).toBe(0);
    expect(result.info).toBe('ran\n');
  });

  it('the user manager unreachable (--systemd with no bus): exit 125 with the reason on fd 3', () => {
    const result = run(`XDG_RUNTIME_DIR="$D" DBUS_SESSION_BUS_ADDRESS=unix:path="$D/bus" "$B" --systemd burrow-holder.service /burrow-x --procs "$D/none/cgroup.procs" -- touch "$D/ran"`);
    expect(result.status).toBe(125);
    expect(result.info).toMatch(/^burrow-why cannot enter the container's cgroup burrow-holder.service\/burrow-x through the systemd user manager: .+\n\{"burrow-error":"cgroup"\}\n$/);
    expect(existsSync(join(base, 'ran'))).toBe(false);
  });

  it('usage errors exit 125', () => {
    expect(run(`"$B" --procs`).status).toBe(125);
    expect(run(`"$B" --procs x`).status).toBe(125);
  });
});

// Real: the host's delegated cgroup (on this machine the test bed's v1 subtree of the test user), when there is one.
const host = detectCgroupHost();
describe.skipIf(host.route === 'none' || !host.controllers.includes('memory'))(`on this host's route (${host.route})`, () => {
  it('a process enters the container cgroup before its command; past --memory it is OOM-killed and the kernel says so; the cgroup goes', async () => {
    const { limits } = resolveLimits(host, { memory: 64 * 1024 * 1024, pidsLimit: 64 }, { disabled: false, ignoreMissing: true });
    const id = `cafe${Date.now().toString(16).padStart(12, '0')}`.slice(0, 16);
    const cgroup = await createContainerCgroup(host, id, limits);
    try {
      const argv = [BINARY, ...entryArgv(cgroup!).slice(1)]; // the built binary (the tests run from src/)
      const where = spawnSync(argv[0]!, [...argv.slice(1), 'cat', '/proc/self/cgroup'], { encoding: 'utf8' });
      expect(where.status).toBe(0);
      expect(where.stdout).toContain(id.slice(0, 12));
      if (host.controllers.includes('pids')) expect(readStats(cgroup!).pidsLimit).toBe(64);
      expect(oomKilled(cgroup!)).toBe(false);
      const hog = spawnSync(argv[0]!, [...argv.slice(1), 'node', '-e', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));'], { encoding: 'utf8' });
      expect(hog.signal).toBe('SIGKILL');
      expect(oomKilled(cgroup!)).toBe(true);
    } finally {
      await removeContainerCgroup(cgroup);
    }
    for (const dir of 'v2' in cgroup!.dirs ? [cgroup!.dirs.v2] : Object.values(cgroup!.dirs.v1)) expect(existsSync(dir!)).toBe(false);
  });
});
