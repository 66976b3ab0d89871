import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { withLockFileSync } from '../../src/store/lockfile.js';
import { bootId, formatIdentity, identify, isGone, parseIdentity, selfIdentity, type ProcessIdentity } from '../../src/util/process-identity.js';

const lockPath = (): string => join(mkdtempSync(join(tmpdir(), 'burrow-lockfile-')), 'locks', 'names.lock');

/** A process that has exited (and been reaped): the identity it had. */
function goneProcess(): ProcessIdentity {
  const result = spawnSync('sh', ['-c', 'echo $$; cut -d" " -f22 /proc/$$/stat'], { encoding: 'utf8' });
  const [pid, startTime] = result.stdout.trim().split('\n');
  return { pid: Number(pid), startTime: startTime!, bootId: bootId() };
}

describe('withLockFileSync', () => {
  it('holds the file while the body runs and removes it after, also when the body throws', () => {
    const path = lockPath();
    expect(withLockFileSync(path, () => existsSync(path))).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(() => withLockFileSync(path, () => { throw new Error('body failed'); })).toThrow('body failed');
    expect(existsSync(path)).toBe(false);
  });

  it('names its holder in the file: pid, start time and boot id', () => {
    const path = lockPath();
    const seen = withLockFileSync(path, () => readFileSync(path, 'utf8'));
    expect(seen).toBe(`${formatIdentity(selfIdentity())}\n`);
    expect(seen).toBe(`${process.pid}.${identify(process.pid)!.startTime}.${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}\n`);
  });

  it('waits for a live holder and then gives up with a one-line error naming it, however old its file is', async () => {
    const path = lockPath();
    mkdirSync(join(path, '..'), { recursive: true });
    // A live process holds the lock; its file is a minute old (the old rule took such a lock away after 2 s).
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(path, `${formatIdentity(identify(holder.pid!)!)}\n`);
      const old = new Date(Date.now() - 60_000);
      utimesSync(path, old, old);
      expect(() => withLockFileSync(path, () => 'never', 300)).toThrow(new RegExp(`names\\.lock has been locked for 0\\.3 s by burrow process ${holder.pid}, which is still running: wait for it or stop it`));
      expect(existsSync(path)).toBe(true);
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
    // Now the holder is gone: the lock is taken over at once.
    expect(withLockFileSync(path, () => 'taken', 1_000)).toBe('taken');
  });

  it('takes over a lock whose holder is gone (pid gone, pid reused by another start, or an earlier boot)', () => {
    const gone = goneProcess();
    const boot = bootId();
    expect(isGone(gone)).toBe(true);
    expect(isGone({ bootId: boot, pid: process.pid, startTime: '1' })).toBe(true);
    expect(isGone({ bootId: '00000000-0000-0000-0000-000000000000', pid: process.pid, startTime: selfIdentity().startTime })).toBe(true);
    expect(isGone(selfIdentity())).toBe(false);
    const path = lockPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, `${formatIdentity(gone)}\n`);
    expect(withLockFileSync(path, () => 'taken', 1_000)).toBe('taken');
    expect(existsSync(path)).toBe(false);
    // The tombstone that made the takeover exclusive names the gone holder.
    expect(readdirSync(join(path, '..'))).toEqual([`names.lock.gone.${boot}-${gone.pid}-${gone.startTime}`]);
  });

  it('takes over a lock whose holder has exited but not been reaped (a zombie holds nothing)', async () => {
    // The child exits at once; its parent never waits for it.
    const parent = spawn('python3', ['-c', 'import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(600)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [chunk] = (await once(parent.stdout!, 'data')) as [Buffer];
      const zombie = Number(chunk.toString().trim());
      let stat = '';
      for (let tries = 0; tries < 500 && !/\) Z /.test(stat); tries++) {
        stat = readFileSync(`/proc/${zombie}/stat`, 'latin1');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(stat).toMatch(/\) Z /);
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const holder = { pid: zombie, startTime: fields[19]!, bootId: bootId() };
      expect(identify(zombie)).toBeUndefined();
      expect(isGone(holder)).toBe(true);
      const path = lockPath();
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, `${formatIdentity(holder)}\n`);
      expect(withLockFileSync(path, () => 'taken', 1_000)).toBe('taken');
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('takes over an older burrow\'s empty lock file only once it is older than 2 s', () => {
    const path = lockPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '');
    expect(() => withLockFileSync(path, () => 'never', 100)).toThrow(/locked for 0\.1 s by another burrow process/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    expect(withLockFileSync(path, () => 'taken', 1_000)).toBe('taken');
  });

  it('never has two holders: real processes racing for the lock, some killed while holding it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'burrow-lockfile-race-'));
    const lock = join(dir, 'locks', 'names.lock');
    const marker = join(dir, 'inside');
    const violations = join(dir, 'violations');
    writeFileSync(violations, '');
    // The module under test, bundled for plain node (the workers are real processes, not vitest's).
    buildSync({ entryPoints: [fileURLToPath(new URL('../../src/store/lockfile.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', outfile: join(dir, 'lockfile.mjs'), logLevel: 'error' });
    writeFileSync(join(dir, 'worker.mjs'), `
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { withLockFileSync } from './lockfile.mjs';
const startTime = (pid) => { try { const stat = readFileSync('/proc/' + pid + '/stat', 'latin1'); const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); return fields[0] === 'Z' ? undefined : fields[19]; } catch { return undefined; } };
const [lock, marker, violations, iterations, crashAt] = process.argv.slice(2);
const spin = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
for (let i = 0; i < Number(iterations); i++) {
  withLockFileSync(lock, () => {
    // Exactly one holder at a time: the marker is absent or left by a holder that was killed.
    let previous;
    try { previous = readFileSync(marker, 'utf8'); } catch {}
    if (previous !== undefined) {
      const [pid, start] = previous.split(' ');
      if (startTime(Number(pid)) === start) appendFileSync(violations, previous + ' and ' + process.pid + '\\n');
    }
    writeFileSync(marker, process.pid + ' ' + startTime(process.pid));
    spin(0.3);
    if (i === Number(crashAt)) process.kill(process.pid, 'SIGKILL');
    rmSync(marker, { force: true });
  }, 30_000);
}
`);
    let crashed = 0;
    let finished = 0;
    for (let round = 0; round < 3; round++) {
      // Half the workers are killed while holding the lock, each at an iteration of its own; the others finish.
      const workers = Array.from({ length: 6 }, (_, index) => spawn(process.execPath, [join(dir, 'worker.mjs'), lock, marker, violations, '150', index % 2 === 0 ? String(20 + Math.floor(Math.random() * 100)) : '-1'], { stdio: ['ignore', 'ignore', 'pipe'] }));
      const stderr = workers.map((worker) => { let text = ''; worker.stderr!.on('data', (chunk: Buffer) => { text += chunk.toString(); }); return () => text; });
      const exits = await Promise.all(workers.map(async (worker) => (await once(worker, 'exit')) as [number | null, string | null]));
      for (const [index, [code, signal]] of exits.entries()) {
        if (signal === 'SIGKILL') crashed++;
        else {
          expect(code, stderr[index]!()).toBe(0);
          finished++;
        }
      }
    }
    expect(readFileSync(violations, 'utf8')).toBe('');
    // A holder killed after every other worker had finished left its lock for the next comer: this one.
    expect(withLockFileSync(lock, () => 'last', 1_000)).toBe('last');
    // The race was real: holders died holding the lock and others took it over.
    expect(crashed).toBe(9);
    expect(finished).toBe(9);
    expect(readdirSync(join(dir, 'locks')).filter((name) => name.includes('.gone.')).length).toBe(crashed);
  }, 120_000);
});

describe('process identity (the spelling lock files, scratch names and a container\'s monitor and pid files share)', () => {
  it('is PID.STARTTIME.BOOTID, read back as written; anything else names no process', () => {
    const me = selfIdentity();
    expect(formatIdentity(me)).toBe(`${process.pid}.${me.startTime}.${bootId()}`);
    expect(parseIdentity(formatIdentity(me))).toEqual(me);
    for (const text of ['', '12', '12.34', `0.34.${bootId()}`, `12.0.${bootId()}`, `12.34.${bootId()}.x`, `-1.34.${bootId()}`, `12 34 ${bootId()}`, `12.34.BOOT`]) {
      expect(parseIdentity(text), text).toBeUndefined();
    }
  });
});
