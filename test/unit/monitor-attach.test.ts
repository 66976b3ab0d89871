import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/poll.js';

// The real monitor (build/native/burrow-monitor), running a host command in place of
// a container's launcher: whether the job waits for its client does not depend on which.
const MONITOR = join(import.meta.dirname, '../../build/native/burrow-monitor');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Starts the monitor (it detaches at once) on `script`, holding the job for a client for `waitMs`. */
function monitor(script: string, waitMs: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'burrow-monitor-attach-'));
  dirs.push(dir);
  const started = spawnSync(MONITOR, [dir, '--stdin', '--wait-attach', String(waitMs), '--', 'sh', '-c', script], { stdio: 'ignore' });
  expect(started.status).toBe(0);
  return dir;
}

/**
 * Connects to the monitor's attach socket (bound before the monitor returned) and collects the
 * output until it closes. `lateMs` simulates a client that is slow to connect (burrow's own
 * connects while its Node process goes on with the start): a job not held for it would be done by then.
 */
async function attach(dir: string, lateMs = 0): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, lateMs));
  const socket = connect(join(dir, 'attach.sock'));
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
  return Buffer.concat(chunks).toString();
}

const exitCode = (dir: string): number => (JSON.parse(readFileSync(join(dir, 'exit'), 'utf8')) as { exitCode: number }).exitCode;

describe('burrow-monitor --wait-attach (start -a)', () => {
  it('starts the job only once the client is there: its first output reaches a client that connects late (simulated), every time', async () => {
    for (let round = 0; round < 20; round++) {
      const dir = monitor('echo hi; exit 3', 10_000);
      expect(await attach(dir, round % 2 === 0 ? 0 : 100)).toBe('hi\n');
      await until(() => existsSync(join(dir, 'exit')), 10_000, 'the monitor to record the exit');
      expect(exitCode(dir)).toBe(3);
    }
  });

  it('runs the job unattached when no client comes within the wait (a start -a killed before it connected)', async () => {
    const dir = monitor('echo alone; exit 4', 200);
    await until(() => existsSync(join(dir, 'exit')), 10_000, 'the job to run without its client');
    expect(exitCode(dir)).toBe(4);
    expect(readFileSync(join(dir, 'ctr.log'), 'utf8')).toContain('"log":"alone\\n"');
  });
});
