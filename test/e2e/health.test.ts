import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bed, busyboxLayerTar } from '../helpers/bed.js';
import { burrow, expectOneLineError, removeAllContainers, run, sandbox, type Sandbox, jsonLines } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';
import { recordedMonitor } from '../helpers/records.js';
import { dockerArchive } from '../helpers/tar-writer.js';
import { BurrowError } from '../../src/errors.js';
import { waitHealthy } from '../../src/container/health.js';
import { Store } from '../../src/store/store.js';

const busybox = (): string => `${bed().registries.anon}/busybox:latest`;
// Each test waits for checks that start Node on a busy 2-core machine: room beyond its polls' own deadlines.
vi.setConfig({ testTimeout: 240_000 });
let box: Sandbox;

beforeAll(async () => {
  box = sandbox();
  expect((await run(box, ['pull', '-q', busybox()])).exitCode).toBe(0);
});

// A failed test must not leave containers (or their checks) running past the suite.
afterAll(() => removeAllContainers(box));

interface LogEntry { Start: string; End: string; ExitCode: number; Output: string }
interface Health { Status: string; FailingStreak: number; Log: LogEntry[] }
interface Inspected { Id: string; State: { Status: string; Health?: Health }; Config: { Healthcheck?: Record<string, unknown> } }

const inspect = async (name: string): Promise<Inspected> => {
  const result = await run(box, ['inspect', name]);
  if (result.exitCode !== 0) throw new Error(`burrow inspect ${name} failed (${result.exitCode}): ${result.stderr}`);
  return (JSON.parse(result.stdout) as Inspected[])[0]!;
};
const health = async (name: string): Promise<Health | undefined> => (await inspect(name)).State.Health;

/** Polls until the container's health satisfies `condition` (a generous deadline: checks start Node, on a busy 2-core machine). */
async function untilHealth(name: string, what: string, condition: (health: Health) => boolean): Promise<Health> {
  let seen: Health | undefined;
  await until(async () => {
    // Not there yet (a foreground run still creating it) reads as no health.
    const result = await run(box, ['inspect', name]);
    seen = result.exitCode === 0 ? (JSON.parse(result.stdout) as Inspected[])[0]!.State.Health : undefined;
    return seen !== undefined && condition(seen);
  }, 90_000, `${name}: ${what} (last seen: ${JSON.stringify(seen)})`);
  return seen!;
}

interface Listed { Names: string; Status: string }
const ps = async (...args: string[]): Promise<Listed[]> => {
  const result = await run(box, ['ps', '-a', '--format', 'json', ...args]);
  expect(result.exitCode, result.stderr).toBe(0);
  return jsonLines<Listed>(result.stdout);
};
const psNames = async (filter: string): Promise<string[]> => (await ps('--filter', filter)).map((container) => container.Names);

const runDetached = async (args: string[]): Promise<string> => {
  const result = await run(box, ['run', '-d', ...args]);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout.trim();
};

