import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxReady, waitForSandbox } from '../../src/container/state.js';

describe('sandboxReady', () => {
  it('is false while a process is still a fork of its parent (bwrap before it runs burrow-init), true once it has executed something else', async () => {
    // The subshell is a fork of sh, with sh's command line, until it executes sleep:
    // bwrap's PID 1 before and after its exec. It waits on a FIFO, so the test decides when.
    const fifo = join(mkdtempSync(join(tmpdir(), 'burrow-ready-')), 'go');
    execFileSync('mkfifo', [fifo]);
    const shell = spawn('sh', ['-c', '(read go < "$0"; exec sleep 5) & echo $!; wait', fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let forked = 0;
    try {
      const [chunk] = (await once(shell.stdout!, 'data')) as [Buffer];
      forked = Number(chunk.toString().trim());
      expect(sandboxReady(forked)).toBe(false);
      // Not ready within its time-out: the wait gives up rather than hang.
      await waitForSandbox(forked, 50);
      expect(sandboxReady(forked)).toBe(false);
      writeFileSync(fifo, 'go\n');
      await waitForSandbox(forked, 10_000);
      expect(sandboxReady(forked)).toBe(true);
    } finally {
      if (forked > 0) process.kill(forked, 'SIGKILL');
      shell.kill('SIGKILL');
    }
  });

  it('is true for a process that is gone, so nothing waits on it', () => {
    expect(sandboxReady(2 ** 22 + 12345)).toBe(true);
  });
});
