import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BURROW_BIN, burrow, expectOneLineError, inTerminal, run, jsonLines } from '../helpers/cli.js';
import { busybox, suiteSandbox } from '../helpers/suite.js';
import { until } from '../helpers/poll.js';

/**
 * Nothing deleted that the user did not mean to delete (issue 13): every prune asks
 * Docker's question on a terminal and does nothing unless the answer is y; -f skips
 * the question; without a terminal (a script, CI) a prune without -f is refused.
 * `volume prune` removes anonymous volumes only, unless -a.
 */
const QUESTION = 'Are you sure you want to continue? [y/N] ';
const cli = `${process.execPath} ${BURROW_BIN}`;
const box = suiteSandbox();

const volumes = async (): Promise<string[]> => (await run(box, ['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean).sort();
const containers = async (): Promise<string[]> => (await run(box, ['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean).sort();
const ok = async (args: string[]): Promise<string> => {
  const result = await run(box, args);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout.trim();
};

describe('volume prune', () => {
  it('removes only anonymous volumes no container uses; asks first on a terminal, refuses without one unless -f; -a takes named ones too', async () => {
    await ok(['volume', 'create', 'named-data']);
    // Docker's mark of an anonymous volume, set here by hand as `-v /path` would set it.
    await ok(['volume', 'create', '--label', 'com.docker.volume.anonymous=', 'anon-free']);
    await ok(['volume', 'create', '--label', 'com.docker.volume.anonymous=', 'anon-used']);
    const user = await ok(['create', '-v', 'anon-used:/data', busybox(), 'true']);
    const all = ['anon-free', 'anon-used', 'named-data'];
    expect(await volumes()).toEqual(all);

    // No terminal, no -f: refused, one line, nothing removed.
    expect(expectOneLineError(await run(box, ['volume', 'prune']))).toMatch(/refusing to prune volumes without confirmation: not on a terminal, so pass --force/);
    expect(await volumes()).toEqual(all);

    // On a terminal: "N", then an empty answer: nothing removed, exit 1 (cancelled).
    const declined = await inTerminal(box, [`${cli} volume prune; echo "status=$?"`, `${cli} volume prune; echo "status=$?"`], [
      { afterOutput: QUESTION, text: 'N\n' },
      { afterOutput: QUESTION, text: '\n' },
    ]);
    expect(declined).toContain(`WARNING! This will remove anonymous local volumes not used by at least one container.\n${QUESTION}`);
    expect(declined.match(/volume prune cancelled: nothing was removed\nstatus=1/g)).toHaveLength(2);
    expect(declined).not.toContain('Deleted Volumes');
    expect(await volumes()).toEqual(all);

    // "y": the unused anonymous volume goes; the named one and the one in use stay.
    const accepted = await inTerminal(box, [`${cli} volume prune; echo "status=$?"`], [{ afterOutput: QUESTION, text: 'y\n' }]);
    expect(accepted).toContain('Deleted Volumes:\nanon-free\nstatus=0');
    expect(await volumes()).toEqual(['anon-used', 'named-data']);

    // -f: no question, and still never a named volume.
    expect(await ok(['volume', 'prune', '-f'])).toBe('Deleted Volumes: none');
    expect(await volumes()).toEqual(['anon-used', 'named-data']);

    // -a asks about all volumes; with -f it removes the named one no container uses, never one in use.
    const askedAll = await inTerminal(box, [`${cli} volume prune -a; echo "status=$?"`], [{ afterOutput: QUESTION, text: 'no\n' }]);
    expect(askedAll).toContain(`WARNING! This will remove all local volumes not used by at least one container.\n${QUESTION}`);
    expect(askedAll).toContain('status=1');
    expect(await volumes()).toEqual(['anon-used', 'named-data']);
    expect(await ok(['volume', 'prune', '-a', '-f'])).toBe('Deleted Volumes:\nnamed-data');
    expect(await volumes()).toEqual(['anon-used']);

    await ok(['rm', user]);
    expect(await ok(['volume', 'prune', '-f'])).toBe('Deleted Volumes:\nanon-used');
    expect(await volumes()).toEqual([]);
  });
});

describe('container prune', () => {
  it('asks first on a terminal and removes nothing on N; y removes every stopped container, never a running one; no terminal without -f is refused', async () => {
    const created = await ok(['create', busybox(), 'true']);
    const exited = await ok(['run', '-d', busybox(), 'true']);
    await ok(['wait', exited]);
    const running = await ok(['run', '-d', busybox(), 'sleep', '600']);
    const all = [created, exited, running].sort();
    expect(await containers()).toEqual(all);

    expect(expectOneLineError(await run(box, ['container', 'prune']))).toMatch(/refusing to prune containers without confirmation: not on a terminal, so pass --force/);
    expect(await containers()).toEqual(all);

    const declined = await inTerminal(box, [`${cli} container prune; echo "status=$?"`], [{ afterOutput: QUESTION, text: 'N\n' }]);
    expect(declined).toContain(`WARNING! This will remove all stopped containers.\n${QUESTION}`);
    expect(declined).toContain('container prune cancelled: nothing was removed\nstatus=1');
    expect(await containers()).toEqual(all);

    const accepted = await inTerminal(box, [`${cli} container prune; echo "status=$?"`], [{ afterOutput: QUESTION, text: 'y\n' }]);
    expect(accepted).toMatch(/Deleted Containers:\n[a-f0-9]{64}\n[a-f0-9]{64}\nstatus=0/);
    expect(accepted).toContain(created);
    expect(accepted).toContain(exited);
    expect(await containers()).toEqual([running]);

    await ok(['create', busybox(), 'true']);
    expect(await ok(['container', 'prune', '-f'])).toMatch(/^Deleted Containers:\n[a-f0-9]{64}$/);
    expect(await containers()).toEqual([running]);
    await ok(['rm', '-f', running]);
  });
});

describe('system prune', () => {
  it("removes stopped and created containers as Docker's does, never a running one, then the networks and images only they used; --volumes takes the anonymous volumes no container uses", async () => {
    await ok(['network', 'create', 'only-stopped']);
    const created = await ok(['create', '--network', 'only-stopped', busybox(), 'true']);
    const exited = await ok(['run', '-d', '-v', '/scratch', busybox(), 'true']);
    await ok(['wait', exited]);
    const anonymous = await volumes();
    expect(anonymous).toHaveLength(1);
    const running = await ok(['run', '-d', '-v', '/kept', busybox(), 'sleep', '600']);
    const kept = (await volumes()).filter((name) => !anonymous.includes(name));

    const pruned = await ok(['system', 'prune', '-f']);
    const deleted = /^Deleted Containers:\n((?:[a-f0-9]{64}\n)+)\nDeleted Networks:\nonly-stopped\n/.exec(pruned);
    expect(deleted, pruned).not.toBeNull();
    expect(deleted![1]!.trim().split('\n').sort()).toEqual([created, exited].sort());
    expect(await containers()).toEqual([running]);
    expect((await run(box, ['network', 'inspect', 'only-stopped'])).exitCode).not.toBe(0);
    // Without --volumes, as Docker: volumes stay.
    expect(await volumes()).toEqual([...anonymous, ...kept].sort());

    expect(await ok(['system', 'prune', '-f', '--volumes'])).toContain(`Deleted Volumes:\n${anonymous[0]}\n`);
    expect(await volumes()).toEqual(kept);
    await ok(['rm', '-f', '-v', running]);
    expect(await volumes()).toEqual([]);
  });
});

describe('image prune and system prune', () => {
  it('ask first on a terminal and remove nothing on N; refuse without a terminal unless -f', async () => {
    const images = async (): Promise<number> => jsonLines(await ok(['images', '--format', 'json'])).length;
    expect(await images()).toBe(1);
    expect(expectOneLineError(await run(box, ['image', 'prune', '-a']))).toMatch(/refusing to prune images without confirmation: not on a terminal, so pass --force/);
    expect(expectOneLineError(await run(box, ['system', 'prune', '-a']))).toMatch(/refusing to prune without confirmation: not on a terminal, so pass --force/);
    expect(await images()).toBe(1);

    const declined = await inTerminal(box, [`${cli} image prune -a; echo "status=$?"`, `${cli} system prune -a; echo "status=$?"`], [
      { afterOutput: QUESTION, text: 'n\n' },
      { afterOutput: QUESTION, text: '\n' },
    ]);
    expect(declined).toContain(`WARNING! This will remove all images without at least one container associated to them.\n${QUESTION}`);
    expect(declined).toContain('image prune cancelled: nothing was removed\nstatus=1');
    expect(declined).toContain('system prune cancelled: nothing was removed\nstatus=1');
    expect(await images()).toBe(1);

    // Untagged only (the default): the tagged image stays.
    expect(await ok(['image', 'prune', '-f'])).toBe('Total reclaimed space: 0B');
    expect(await images()).toBe(1);
    const accepted = await inTerminal(box, [`${cli} image prune -a; echo "status=$?"`], [{ afterOutput: QUESTION, text: 'yes\n' }]);
    expect(accepted).toContain(`untagged: ${busybox()}`);
    expect(accepted).toContain('status=0');
    expect(await images()).toBe(0);
  });
});

/** A process waits for an exclusive flock on `path` (a `->` line of /proc/locks names the waiter and the file's inode). */
function flockWaiter(path: string): boolean {
  let inode: number;
  try {
    inode = statSync(path).ino;
  } catch {
    return false;
  }
  return readFileSync('/proc/locks', 'utf8').split('\n').some((line) => /^\d+: -> FLOCK\s+ADVISORY\s+WRITE\s/.test(line) && line.split(/\s+/)[6]?.split(':')[2] === String(inode));
}

describe('create --rm, then start -a', () => {
  it('a client held up (SIGSTOP) while its job ends and the monitor cleans up still gets every line and the exit status; the container goes once the client has them', async () => {
    const gate = mkdtempSync(join(box.dir, 'gate-'));
    const id = await ok(['create', '--rm', '-v', `${gate}:/gate`, busybox(), 'sh', '-c', 'echo before; while [ ! -e /gate/go ]; do sleep 0.05; done; echo after; echo late >&2; exit 5']);
    const dir = join(box.root, 'containers', id);
    const client = burrow(box, ['start', '-a', id]);
    let shown = '';
    client.stdout!.on('data', (chunk: Buffer) => { shown += chunk.toString(); });
    await until(() => shown.includes('before'), 30_000, 'the job\'s first line on the attached client');
    process.kill(client.pid!, 'SIGSTOP');
    try {
      writeFileSync(join(gate, 'go'), '');
      // The --rm clean-up has had its chance: either it removed the container under the stopped
      // client (the race this guards against) or the monitor waits for the client's hold.
      await until(() => !existsSync(dir) || flockWaiter(join(dir, 'attach-hold')), 30_000, 'the container to be removed, or its monitor to wait for the attached client');
      expect(existsSync(join(dir, 'exit')), 'the container was removed under its attached client').toBe(true);
    } finally {
      process.kill(client.pid!, 'SIGCONT');
    }
    const result = await client;
    expect({ exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) }).toEqual({ exitCode: 5, stdout: 'before\nafter', stderr: 'late' });
    await until(() => !existsSync(dir), 30_000, 'the --rm container to be removed once its client let go');
  });

  it('returns the exit status and all the output of every one of 30 tries, and the container goes afterwards', async () => {
    const failures: string[] = [];
    for (let attempt = 1; attempt <= 30; attempt++) {
      const status = (attempt % 7) + 1;
      const id = await ok(['create', '--rm', busybox(), 'sh', '-c', `echo out-${attempt}; echo err-${attempt} >&2; echo more-${attempt}; exit ${status}`]);
      const started = await run(box, ['start', '-a', id]);
      const expected = { exitCode: status, stdout: `out-${attempt}\nmore-${attempt}`, stderr: `err-${attempt}` };
      if (JSON.stringify({ exitCode: started.exitCode, stdout: started.stdout, stderr: started.stderr }) !== JSON.stringify(expected)) {
        failures.push(`try ${attempt}: exit ${started.exitCode}, stdout ${JSON.stringify(started.stdout)}, stderr ${JSON.stringify(started.stderr)}`);
      }
    }
    expect(failures).toEqual([]);
    // --rm still removes each, once its client has what it came for.
    await until(async () => (await containers()).length === 0, 30_000, 'the --rm containers to be removed');
  }, 600_000);

  it('with -i: start -a -i feeds the input and returns the status and output, 10 tries out of 10', async () => {
    const failures: string[] = [];
    for (let attempt = 1; attempt <= 10; attempt++) {
      const id = await ok(['create', '--rm', '-i', busybox(), 'sh', '-c', `cat; echo end-${attempt}; exit 3`]);
      const started = await run(box, ['start', '-a', '-i', id], { input: `in-${attempt}\n` });
      if (started.exitCode !== 3 || started.stdout !== `in-${attempt}\nend-${attempt}`) failures.push(`try ${attempt}: exit ${started.exitCode}, stdout ${JSON.stringify(started.stdout)}, stderr ${JSON.stringify(started.stderr)}`);
    }
    expect(failures).toEqual([]);
    await until(async () => (await containers()).length === 0, 30_000, 'the --rm containers to be removed');
  }, 300_000);
});