/** Every process descending from `pid` (the monitor: the launcher, the sandbox, the checks and what they run). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const walk = (parent: number): void => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('health checks of detached containers (the monitor runs them)', () => {
  it('starts as starting, counts failures, becomes healthy after one success; ps, filters and inspect show it', async () => {
    // Many retries: however many checks fail before the file exists, it stays starting.
    await runDetached(['--name', 'becomes-ok', '--health-cmd', 'echo checking; test -e /tmp/ready', '--health-interval', '1s', '--health-retries', '1000', busybox(), 'sleep', '1000']);
    const inspected = await inspect('becomes-ok');
    expect(inspected.Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'echo checking; test -e /tmp/ready'], Interval: 1e9, Timeout: 30e9, StartPeriod: 0, Retries: 1000 });
    expect(inspected.State.Health?.Status).toBe('starting');
    expect((await ps()).find((container) => container.Names === 'becomes-ok')?.Status).toMatch(/^Up .* \(health: starting\)$/);
    expect(await psNames('health=starting')).toContain('becomes-ok');

    const failing = await untilHealth('becomes-ok', 'a failed check', (seen) => seen.FailingStreak >= 1);
    expect(failing.Status).toBe('starting');
    expect(failing.Log[0]).toMatchObject({ ExitCode: 1, Output: 'checking\n' });
    expect(Date.parse(failing.Log[0]!.End)).toBeGreaterThanOrEqual(Date.parse(failing.Log[0]!.Start));

    expect((await run(box, ['exec', 'becomes-ok', 'touch', '/tmp/ready'])).exitCode).toBe(0);
    const healthy = await untilHealth('becomes-ok', 'healthy', (seen) => seen.Status === 'healthy');
    expect(healthy.FailingStreak).toBe(0);
    expect(healthy.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'checking\n' });
    expect(healthy.Log.length).toBeLessThanOrEqual(5);
    expect((await ps()).find((container) => container.Names === 'becomes-ok')?.Status).toMatch(/^Up .* \(healthy\)$/);
    const table = await run(box, ['ps']);
    expect(table.stdout.split('\n').find((line) => line.endsWith('becomes-ok'))).toMatch(/Up .* \(healthy\)/);
    expect(await psNames('health=healthy')).toContain('becomes-ok');
    expect(await psNames('health=starting')).not.toContain('becomes-ok');
    expect(expectOneLineError(await run(box, ['ps', '--filter', 'health=sick']))).toBe('burrow: invalid filter "health=sick": use starting, healthy, unhealthy or none');
    await run(box, ['rm', '-f', 'becomes-ok']);
  });

  it('becomes unhealthy after --health-retries failures in a row, and keeps the last 5 results', async () => {
    await runDetached(['--name', 'sick', '--health-cmd', 'echo failing >&2; exit 3', '--health-interval', '1s', '--health-retries', '2', busybox(), 'sleep', '1000']);
    const unhealthy = await untilHealth('sick', 'unhealthy', (seen) => seen.Status === 'unhealthy');
    expect(unhealthy.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(unhealthy.Log.every((entry) => entry.ExitCode === 3 && entry.Output === 'failing\n')).toBe(true);
    expect((await ps()).find((container) => container.Names === 'sick')?.Status).toMatch(/^Up .* \(unhealthy\)$/);
    expect(await psNames('health=unhealthy')).toContain('sick');
    // Six failures and more: five results kept, the streak counts them all.
    const later = await untilHealth('sick', 'six failures', (seen) => seen.FailingStreak >= 6);
    expect(later.Log).toHaveLength(5);
    expect(later.Status).toBe('unhealthy');
    // The job itself is left alone: unhealthy is a state, not a stop (as Docker).
    expect((await inspect('sick')).State.Status).toBe('running');
    await run(box, ['rm', '-f', 'sick']);
  });

  it('kills a check that hangs at its timeout, records Docker\'s timeout text, and lets none pile up', async () => {
    await runDetached(['--name', 'hangs', '--health-cmd', 'echo hanging; exec sleep 1000', '--health-interval', '1s', '--health-timeout', '1s', '--health-retries', '1', busybox(), 'sleep', '2000']);
    const unhealthy = await untilHealth('hangs', 'three timed-out checks', (seen) => seen.FailingStreak >= 3);
    expect(unhealthy.Status).toBe('unhealthy');
    expect(unhealthy.Log[0]).toMatchObject({ ExitCode: -1, Output: 'Health check exceeded timeout (1s): hanging\n' });
    // Each timed-out check's `sleep 1000` was killed: at most the one in flight is left in the container.
    const top = await run(box, ['top', 'hangs']);
    expect(top.exitCode, top.stderr).toBe(0);
    expect(top.stdout.split('\n').filter((line) => line.endsWith('sleep 1000')).length).toBeLessThanOrEqual(1);
    await run(box, ['rm', '-f', 'hangs']);
  });

  it('honours the start period: failures in it do not count, and a success in it makes the container healthy', async () => {
    await runDetached(['--name', 'slow-start', '--health-cmd', 'test -e /tmp/up', '--health-interval', '1s', '--health-start-interval', '1s', '--health-start-period', '1h', '--health-retries', '1', busybox(), 'sleep', '1000']);
    const starting = await untilHealth('slow-start', 'two failed checks', (seen) => seen.Log.length >= 2);
    expect(starting).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(starting.Log.every((entry) => entry.ExitCode === 1)).toBe(true);
    expect((await run(box, ['exec', 'slow-start', 'touch', '/tmp/up'])).exitCode).toBe(0);
    await untilHealth('slow-start', 'healthy', (seen) => seen.Status === 'healthy');
    // Once healthy, a failure counts even inside the start period (Docker's rule: only "starting" is spared).
    expect((await run(box, ['exec', 'slow-start', 'rm', '/tmp/up'])).exitCode).toBe(0);
    await untilHealth('slow-start', 'unhealthy', (seen) => seen.Status === 'unhealthy');
    await run(box, ['rm', '-f', 'slow-start']);
  });

  it('leaves nothing running after rm -f: the monitor, the check in flight and what it ran are gone', async () => {
    const id = await runDetached(['--name', 'busy-check', '--health-cmd', 'exec sleep 1000', '--health-interval', '1s', '--health-timeout', '1h', busybox(), 'sleep', '2000']);
    const monitor = recordedMonitor(join(box.root, 'containers', id));
    // A check in flight: burrow's `healthcheck run`, and under it the exec'd `sleep 1000`.
    let tree: number[] = [];
    await until(() => {
      tree = descendants(monitor.pid);
      return tree.some((pid) => commandLine(pid).includes(`healthcheck run ${id}`)) && tree.some((pid) => commandLine(pid) === 'sleep 1000');
    }, 90_000, 'a health check in flight');
    expect((await run(box, ['rm', '-f', 'busy-check'])).exitCode).toBe(0);
    await until(() => !alive(monitor.pid) && tree.every((pid) => !alive(pid)), 30_000, 'every process of the container and its check to end');
  });
});

describe('the image\'s HEALTHCHECK, --no-healthcheck, and healthcheck run', () => {
  let imageReady = false;
  const withImageCheck = async (): Promise<void> => {
    if (imageReady) return;
    const archive = join(box.dir, 'with-check.tar');
    writeFileSync(archive, dockerArchive('with-check:latest', [busyboxLayerTar()], {
      Cmd: ['sleep', '1000'],
      Healthcheck: { Test: ['CMD-SHELL', 'echo from-image'], Interval: 1e9, Timeout: 5e9, Retries: 1 },
    }));
    const loaded = await run(box, ['load', '-q', '-i', archive]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    imageReady = true;
  };

  it('runs the image\'s Healthcheck; a flag overrides one field of it; --no-healthcheck turns it off', async () => {
    await withImageCheck();
    await runDetached(['--name', 'from-image', 'with-check:latest']);
    expect((await inspect('from-image')).Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'echo from-image'], Interval: 1e9, Timeout: 5e9, StartPeriod: 0, Retries: 1 });
    const healthy = await untilHealth('from-image', 'healthy', (seen) => seen.Status === 'healthy');
    expect(healthy.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'from-image\n' });

    await runDetached(['--name', 'overridden', '--health-cmd', 'exit 1', 'with-check:latest']);
    expect((await inspect('overridden')).Config.Healthcheck).toMatchObject({ Test: ['CMD-SHELL', 'exit 1'], Interval: 1e9, Retries: 1 });
    await untilHealth('overridden', 'unhealthy', (seen) => seen.Status === 'unhealthy');

    await runDetached(['--name', 'unchecked', '--no-healthcheck', 'with-check:latest']);
    const unchecked = await inspect('unchecked');
    expect(unchecked.State.Health).toBeUndefined();
    expect(unchecked.Config.Healthcheck).toBeUndefined();
    expect((await ps()).find((container) => container.Names === 'unchecked')?.Status).toMatch(/^Up [^(]*$/);
    expect(await psNames('health=none')).toContain('unchecked');
    expect(await psNames('health=none')).not.toContain('from-image');
    expect(expectOneLineError(await run(box, ['healthcheck', 'run', 'unchecked']))).toBe('burrow: container unchecked has no health check: create it with --health-cmd, or from an image with a HEALTHCHECK');
    await run(box, ['rm', '-f', 'from-image', 'overridden', 'unchecked']);
  });

  it('runs a CMD-SHELL check with the image\'s Shell (Dockerfile SHELL), the image\'s check and --health-cmd alike; /bin/sh -c without one', async () => {
    // The image's Shell marks what it runs: busybox env sets CHECK_SHELL, then sh -c runs the check.
    const archive = join(box.dir, 'with-shell.tar');
    writeFileSync(archive, dockerArchive('with-shell:latest', [busyboxLayerTar()], {
      Cmd: ['sleep', '1000'],
      Shell: ['/bin/busybox', 'env', 'CHECK_SHELL=image-shell', 'sh', '-c'],
      Healthcheck: { Test: ['CMD-SHELL', 'echo "shell=$CHECK_SHELL"; test -n "$CHECK_SHELL"'], Interval: 3600e9, Retries: 1 },
    }));
    const loaded = await run(box, ['load', '-q', '-i', archive]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    // Checks run by hand (an interval of an hour): each result is the one asked for.
    await runDetached(['--name', 'image-shell', 'with-shell:latest']);
    const passed = await run(box, ['healthcheck', 'run', 'image-shell']);
    expect(passed.exitCode, passed.stderr).toBe(0);
    expect((await health('image-shell'))!.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'shell=image-shell\n' });
    await runDetached(['--name', 'flag-shell', '--health-cmd', 'echo "flag=$CHECK_SHELL"', '--health-interval', '1h', 'with-shell:latest']);
    expect((await run(box, ['healthcheck', 'run', 'flag-shell'])).exitCode).toBe(0);
    expect((await health('flag-shell'))!.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'flag=image-shell\n' });
    // The same check in an image without a Shell: Docker's /bin/sh -c, which sets nothing.
    await runDetached(['--name', 'default-shell', '--health-cmd', 'echo "shell=$CHECK_SHELL"; test -n "$CHECK_SHELL"', '--health-interval', '1h', '--health-retries', '1', busybox(), 'sleep', '1000']);
    expect((await run(box, ['healthcheck', 'run', 'default-shell'])).exitCode).toBe(1);
    expect((await health('default-shell'))!.Log.at(-1)).toMatchObject({ ExitCode: 1, Output: 'shell=\n' });
    await run(box, ['rm', '-f', 'image-shell', 'flag-shell', 'default-shell']);
  });

  it('refuses bad --health-* values in one line before anything is created', async () => {
    const before = (await run(box, ['ps', '-a', '-q'])).stdout;
    expect(expectOneLineError(await run(box, ['run', '-d', '--health-cmd', 'true', '--health-interval', '5', busybox(), 'true']))).toBe('burrow: invalid --health-interval "5": use a duration such as 30s, 500ms or 1m30s');
    expect(expectOneLineError(await run(box, ['create', '--health-retries', 'x', busybox(), 'true']))).toContain('invalid --health-retries "x"');
    expect(expectOneLineError(await run(box, ['run', '--no-healthcheck', '--health-cmd', 'true', busybox(), 'true']))).toBe('burrow: --no-healthcheck conflicts with the --health-* options: give one or the other');
    expect((await run(box, ['ps', '-a', '-q'])).stdout).toBe(before);
  });

  it('healthcheck run: 0 when the check passes, 1 (and the status) when it fails, 125 when it cannot run', async () => {
    // An interval of an hour: only the manual checks run.
    await runDetached(['--name', 'manual', '--health-cmd', 'test -e /tmp/ok', '--health-interval', '1h', '--health-retries', '1', busybox(), 'sleep', '1000']);
    const failed = await run(box, ['healthcheck', 'run', 'manual']);
    expect(failed.exitCode, failed.stderr).toBe(1);
    expect(failed.stdout).toBe('unhealthy');
    expect(await health('manual')).toMatchObject({ Status: 'unhealthy', FailingStreak: 1 });
    expect((await run(box, ['exec', 'manual', 'touch', '/tmp/ok'])).exitCode).toBe(0);
    const passed = await run(box, ['healthcheck', 'run', 'manual']);
    expect(passed.exitCode, passed.stderr).toBe(0);
    expect(passed.stdout).toBe('');
    expect(await health('manual')).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    expect((await health('manual'))!.Log).toHaveLength(2);

    expect((await run(box, ['stop', '-t', '0', 'manual'])).exitCode).toBe(0);
    const stopped = await run(box, ['healthcheck', 'run', 'manual']);
    expect(stopped.exitCode).toBe(125);
    expect(expectOneLineError(stopped)).toBe('burrow: container manual is not running: start it first');
    // Kept after the stop, as Docker's inspect shows it.
    expect((await health('manual'))?.Status).toBe('healthy');
    // A new run starts over: starting, the log kept.
    expect((await run(box, ['start', 'manual'])).exitCode).toBe(0);
    expect(await health('manual')).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect((await health('manual'))!.Log).toHaveLength(2);
    expect(expectOneLineError(await run(box, ['healthcheck', 'run', 'no-such-container']))).toBe('burrow: no such container: no-such-container');
    await run(box, ['rm', '-f', 'manual']);
  });
});

describe('waitHealthy (the library call job files wait for services with)', () => {
  /** The one-line BurrowError waitHealthy rejects with. */
  const rejection = async (name: string, timeoutMs: number): Promise<BurrowError> => {
    const error = await waitHealthy(new Store(box.root), name, { timeoutMs }).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(BurrowError);
    expect((error as Error).message).not.toContain('\n');
    return error as BurrowError;
  };

  it('resolves once healthy; rejects in one line when unhealthy (with the last output, quoted), exited, or out of time', async () => {
    await runDetached(['--name', 'wait-ok', '--health-cmd', 'true', '--health-interval', '1s', busybox(), 'sleep', '2000']);
    await waitHealthy(new Store(box.root), 'wait-ok', { timeoutMs: 90_000 });
    expect((await health('wait-ok'))?.Status).toBe('healthy');

    await runDetached(['--name', 'wait-sick', '--health-cmd', 'printf "refused\\033[2J"; exit 3', '--health-interval', '1s', '--health-retries', '2', busybox(), 'sleep', '2000']);
    const sick = await rejection('wait-sick', 90_000);
    expect(sick.message).toMatch(/^container wait-sick is unhealthy: its health check failed \d+ times in a row; the last check exited 3: "refused\\u001b\[2J"$/);

    // The job ends before any check (the interval is an hour): it exited, and says so.
    await runDetached(['--name', 'wait-exits', '--health-cmd', 'true', '--health-interval', '1h', busybox(), 'sh', '-c', 'exit 4']);
    await until(async () => (await inspect('wait-exits')).State.Status === 'exited', 30_000, 'wait-exits to exit');
    expect((await rejection('wait-exits', 90_000)).message).toBe('container wait-exits exited (code 4) before it became healthy');

    await runDetached(['--name', 'wait-slow', '--health-cmd', 'true', '--health-interval', '1h', busybox(), 'sleep', '2000']);
    const slow = await rejection('wait-slow', 1000);
    expect(slow.code).toBe('TIMEOUT');
    expect(slow.message).toBe('container wait-slow did not become healthy within 1s: still starting; no check has run yet');

    await runDetached(['--name', 'wait-none', busybox(), 'sleep', '2000']);
    expect((await rejection('wait-none', 1000)).message).toBe('container wait-none has no health check: create it with --health-cmd, or from an image with a HEALTHCHECK');
    await run(box, ['rm', '-f', 'wait-ok', 'wait-sick', 'wait-exits', 'wait-slow', 'wait-none']);
  });
});

describe('a foreground run', () => {
  it('runs the checks on its own timer while the job runs, and stops them with it', async () => {
    const child = burrow(box, ['run', '--name', 'fg', '--health-cmd', 'echo fg-check', '--health-interval', '1s', busybox(), 'sh', '-c', 'while [ ! -e /tmp/stop ]; do sleep 0.1; done; echo done'], { timeout: 120_000 });
    try {
      const healthy = await untilHealth('fg', 'healthy', (seen) => seen.Status === 'healthy');
      expect(healthy.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'fg-check\n' });
      expect((await ps()).find((container) => container.Names === 'fg')?.Status).toMatch(/^Up .* \(healthy\)$/);
      // No monitor of its own: the checks run in `burrow run`'s process (its children), not in one a monitor starts.
      const runner = recordedMonitor(join(box.root, 'containers', (await inspect('fg')).Id));
      expect(runner.pid).toBe(child.pid);
      expect((await run(box, ['exec', 'fg', 'touch', '/tmp/stop'])).exitCode).toBe(0);
      const result = await child;
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(String(result.stdout)).toBe('done');
    } finally {
      child.kill('SIGKILL');
    }
    await run(box, ['rm', '-f', 'fg']);
  });
});
