import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BURROW_BIN, burrow, expectOneLineError, inTerminal, run, sandbox, removeAllContainers, jsonLines, type Sandbox } from '../helpers/cli.js';
import { busybox, suiteSandbox } from '../helpers/suite.js';
import { until } from '../helpers/poll.js';
import { recordedMonitor } from '../helpers/records.js';

const box = suiteSandbox();

interface Listed { Id: string; Names: string; State: string }
/** `ps -a --format json`: Docker's rows, one a line (with --no-trunc, whole ids). */
const listed = async (on: Sandbox): Promise<Listed[]> =>
  jsonLines<{ ID: string; Names: string; State: string }>((await run(on, ['ps', '-a', '--no-trunc', '--format', 'json'])).stdout).map(({ ID, Names, State }) => ({ Id: ID, Names, State }));
const ps = async (): Promise<Listed[]> => listed(box);
const inspect = async (name: string): Promise<{ State: { Status: string; ExitCode: number; Pid: number; RestartCount: number; Error: string }; Name: string; Config: { Labels: Record<string, string> } }> => {
  const result = await run(box, ['inspect', name]);
  if (result.exitCode !== 0) throw new Error(`burrow inspect ${name} failed (${result.exitCode}): ${result.stderr}`);
  return (JSON.parse(result.stdout) as never[])[0]!;
};
/** `run -d`, checked: a test that goes on after a failed start only shows a later symptom. */
const runDetached = async (args: string[]): Promise<string> => {
  const result = await run(box, ['run', '-d', ...args]);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout.trim();
};

const LOOP = 'echo started; echo to-stderr >&2; trap "echo bye; exit 0" TERM; while true; do sleep 0.1; done';

