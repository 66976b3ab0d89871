import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { currentHolder, formatHolder, holderIsGone, processStartTime, withLockFileSync } from '../../src/store/lockfile.js';

const lockPath = (): string => join(mkdtempSync(join(tmpdir(), 'burrow-lockfile-')), 'locks', 'names.lock');

/** A process that has exited (and been reaped): its pid and the start time it had. */
function goneProcess(): { pid: number; startTime: string } {
  const result = spawnSync('sh', ['-c', 'echo $$; cut -d" " -f22 /proc/$$/stat'], { encoding: 'utf8' });
  const [pid, startTime] = result.stdout.trim().split('\n');
  return { pid: Number(pid), startTime: startTime! };
}

describe('withLockFileSync', () => {
  it('holds the file while the body runs and removes it after, also when the body throws', () => {
    const path = lockPath();
    expect(withLockFileSync(path, () => existsSync(path))).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(() => withLockFileSync(path, () => { throw new Error('body failed'); })).toThrow('body failed');
    expect(existsSync(path)).toBe(false);
  });

  it('names its holder in the file: boot id, pid and start time', () => {
    const path = lockPath();
    const seen = withLockFileSync(path, () => readFileSync(path, 'utf8'));
    expect(seen).toBe(formatHolder(currentHolder()));
    expect(seen).toBe(`${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${process.pid} ${processStartTime(process.pid)}\n`);
  });

  it('waits for a live holder and then gives up with a one-line error naming it, however old its file is', async () => {
    const path = lockPath();
    mkdirSync(join(path, '..'), { recursive: true });
    // A live process holds the lock; its file is a minute old (the old rule took such a lock away after 2 s).
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(path, formatHolder({ bootId: currentHolder().bootId, pid: holder.pid!, startTime: processStartTime(holder.pid!)! }));
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
    const bootId = currentHolder().bootId;
    expect(holderIsGone({ bootId, ...gone })).toBe(true);
    expect(holderIsGone({ bootId, pid: process.pid, startTime: '1' })).toBe(true);
    expect(holderIsGone({ bootId: '00000000-0000-0000-0000-000000000000', pid: process.pid, startTime: currentHolder().startTime })).toBe(true);
    expect(holderIsGone(currentHolder())).toBe(false);
    const path = lockPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, formatHolder({ bootId, ...gone }));
    expect(withLockFileSync(path, () => 'taken', 1_000)).toBe('taken');
    expect(existsSync(path)).toBe(false);
    // The tombstone that made the takeover exclusive names the gone holder.
    expect(readdirSync(join(path, '..'))).toEqual([`names.lock.gone.${bootId}-${gone.pid}-${gone.startTime}`]);
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
import { processStartTime, withLockFileSync } from './lockfile.mjs';
const [lock, marker, violations, iterations, crashAt] = process.argv.slice(2);
const spin = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
for (let i = 0; i < Number(iterations); i++) {
  withLockFileSync(lock, () => {
    // Exactly one holder at a time: the marker is absent or left by a holder that was killed.
    let previous;
    try { previous = readFileSync(marker, 'utf8'); } catch {}
    if (previous !== undefined) {
      const [pid, start] = previous.split(' ');
      if (processStartTime(Number(pid)) === start) appendFileSync(violations, previous + ' and ' + process.pid + '\\n');
    }
    writeFileSync(marker, process.pid + ' ' + processStartTime(process.pid));
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
    // The race was real: holders died holding the lock and others took it over.
    expect(crashed).toBe(9);
    expect(finished).toBe(9);
    expect(readdirSync(join(dir, 'locks')).filter((name) => name.includes('.gone.')).length).toBe(crashed);
  }, 120_000);
});
