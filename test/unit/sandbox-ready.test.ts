import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sandboxReady, waitForSandbox } from '../../src/container/state.js';

describe('sandboxReady', () => {
  it('is false while a process is still a fork of its parent (bwrap before it runs burrow-init), true once it has executed something else', async () => {
    // The subshell is a fork of sh, with sh's command line, until it executes sleep: bwrap's PID 1 before and after its exec.
    const shell = spawn('sh', ['-c', '(sleep 0.4; exec sleep 5) & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let forked = 0;
    try {
      const [chunk] = (await once(shell.stdout!, 'data')) as [Buffer];
      forked = Number(chunk.toString().trim());
      expect(sandboxReady(forked)).toBe(false);
      const started = Date.now();
      await waitForSandbox(forked, 5_000);
      expect(sandboxReady(forked)).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      if (forked > 0) process.kill(forked, 'SIGKILL');
      shell.kill('SIGKILL');
    }
  });

  it('is true for a process that is gone, so nothing waits on it', () => {
    expect(sandboxReady(2 ** 22 + 12345)).toBe(true);
  });
});