describe('detached containers and their monitor', () => {
  it('run -d returns the id at once; ps, logs, exec, stop, wait, rm work on it', async () => {
    const started = await run(box, ['run', '-d', '--name', 'svc', '-l', 'team=ci', busybox(), 'sh', '-c', LOOP]);
    expect(started.exitCode, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    expect((await ps()).find((container) => container.Id === id)).toMatchObject({ Names: 'svc', State: 'running' });
    await until(async () => (await run(box, ['logs', 'svc'])).stdout.includes('started'));
    const logs = await run(box, ['logs', 'svc']);
    expect(logs.stdout).toBe('started');
    expect(logs.stderr).toBe('to-stderr');
    expect((await run(box, ['logs', '-t', 'svc'])).stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z started$/);

    const exec = await run(box, ['exec', id.slice(0, 12), 'sh', '-c', 'id -u; cat /proc/1/cmdline | tr "\\0" " "; echo; grep NoNewPrivs /proc/self/status; hostname']);
    expect(exec.exitCode, exec.stderr).toBe(0);
    const [uid, pid1, nnp, hostname] = exec.stdout.split('\n');
    expect(uid).toBe('0');
    expect(pid1).toContain('while true');
    expect(nnp).toBe('NoNewPrivs:\t1');
    expect(hostname).toBe(id.slice(0, 12));
    expect((await run(box, ['exec', 'svc', 'sh', '-c', 'exit 9'])).exitCode).toBe(9);
    expect((await run(box, ['exec', '-e', 'X=1', '-w', '/tmp', '-u', 'nobody', 'svc', 'sh', '-c', 'echo $X $(pwd) $(id -u)'])).stdout).toBe('1 /tmp 65534');

    expect((await inspect('svc')).Config.Labels).toEqual({ team: 'ci' });
    expect((await run(box, ['stop', 'svc'])).stdout).toBe('svc');
    expect((await run(box, ['wait', 'svc'])).stdout).toBe('0');
    expect((await run(box, ['logs', '--tail', '1', 'svc'])).stdout).toBe('bye');
    expect(await inspect('svc')).toMatchObject({ Name: '/svc', State: { Status: 'exited', ExitCode: 0 } });
    expect(expectOneLineError(await run(box, ['exec', 'svc', 'true']))).toMatch(/container svc is not running/);
    expect((await run(box, ['rm', 'svc'])).exitCode).toBe(0);
    expect((await ps()).some((container) => container.Id === id)).toBe(false);
  });

  it('stop sends SIGKILL after the timeout when the job ignores SIGTERM', async () => {
    const id = (await run(box, ['run', '-d', busybox(), 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'])).stdout.trim();
    expect((await run(box, ['stop', '-t', '1', id])).exitCode).toBe(0);
    // 137: it took the SIGKILL that follows the timeout.
    expect((await inspect(id)).State.ExitCode).toBe(137);
    await run(box, ['rm', id]);
  });

  it('create, then start; start of a running container does nothing and succeeds, as docker start', async () => {
    const id = (await run(box, ['create', '--name', 'later', busybox(), 'sh', '-c', LOOP])).stdout.trim();
    expect((await ps()).find((container) => container.Id === id)?.State).toBe('created');
    expect((await run(box, ['start', 'later'])).exitCode).toBe(0);
    expect((await inspect('later')).State.Status).toBe('running');
    const monitor = recordedMonitor(join(box.root, 'containers', id));
    const again = await run(box, ['start', 'later']);
    expect(again, again.stderr).toMatchObject({ exitCode: 0, stdout: 'later', stderr: '' });
    // The same monitor as before: the second start spawned nothing.
    expect(recordedMonitor(join(box.root, 'containers', id))).toEqual(monitor);
    expect(expectOneLineError(await run(box, ['rm', 'later']))).toMatch(/cannot remove running container later: stop it first, or use --force/);
    expect((await run(box, ['rm', '-f', 'later'])).exitCode).toBe(0);
  });

  it('kill sends the signal asked for; kill of a stopped container is an error', async () => {
    await runDetached(['--name', 'killme', '--init', busybox(), 'sh', '-c', 'trap "exit 3" USR1; echo trap-set; while true; do sleep 0.1; done']);
    // The signal goes once the job says its trap is set, not after a guessed delay.
    await until(async () => (await run(box, ['logs', 'killme'])).stdout === 'trap-set', 15_000, 'the job to set its trap');
    expect((await run(box, ['kill', '-s', 'USR1', 'killme'])).exitCode).toBe(0);
    expect((await run(box, ['wait', 'killme'])).stdout).toBe('3');
    expect(expectOneLineError(await run(box, ['kill', 'killme']))).toMatch(/container killme is not running/);
    expect(expectOneLineError(await run(box, ['kill', '-s', 'NOPE', 'killme']))).toMatch(/invalid signal "NOPE"/);
    await run(box, ['rm', 'killme']);
  });

  it('run -d of jobs that end at once still returns their ids (the pid file comes and goes under it)', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => run(box, ['run', '-d', '--restart', 'on-failure:1', busybox(), 'sh', '-c', 'exit 1'])));
    for (const result of results) {
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout.trim()).toMatch(/^[a-f0-9]{64}$/);
    }
    await run(box, ['rm', '-f', ...results.map((result) => result.stdout.trim())]);
  });

  it('--rm with -d removes the container when it exits', async () => {
    const started = await run(box, ['run', '-d', '--rm', busybox(), 'sh', '-c', 'echo short-lived']);
    expect(started.exitCode, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    await until(async () => !(await ps()).some((container) => container.Id === id));
    // The monitor's clean-up removes the directory right after the record.
    const dir = join(box.root, 'containers', id);
    await until(async () => !existsSync(dir)).catch(async (error: Error) => {
      const left = await execa('ls', ['-laR', dir], { reject: false });
      throw new Error(`${error.message}; left behind:\n${String(left.stdout)}${String(left.stderr)}`);
    });
  });

  it('--restart on-failure:2 restarts a failing job twice, then leaves it exited', async () => {
    await runDetached(['--name', 'flaky', '--restart', 'on-failure:2', busybox(), 'sh', '-c', 'echo attempt; exit 1']);
    await until(async () => (await inspect('flaky')).State.RestartCount === 2 && (await inspect('flaky')).State.Status === 'exited', 20_000);
    expect((await run(box, ['logs', 'flaky'])).stdout.split('\n')).toEqual(['attempt', 'attempt', 'attempt']);
    expect((await inspect('flaky')).State.ExitCode).toBe(1);
    await run(box, ['rm', 'flaky']);
  });

  it('--restart always restarts until stop, and stop means no further restart', async () => {
    await runDetached(['--name', 'always', '--restart', 'always', busybox(), 'sh', '-c', 'echo again; exit 1']);
    await until(async () => (await inspect('always')).State.RestartCount >= 2, 20_000);
    expect((await run(box, ['stop', '-t', '1', 'always'])).exitCode).toBe(0);
    const after = (await inspect('always')).State.RestartCount;
    // No further restart can come: the monitor, which alone restarts the job, has ended (rather than a guessed wait).
    const monitor = recordedMonitor(join(box.root, 'containers', (await inspect('always') as unknown as { Id: string }).Id));
    await until(() => !existsSync(`/proc/${monitor.pid}`) || readFileSync(`/proc/${monitor.pid}/status`, 'utf8').includes('State:\tZ'), 15_000, 'the monitor of the stopped container to end');
    expect((await inspect('always')).State).toMatchObject({ Status: 'exited', RestartCount: after });
    await run(box, ['rm', 'always']);
  });

  it('rm of a container in its restart back-off takes its monitor with it', async () => {
    const id = await runDetached(['--restart', 'always', busybox(), 'sh', '-c', 'exit 1']);
    await until(async () => (await inspect(id)).State.RestartCount >= 1, 20_000);
    const monitor = recordedMonitor(join(box.root, 'containers', id));
    expect((await run(box, ['rm', '-f', id])).exitCode).toBe(0);
    await until(async () => !existsSync(`/proc/${monitor.pid}`) || readFileSync(`/proc/${monitor.pid}/status`, 'utf8').includes('State:\tZ'));
  });

  it('a killed monitor leaves no ghost: the container shows exited and its processes are gone', async () => {
    const id = (await run(box, ['run', '-d', busybox(), 'sh', '-c', 'while true; do sleep 0.1; done'])).stdout.trim();
    const monitor = recordedMonitor(join(box.root, 'containers', id));
    const { Pid } = (await inspect(id)).State;
    expect(Pid).toBeGreaterThan(0);
    process.kill(monitor.pid, 'SIGKILL');
    await until(async () => (await inspect(id)).State.Status === 'exited');
    const state = (await inspect(id)).State;
    expect(state.ExitCode).toBe(-1);
    expect(state.Error).toMatch(/monitor of this container died/);
    await until(async () => !existsSync(`/proc/${Pid}`) || readFileSync(`/proc/${Pid}/status`, 'utf8').includes('State:\tZ'));
    expect((await run(box, ['rm', id])).exitCode).toBe(0);
  });

  it('two processes removing one container at once: one wins, the other is told, nothing is left', async () => {
    const id = (await run(box, ['run', '-d', busybox(), 'sh', '-c', 'while true; do sleep 0.1; done'])).stdout.trim();
    const results = await Promise.all([run(box, ['rm', '-f', id]), run(box, ['rm', '-f', id])]);
    // One removes it (and names it); the other finds it gone (rm -f: exit 0, as Docker's) or busy (exit 1).
    expect(results.filter((result) => result.exitCode === 0 && result.stdout.trim() === id)).toHaveLength(1);
    const loser = results.find((result) => result.stdout.trim() !== id)!;
    if (loser.exitCode === 0) expect(loser.stdout + loser.stderr).toBe('');
    else expect(expectOneLineError(loser)).toMatch(/is busy with another burrow command/);
    expect(existsSync(join(box.root, 'containers', id))).toBe(false);
  });
});

describe('a foreground run whose CLI is killed', () => {
  // A job of another user (-u 1000) outlives a SIGKILLed CLI: bwrap's parent-death signal
  // cannot reach it (the dying bwrap may not signal another uid). The container counts as
  // exited (its monitor, the CLI, is gone); `rm -f` must still end the job.
  for (const init of [false, true]) {
    it(`rm -f ends the job left running as another user${init ? ' (--init)' : ''}`, async () => {
      const name = `killed-cli-${init ? 'init' : 'plain'}`;
      const child = burrow(box, ['run', '--name', name, '-u', '1000', ...(init ? ['--init'] : []), busybox(), 'sleep', '300']);
      child.catch(() => {});
      let pid = 0;
      await until(async () => {
        const state = (await ps()).find((entry) => entry.Names === name);
        if (state?.State === 'running') pid = (await inspect(name)).State.Pid;
        return pid > 0;
      }, 30_000, 'the job to run');
      // The host sees the job (the sandbox's PID 1) as the test user's subordinate uid.
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+\d+/m);
      // Not awaited: the orphaned job still holds the CLI's stdout and stderr open.
      child.kill('SIGKILL');
      expect((await run(box, ['rm', '-f', name])).exitCode).toBe(0);
      const gone = (): boolean => {
        try {
          return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
        } catch {
          return true;
        }
      };
      await until(async () => gone(), 30_000, 'the job to end with rm -f');
      expect((await ps()).find((entry) => entry.Names === name)).toBeUndefined();
    }, 60_000);
  }
});

