import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** Whether the dynamic loader can find libsystemd.so.0 here (then --systemd calls through sd-bus). */
function hasLibsystemd(): boolean {
  const cache = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
  return cache.status === 0 && /\blibsystemd\.so\.0\b/.test(cache.stdout);
}

/**
 * A host without libsystemd (simulation): an unloadable libsystemd.so.0 first on
 * LD_LIBRARY_PATH makes the dlopen fail, and a fake busctl first on PATH records
 * its argv, its XDG_RUNTIME_DIR and whether fd 3 reached it, then plays the user
 * manager by listing the pid (its last argument) in $D/cg/cgroup.procs, or fails
 * when $D/busctl-fails exists. Returns the shell prefix that sets this up.
 */
function withoutLibsystemd(): string {
  mkdirSync(join(base, 'lib'));
  writeFileSync(join(base, 'lib', 'libsystemd.so.0'), 'not a shared object\n');
  mkdirSync(join(base, 'bin'));
  const busctl = join(base, 'bin', 'busctl');
  writeFileSync(busctl, `#!/bin/sh
printf '%s\\n' "$*" > "${base}/busctl-args"
printf '%s\\n' "$XDG_RUNTIME_DIR" > "${base}/busctl-runtime"
if [ -e /proc/self/fd/3 ]; then echo open > "${base}/busctl-fd3"; fi
if [ -e "${base}/busctl-fails" ]; then echo 'Call failed: Unit burrow-holder.service not loaded.' >&2; echo 'more' >&2; exit 1; fi
for last; do :; done
mkdir -p "${base}/cg" && echo "$last" > "${base}/cg/cgroup.procs"
`);
  chmodSync(busctl, 0o755);
  return `LD_LIBRARY_PATH="$D/lib" PATH="$D/bin:$PATH"`;
}

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

  it.skipIf(!hasLibsystemd())('through sd-bus (libsystemd here), no manager behind the runtime dir: the reason names the bus address it tried', () => {
    const result = run(`env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR="$D/run time" "$B" --systemd burrow-holder.service /burrow-x --procs "$D/none/cgroup.procs" -- touch "$D/ran"`);
    expect(result.status).toBe(125);
    // The blank escaped as D-Bus addresses want it; the manager's private socket was tried first, silently.
    expect(result.info).toBe(`burrow-why cannot enter the container's cgroup burrow-holder.service/burrow-x through the systemd user manager: cannot connect to unix:path=${base}/run%20time/bus: No such file or directory\n{"burrow-error":"cgroup"}\n`);
    expect(existsSync(join(base, 'ran'))).toBe(false);
  });

  const uid = process.getuid?.() ?? 0;
  it.skipIf(!hasLibsystemd() || existsSync(`/run/user/${uid}/bus`))('through sd-bus with XDG_RUNTIME_DIR unset: the bus of /run/user/UID', () => {
    const result = run(`env -u DBUS_SESSION_BUS_ADDRESS -u XDG_RUNTIME_DIR "$B" --systemd burrow-holder.service /burrow-x -- touch "$D/ran"`);
    expect(result.status).toBe(125);
    expect(result.info).toContain(`: cannot connect to unix:path=/run/user/${uid}/bus: `);
    expect(existsSync(join(base, 'ran'))).toBe(false);
  });

  it('without libsystemd (simulation: unloadable libsystemd, fake busctl): busctl --user asks the manager to attach this pid, with XDG_RUNTIME_DIR /run/user/UID when unset and no fd 3; the command runs', () => {
    const env = withoutLibsystemd();
    const result = run(`${env} env -u XDG_RUNTIME_DIR "$B" --systemd burrow-holder.service /burrow-x --procs "$D/cg/cgroup.procs" -- sh -c 'echo ran >&3'`);
    expect(result.status, result.stderr).toBe(0);
    expect(result.info).toBe('ran\n');
    const pid = readFileSync(join(base, 'cg', 'cgroup.procs'), 'utf8').trim();
    expect(pid).toMatch(/^\d+$/);
    expect(readFileSync(join(base, 'busctl-args'), 'utf8')).toBe(
      `--user call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager AttachProcessesToUnit ssau burrow-holder.service /burrow-x 1 ${pid}\n`,
    );
    expect(readFileSync(join(base, 'busctl-runtime'), 'utf8')).toBe(`/run/user/${uid}\n`);
    expect(existsSync(join(base, 'busctl-fd3'))).toBe(false);
  });

  it('without libsystemd (simulation: unloadable libsystemd, fake busctl that fails): its first stderr line on fd 3, exit 125, the command never runs', () => {
    const env = withoutLibsystemd();
    writeFileSync(join(base, 'busctl-fails'), '');
    const result = run(`${env} "$B" --systemd burrow-holder.service /burrow-x --procs "$D/cg/cgroup.procs" -- touch "$D/ran"`);
    expect(result.status).toBe(125);
    expect(result.info).toBe(`burrow-why cannot enter the container's cgroup burrow-holder.service/burrow-x through the systemd user manager: Call failed: Unit burrow-holder.service not loaded.\n{"burrow-error":"cgroup"}\n`);
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