describe('names and ids', () => {
  it('generates a name, accepts unique prefixes and renames; refuses clashes', async () => {
    const id = (await run(box, ['create', busybox(), 'true'])).stdout.trim();
    const entry = (await ps()).find((container) => container.Id === id)!;
    expect(entry.Names).toMatch(/^[a-z]+_[a-z]+\d*$/);
    expect((await run(box, ['rename', id.slice(0, 10), 'renamed'])).exitCode).toBe(0);
    expect((await inspect('renamed')).Name).toBe('/renamed');
    await run(box, ['create', '--name', 'taken', busybox(), 'true']);
    expect(expectOneLineError(await run(box, ['rename', 'renamed', 'taken']))).toMatch(/already in use/);
    expect(expectOneLineError(await run(box, ['inspect', 'no-such-thing']))).toMatch(/no such object: no-such-thing/);
    expect(expectOneLineError(await run(box, ['rm', 'no-such-container']))).toMatch(/no such container: no-such-container/);
  });

  it('creates at the same moment never share a name, generated or given; the losers leave nothing behind', async () => {
    const other = sandbox();
    const generated = await Promise.all(Array.from({ length: 12 }, () => run(other, ['create', busybox(), 'true'])));
    for (const result of generated) expect(result.exitCode, result.stderr).toBe(0);
    const names = (await listed(other)).map((container) => container.Names);
    expect(names).toHaveLength(12);
    expect(new Set(names).size).toBe(12);

    const given = await Promise.all(Array.from({ length: 6 }, () => run(other, ['create', '--name', 'only-one', busybox(), 'true'])));
    expect(given.filter((result) => result.exitCode === 0)).toHaveLength(1);
    for (const loser of given.filter((result) => result.exitCode !== 0)) expect(expectOneLineError(loser)).toMatch(/the container name "only-one" is already in use/);
    const ids = new Set((await run(other, ['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean));
    expect(ids.size).toBe(13);
    expect(readdirSync(join(other.root, 'containers')).filter((entry) => !entry.startsWith('.')).sort()).toEqual([...ids].sort());
    expect(readdirSync(join(other.root, 'locks')).filter((entry) => entry.startsWith('names.lock'))).toEqual([]);
    await removeAllContainers(other);
  });

  it('refuses an ambiguous id prefix (two records that share one, written as the store keeps them)', async () => {
    const other = sandbox();
    const real = (await run(other, ['create', '--name', 'first', busybox(), 'true'])).stdout.trim();
    // A second record whose id shares the first 4 digits: ids are random, so it is made by hand.
    // Same first four digits, a different fifth: the four-digit prefix is ambiguous, the five-digit one is not.
    const twin = `${real.slice(0, 4)}${real[4] === 'f' ? 'e' : 'f'}${'0'.repeat(59)}`;
    mkdirSync(join(other.root, 'containers', twin), { recursive: true });
    const record = JSON.parse(readFileSync(join(other.root, 'containers', real, 'container.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(other.root, 'containers', twin, 'container.json'), JSON.stringify({ ...record, id: twin, name: 'second' }));
    // Docker's one behaviour: an ambiguous prefix is an error naming the ambiguity (never "no such object", never an image looked up instead).
    expect(expectOneLineError(await run(other, ['inspect', real.slice(0, 4)]))).toMatch(/multiple containers found with prefix "[a-f0-9]{4}": give more of the id/);
    expect(expectOneLineError(await run(other, ['rm', real.slice(0, 4)]))).toMatch(/multiple containers found with prefix "[a-f0-9]{4}"/);
    expect((await run(other, ['rm', real.slice(0, 5)])).exitCode).toBe(0);
  });

  it('container prune removes every container that is not running', async () => {
    await run(box, ['create', busybox(), 'true']);
    const pruned = await run(box, ['container', 'prune', '-f']);
    expect(pruned.stdout).toMatch(/^Deleted Containers:/);
    expect((await ps()).filter((container) => container.State !== 'running')).toEqual([]);
  });

  it('a container outlives the removal of its image (its layers stay unpacked)', async () => {
    const id = (await run(box, ['create', '--name', 'orphan', busybox(), 'echo', 'still here'])).stdout.trim();
    expect((await run(box, ['rmi', '-f', busybox()])).exitCode).toBe(0);
    expect((await run(box, ['start', '-a', 'orphan'])).stdout).toBe('still here');
    await run(box, ['rm', id]);
    expect((await run(box, ['pull', '-q', busybox()])).exitCode).toBe(0);
  });
});

describe('exec right after run -d', () => {
  it('finds the container whole: run -d returns only once the job runs in its finished root', async () => {
    // Several at once, so that the machine is busy and a half-built sandbox would show.
    const rounds = await Promise.all(Array.from({ length: 6 }, async () => {
      const started = await run(box, ['run', '-d', busybox(), 'sh', '-c', 'while true; do sleep 0.1; done']);
      const id = started.stdout.trim();
      const exec = await run(box, ['exec', id, 'sh', '-c', 'test -x /dev/.burrow-init && cat /etc/hostname']);
      await run(box, ['rm', '-f', id]);
      return { started, id, exec };
    }));
    for (const { started, id, exec } of rounds) {
      expect(started.exitCode, started.stderr).toBe(0);
      expect(exec.stderr).toBe('');
      expect(exec.stdout).toBe(id.slice(0, 12));
    }
  });
});

describe('exec with a terminal', () => {
  it('exec -it gives the process a terminal and passes keys', async () => {
    const id = (await run(box, ['run', '-d', busybox(), 'sh', '-c', 'while true; do sleep 0.1; done'])).stdout.trim();
    const output = await inTerminal(box, [`${process.execPath} ${BURROW_BIN} exec -it ${id} sh`, 'echo "status=$?"'], [
      // The answer is spelt so that the terminal's echo of the typed line does not contain it.
      { afterOutput: '/ # ', text: 'test -t 0 && echo exec-has-$(echo tty)\n' },
      { afterOutput: 'exec-has-tty', text: 'exit 4\n' },
    ]);
    expect(output).toContain('exec-has-tty');
    expect(output).toContain('status=4');
    await run(box, ['rm', '-f', id]);
  });
});

describe('volumes, top, restart, attach, pause, log rotation', () => {
  it('named volumes outlive containers and are shared; rm refuses one in use', async () => {
    expect((await run(box, ['volume', 'create', 'shared'])).stdout).toBe('shared');
    expect((await run(box, ['run', '--rm', '-v', 'shared:/data', busybox(), 'sh', '-c', 'echo kept > /data/file'])).exitCode).toBe(0);
    expect((await run(box, ['run', '--rm', '--mount', 'type=volume,source=shared,target=/v,readonly', busybox(), 'cat', '/v/file'])).stdout).toBe('kept');
    // Created on first use, as Docker does.
    expect((await run(box, ['run', '--rm', '-v', 'auto-made:/x', busybox(), 'true'])).exitCode).toBe(0);
    expect((await run(box, ['volume', 'ls', '-q'])).stdout.split('\n').sort()).toEqual(['auto-made', 'shared']);
    const [inspected] = JSON.parse((await run(box, ['volume', 'inspect', 'shared'])).stdout) as Array<{ Mountpoint: string }>;
    expect(readFileSync(join(inspected!.Mountpoint, 'file'), 'utf8')).toBe('kept\n');
    const id = (await run(box, ['create', '-v', 'shared:/data', busybox(), 'true'])).stdout.trim();
    expect(expectOneLineError(await run(box, ['volume', 'rm', 'shared']))).toMatch(/volume shared is in use by container/);
    await run(box, ['rm', id]);
    expect((await run(box, ['volume', 'prune', '-f'])).stdout).toBe('Deleted Volumes: none');
    // Named volumes are the user's data: only -a removes them.
    expect((await run(box, ['volume', 'prune', '-a', '-f'])).stdout).toMatch(/Deleted Volumes:\n(auto-made\nshared|shared\nauto-made)/);
    expect(expectOneLineError(await run(box, ['volume', 'inspect', 'shared']))).toMatch(/no such volume: shared/);
  });

  it('top lists the container\'s processes; restart runs the job again; attach follows it', async () => {
    const id = (await run(box, ['run', '-d', '--name', 'again', busybox(), 'sh', '-c', 'echo run; while true; do sleep 0.1; done'])).stdout.trim();
    const top = await run(box, ['top', 'again']);
    expect(top.stdout.split('\n')[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(top.stdout).toContain('while true');
    expect((await run(box, ['restart', '-t', '1', 'again'])).stdout).toBe('again');
    expect((await inspect('again')).State.Status).toBe('running');
    await until(async () => (await run(box, ['logs', 'again'])).stdout === 'run\nrun');
    // No published ports without a network mode that has them: nothing to list, as Docker prints for such a container.
    expect(await run(box, ['port', 'again'])).toMatchObject({ exitCode: 0, stdout: '' });
    expect(expectOneLineError(await run(box, ['port', 'no-such-container']))).toMatch(/no such container/);
    await run(box, ['rm', id]);
  });

  it('rotates the json-file log at --log-opt max-size', async () => {
    const id = (await run(box, ['run', '-d', '--log-opt', 'max-size=20k', busybox(), 'sh', '-c', 'i=0; while [ $i -lt 1500 ]; do echo line-$i; i=$((i+1)); done'])).stdout.trim();
    expect((await run(box, ['wait', id])).stdout).toBe('0');
    expect(existsSync(join(box.root, 'containers', id, 'ctr.log.1'))).toBe(true);
    const last = (await run(box, ['logs', '--tail', '1', id])).stdout;
    expect(last).toBe('line-1499');
    await run(box, ['rm', id]);
  });
});

describe('several containers at once', () => {
  it('stop with several ids stops them in parallel; rm reports a missing one but removes the rest', async () => {
    const ids = await Promise.all([1, 2, 3].map(async () => (await run(box, ['run', '-d', busybox(), 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'])).stdout.trim()));
    // In parallel (bench/scale.sh measures it): every one is stopped, each by SIGKILL after its timeout.
    expect((await run(box, ['stop', '-t', '1', ...ids])).stdout.split('\n').sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await inspect(id)).State.ExitCode).toBe(137);
    const removal = await run(box, ['rm', ids[0]!, 'not-a-container', ids[1]!, ids[2]!]);
    expect(expectOneLineError(removal)).toMatch(/no such container: not-a-container/);
    expect((await ps()).filter((container) => ids.includes(container.Id))).toEqual([]);
  });
});

describe('burrow cp', () => {
  it('copies both ways, and symlinks in the container never lead outside it', async () => {
    const id = (await run(box, ['run', '-d', busybox(), 'sh', '-c', 'mkdir -p /srv/dir; echo inside > /srv/dir/file; ln -s / /srv/escape; ln -s /etc/passwd /srv/pw; echo ready > /tmp/ready; while true; do sleep 0.1; done'])).stdout.trim();
    await until(async () => (await run(box, ['exec', id, 'cat', '/tmp/ready'])).stdout === 'ready');
    const out = join(box.dir, 'out');
    mkdirSync(out);
    expect((await run(box, ['cp', `${id}:/srv/dir`, out])).exitCode).toBe(0);
    expect(readFileSync(join(out, 'dir', 'file'), 'utf8')).toBe('inside\n');
    // /srv/escape points at "/": resolved in the container, so this is the container's passwd, not the host's.
    expect((await run(box, ['cp', `${id}:/srv/escape/etc/passwd`, join(out, 'passwd')])).exitCode).toBe(0);
    expect(readFileSync(join(out, 'passwd'), 'utf8').trim()).toBe((await run(box, ['exec', id, 'cat', '/etc/passwd'])).stdout);
    expect(readFileSync(join(out, 'passwd'), 'utf8')).not.toBe(readFileSync('/etc/passwd', 'utf8'));
    // An absolute symlink is copied as a symlink, not followed on the host.
    expect((await run(box, ['cp', `${id}:/srv/pw`, join(out, 'pw')])).exitCode).toBe(0);
    expect(lstatSync(join(out, 'pw')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(out, 'pw'))).toBe('/etc/passwd');

    const source = join(box.dir, 'in');
    mkdirSync(source);
    writeFileSync(join(source, 'hello'), 'from host');
    expect((await run(box, ['cp', source, `${id}:/srv/escape/tmp/`])).exitCode).toBe(0);
    expect((await run(box, ['exec', id, 'cat', '/tmp/in/hello'])).stdout).toBe('from host');
    expect((await run(box, ['cp', join(source, 'hello'), `${id}:/srv/renamed`])).exitCode).toBe(0);
    expect((await run(box, ['exec', id, 'cat', '/srv/renamed'])).stdout).toBe('from host');
    expect(expectOneLineError(await run(box, ['cp', `${id}:/no/such`, out]))).toMatch(/no such file or directory in the container/);
    expect(expectOneLineError(await run(box, ['cp', source, out]))).toMatch(/give exactly one CONTAINER:PATH/);
    await run(box, ['rm', '-f', id]);
    expect(expectOneLineError(await run(box, ['cp', `${id}:/srv`, out]))).toMatch(/no such container/);
  });

  it('copies into a stopped container, and out of one whose PID 1 is not root', async () => {
    const stopped = (await run(box, ['create', busybox(), 'cat', '/etc/copied-in'])).stdout.trim();
    const file = join(box.dir, 'copied-in');
    writeFileSync(file, 'placed while stopped');
    expect((await run(box, ['cp', file, `${stopped}:/etc/`])).exitCode).toBe(0);
    expect((await run(box, ['start', '-a', stopped])).stdout).toBe('placed while stopped');
    const back = join(box.dir, 'back');
    expect((await run(box, ['cp', `${stopped}:/etc/copied-in`, back])).exitCode).toBe(0);
    expect(readFileSync(back, 'utf8')).toBe('placed while stopped');
    const nobody = (await run(box, ['run', '-d', '-u', '65534', busybox(), 'sh', '-c', 'while true; do sleep 0.1; done'])).stdout.trim();
    const passwd = join(box.dir, 'passwd-from-nobody');
    expect((await run(box, ['cp', `${nobody}:/etc/passwd`, passwd])).exitCode).toBe(0);
    expect(readFileSync(passwd, 'utf8')).toMatch(/^root:/);
    await run(box, ['rm', '-f', stopped, nobody]);
  });

  it('never removes a host directory: a file or symlink over one fails with Docker\'s words; a file or symlink in the way is replaced, not followed', async () => {
    // The container's side: /out/data is a file, /links/data a symlink, /files/data a file.
    const made = await run(box, ['run', '--name', 'cp-clobber', busybox(), 'sh', '-c', 'mkdir /out /links /files; echo file > /out/data; ln -s /etc /links/data; echo new > /files/data']);
    expect(made.exitCode, made.stderr).toBe(0);
    const host = join(box.dir, 'clobber');
    for (const sub of ['out', 'links']) {
      mkdirSync(join(host, sub, 'data', 'nested'), { recursive: true });
      writeFileSync(join(host, sub, 'data', 'nested', 'deep'), 'keep me');
    }
    // A copy of /out into host/ (which has out/data/ with files in it), and of /links.
    for (const sub of ['out', 'links']) {
      const copied = await run(box, ['cp', `cp-clobber:/${sub}`, `${host}/`]);
      expect(expectOneLineError(copied)).toBe(`burrow: cannot overwrite directory "${join(host, sub, 'data')}" with non-directory "cp-clobber:/${sub}/data"`);
      expect(readFileSync(join(host, sub, 'data', 'nested', 'deep'), 'utf8')).toBe('keep me');
    }
    // Named by the user: the same refusal.
    expect(expectOneLineError(await run(box, ['cp', 'cp-clobber:/out/data', join(host, 'out')]))).toMatch(/^burrow: cannot overwrite directory ".*\/clobber\/out\/data" with non-directory "cp-clobber:\/out\/data"$/);
    expect(readFileSync(join(host, 'out', 'data', 'nested', 'deep'), 'utf8')).toBe('keep me');
    // A symlink in the way of a file from the container is replaced, never written through.
    const victim = join(box.dir, 'clobber-victim');
    writeFileSync(victim, 'host file');
    mkdirSync(join(host, 'files'));
    symlinkSync(victim, join(host, 'files', 'data'));
    expect((await run(box, ['cp', 'cp-clobber:/files', `${host}/`])).exitCode).toBe(0);
    expect(lstatSync(join(host, 'files', 'data')).isFile()).toBe(true);
    expect(readFileSync(join(host, 'files', 'data'), 'utf8')).toBe('new\n');
    expect(readFileSync(victim, 'utf8')).toBe('host file');
    await run(box, ['rm', 'cp-clobber']);
  });
});

describe('burrow cp: streams, and leaves nothing running', () => {
  /** The CLI under /usr/bin/time -v: its result and the peak resident memory of it and its helpers, in KiB. */
  const measured = async (args: string[]): Promise<{ exitCode: number; stderr: string; maxRssKiB: number }> => {
    const result = await execa('/usr/bin/time', ['-v', process.execPath, BURROW_BIN, ...args], { env: { ...process.env, ...box.env }, extendEnv: false, reject: false, timeout: 170_000 });
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(String(result.stderr));
    return { exitCode: result.exitCode ?? -1, stderr: String(result.stderr), maxRssKiB: Number(rss?.[1]) };
  };

  it('copies a file over 2 GiB out of a running container and into a stopped one, in flat memory', async () => {
    const size = 2300 * 1024 * 1024;
    const id = await runDetached([busybox(), 'sh', '-c', `truncate -s ${size} /big && printf END >> /big && echo ready > /tmp/ready; while true; do sleep 0.1; done`]);
    await until(async () => (await run(box, ['exec', id, 'cat', '/tmp/ready'])).stdout === 'ready', 30_000);
    const out = join(box.dir, 'big-out');
    const copiedOut = await measured(['cp', `${id}:/big`, out]);
    expect(copiedOut.exitCode, copiedOut.stderr).toBe(0);
    expect(statSync(out).size).toBe(size + 3);
    const tail = Buffer.alloc(3);
    const fd = openSync(out, 'r');
    readSync(fd, tail, 0, 3, size);
    closeSync(fd);
    expect(tail.toString()).toBe('END');
    // Node itself takes some 50 MB; the file would take 2.3 GB (and readFileSync refuses over 2 GiB).
    expect(copiedOut.maxRssKiB).toBeGreaterThan(0);
    expect(copiedOut.maxRssKiB).toBeLessThan(256 * 1024);
    await run(box, ['rm', '-f', id]);

    const stopped = (await run(box, ['create', busybox(), 'sh', '-c', 'stat -c %s /big-out; tail -c 3 /big-out'])).stdout.trim();
    const copiedIn = await measured(['cp', out, `${stopped}:/`]);
    rmSync(out);
    expect(copiedIn.exitCode, copiedIn.stderr).toBe(0);
    expect(copiedIn.maxRssKiB).toBeLessThan(256 * 1024);
    expect((await run(box, ['start', '-a', stopped])).stdout).toBe(`${size + 3}\nEND`);
    await run(box, ['rm', stopped]);
  }, 180_000);

  for (const driver of ['overlay', 'fuse-overlayfs', 'copy']) {
    it(`leaves no helper running after a copy, a failed copy, an interrupted and a killed one (stopped container, ${driver})`, async () => {
      const name = `cp-helpers-${driver}-${Date.now()}`;
      const id = (await run(box, ['create', '--name', name, '--storage-driver', driver, busybox(), 'true'])).stdout.trim();
      // The holder's arguments name the container's directory, fuse-overlayfs's its upper layer, the worker's the container.
      const helpers = async (): Promise<string> => String((await execa('pgrep', ['-af', `${id}|${name}`], { reject: false })).stdout);
      const noHelpers = (): Promise<void> => until(async () => (await helpers()) === '', 10_000);
      const small = join(box.dir, `small-${driver}`);
      writeFileSync(small, 'small');
      expect((await run(box, ['cp', small, `${name}:/small`])).exitCode).toBe(0);
      await noHelpers();
      expect(expectOneLineError(await run(box, ['cp', `${name}:/no/such/file`, join(box.dir, 'nothing')]))).toMatch(/no such file or directory in the container/);
      await noHelpers();
      // A copy stopped half-way: Ctrl-C, then kill -9.
      const big = join(box.dir, `sparse-${driver}`);
      writeFileSync(big, '');
      truncateSync(big, 20 * 1024 ** 3);
      for (const signal of ['SIGINT', 'SIGKILL'] as const) {
        const copying = burrow(box, ['cp', big, `${name}:/big`]);
        await until(async () => (await helpers()).includes('cp-worker'));
        copying.kill(signal);
        const result = await copying;
        if (signal === 'SIGINT') {
          expect(result.exitCode).toBe(130);
          expect(String(result.stderr)).toMatch(/^burrow: interrupted/);
        } else expect(result.signal).toBe('SIGKILL');
        await noHelpers();
      }
      rmSync(big);
      expect((await run(box, ['rm', id])).exitCode).toBe(0);
    }, 120_000);
  }
});

describe('ps filters and logs --since', () => {
  it('filters by name, label, status and ancestor', async () => {
    const a = (await run(box, ['create', '--name', 'filter-a', '-l', 'role=db', busybox(), 'true'])).stdout.trim();
    const b = (await run(box, ['run', '-d', '--name', 'filter-b', '-l', 'role=web', busybox(), 'sh', '-c', 'echo old; sleep 1.2; echo new; while true; do sleep 0.1; done'])).stdout.trim();
    const ids = async (...filters: string[]): Promise<string[]> => (await run(box, ['ps', '-a', '-q', '--no-trunc', ...filters.flatMap((filter) => ['--filter', filter])])).stdout.split('\n').filter(Boolean);
    expect(await ids('name=filter-a')).toEqual([a]);
    expect(await ids('label=role=web')).toEqual([b]);
    expect(await ids('label=role', 'status=created')).toEqual([a]);
    expect((await ids('ancestor=busybox')).sort()).toEqual(expect.arrayContaining([a, b]));
    expect((await run(box, ['ps', '-q', '--no-trunc'])).stdout.split('\n')).toContain(b);
    expect((await run(box, ['ps', '-q', '--no-trunc'])).stdout.split('\n')).not.toContain(a);
    expect(expectOneLineError(await run(box, ['ps', '--filter', 'colour=red']))).toMatch(/unknown filter "colour"/);
    await until(async () => (await run(box, ['logs', b])).stdout.includes('new'));
    // Since a moment between the two lines, taken from their own timestamps (a duration like 1s would race a loaded machine).
    const stamped = (await run(box, ['logs', '-t', b])).stdout.split('\n');
    const timeOf = (text: string): number => Date.parse(stamped.find((line) => line.endsWith(` ${text}`))!.split(' ')[0]!);
    const between = new Date((timeOf('old') + timeOf('new')) / 2).toISOString();
    expect((await run(box, ['logs', '--since', between, b])).stdout).toBe('new');
    expect(expectOneLineError(await run(box, ['logs', '--since', 'yesterday-ish', b]))).toMatch(/invalid --since/);
    await run(box, ['rm', '-f', a, b]);
  });
});

describe('attach and start -a', () => {
  it('attach passes input to a container created with -i, and returns its exit status', async () => {
    const id = (await run(box, ['run', '-d', '-i', busybox(), 'sh', '-c', 'while read line; do echo "got $line"; [ "$line" = quit ] && exit 6; done'])).stdout.trim();
    const attached = await run(box, ['attach', id], { input: 'hello\nquit\n' });
    expect(attached.exitCode).toBe(6);
    expect(attached.stdout).toBe('got hello\ngot quit');
    expect((await run(box, ['logs', id])).stdout).toBe('got hello\ngot quit');
    expect(expectOneLineError(await run(box, ['attach', id]))).toMatch(/is not running: use "burrow logs"/);
    await run(box, ['rm', id]);
  });

  it('start -a -i feeds standard input until its end; start -a alone streams the output, stderr apart', async () => {
    const withInput = (await run(box, ['create', '-i', busybox(), 'cat'])).stdout.trim();
    const fed = await run(box, ['start', '-a', '-i', withInput], { input: 'a\nb\n' });
    expect(fed.exitCode).toBe(0);
    expect(fed.stdout).toBe('a\nb');
    const outputOnly = (await run(box, ['create', busybox(), 'sh', '-c', 'echo out; echo err >&2; exit 2'])).stdout.trim();
    const streamed = await run(box, ['start', '-a', outputOnly]);
    expect(streamed).toMatchObject({ exitCode: 2, stdout: 'out', stderr: 'err' });
    await run(box, ['rm', withInput, outputOnly]);
  });

  it('start -a -i of a container created with -i gets the job\'s first output and its exit status, with and without --rm', async () => {
    // The job prints at once and ends: with a client that connected only after the job started, "hi" went to nobody.
    for (const flags of [[], ['--rm']]) {
      for (let round = 0; round < 10; round++) {
        const name = `first-output${flags.join('')}-${round}`;
        const created = await run(box, ['create', '-i', ...flags, '--name', name, busybox(), 'sh', '-c', 'echo hi; exit 3']);
        expect(created.exitCode, created.stderr).toBe(0);
        const started = await run(box, ['start', '-a', '-i', name], { input: '' });
        expect({ flags, round, exitCode: started.exitCode, stdout: started.stdout }).toEqual({ flags, round, exitCode: 3, stdout: 'hi' });
        if (flags.includes('--rm')) await until(async () => !(await ps()).some((listed) => listed.Names === name), 10_000, `${name} to be removed`);
        else await run(box, ['rm', name]);
      }
    }
  });

  it('start -a -i of a container created with -it gets the job\'s first output on its terminal and its exit status, with and without --rm', async () => {
    const burrowCli = `${process.execPath} ${BURROW_BIN}`;
    const lines: string[] = [];
    for (const rm of ['', '--rm']) {
      lines.push(`for i in 1 2 3 4 5; do`,
        `  ${burrowCli} create -it ${rm} --name first-tty${rm}-$i ${busybox()} sh -c 'echo hi; exit 3' >/dev/null || echo "create failed"`,
        `  out=$(${burrowCli} start -a -i first-tty${rm}-$i); echo "tty${rm} $i: [$out] status=$?"`,
        `done`);
    }
    // Nothing is typed, but the terminal's input stays open to the end: its end would reach the first job as a key.
    const output = await inTerminal(box, lines, [{ afterOutput: 'tty--rm 5:', text: '' }]);
    for (const rm of ['', '--rm']) {
      for (let round = 1; round <= 5; round++) expect(output).toContain(`tty${rm} ${round}: [hi] status=3`);
    }
    expect(output).not.toContain('create failed');
    await run(box, ['rm', ...[1, 2, 3, 4, 5].map((round) => `first-tty-${round}`)]);
  });

  it('a detached -it container keeps its terminal for attach, with the caller\'s window size', async () => {
    // The job answers the window change attach makes on connecting (another size than at run -d): the keys
    // go once attach is there, not after a guessed delay, and "has-tty" is spelt so the echo of typed keys cannot hold it.
    const job = 'trap "stty size; [ -t 0 ] && echo has-\\$(echo tty)" WINCH; while :; do read -t 1 line && [ "$line" = quit ] && exit 5; done';
    const output = await inTerminal(box, [
      'stty cols 60 rows 15',
      `id=$(${process.execPath} ${BURROW_BIN} run -d -it ${busybox()} sh -c '${job}')`,
      'stty cols 77 rows 22',
      `${process.execPath} ${BURROW_BIN} attach $id`,
      'echo "status=$?"',
    ], [
      { afterOutput: 'has-tty', text: 'quit\n' },
    ]);
    expect(output).toContain('22 77\nhas-tty');
    expect(output).toContain('status=5');
  });
});

describe('logs -f', () => {
  it('follows the output until the container exits', async () => {
    const id = (await run(box, ['run', '-d', busybox(), 'sh', '-c', 'echo one; sleep 0.5; echo two; sleep 0.5; echo three'])).stdout.trim();
    const followed = await run(box, ['logs', '-f', id]);
    expect(followed.exitCode).toBe(0);
    expect(followed.stdout).toBe('one\ntwo\nthree');
    await run(box, ['rm', id]);
  });
});
