import { describe, expect, it } from 'vitest';
import { expectOneLineError, run, type CliResult } from '../helpers/cli.js';
import { busybox, suiteSandbox } from '../helpers/suite.js';

/*
 * The limit flags of run, create and update, stats, pause and inspect where the
 * host gives no cgroup: `BURROW_CGROUP_ROUTE=none` makes this host one that
 * delegates nothing (whatever the test bed set up), as a CI runner without a user
 * manager is. Real enforcement (OOM, fork bomb, --cpus, pause of a foreground
 * run) is tested where cgroups are delegated: test/e2e/limits.test.ts.
 */
const box = suiteSandbox();

const NONE = { BURROW_CGROUP_ROUTE: 'none' };
const burrow = (args: string[]): Promise<CliResult> => run(box, args, { env: NONE });

interface Inspected {
  State: { Status: string; OOMKilled: boolean; Cgroup: unknown; ExitCode: number };
  HostConfig: Record<string, unknown>;
}
const inspect = async (name: string): Promise<Inspected> => {
  const result = await burrow(['inspect', name]);
  expect(result.exitCode, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as Inspected[])[0]!;
};
const containerCount = async (): Promise<number> => (await burrow(['ps', '-a', '-q'])).stdout.split('\n').filter(Boolean).length;

describe('a limit asked for where nothing is delegated', () => {
  it('is refused in one line before anything starts, by run and create alike, and no container is left', async () => {
    const before = await containerCount();
    for (const command of ['run', 'create']) {
      const result = await burrow([command, '--rm', '--memory', '64m', busybox(), 'echo', 'ran']);
      expect(expectOneLineError(result)).toBe("burrow: --memory needs a delegated cgroup: run 'burrow doctor' (or --ignore-missing-limits to run without it)");
      expect(result.exitCode).toBe(125);
      expect(result.stdout).toBe('');
    }
    expect(expectOneLineError(await burrow(['run', '--rm', '--pids-limit', '64', busybox(), 'true']))).toMatch(/^burrow: --pids-limit needs a delegated cgroup: run 'burrow doctor'/);
    expect(expectOneLineError(await burrow(['run', '--rm', '-d', '--cpus', '0.5', busybox(), 'true']))).toMatch(/^burrow: --cpus needs a delegated cgroup/);
    expect(await containerCount()).toBe(before);
  });

  it('runs with --ignore-missing-limits, after one warning that names exactly what is not enforced', async () => {
    const result = await burrow(['run', '--rm', '--ignore-missing-limits', '-m', '64m', '--pids-limit', '64', busybox(), 'echo', 'ran']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('ran');
    const lines = result.stderr.split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe("warning: --memory, --pids-limit are not enforced on this host (BURROW_CGROUP_ROUTE=none); run 'burrow doctor' for what would enforce them");
  });

  it('runs without a cgroup and says nothing when no limit was asked for (the default pids limit is silently absent)', async () => {
    const result = await burrow(['run', '--name', 'plain', busybox(), 'echo', 'ran']);
    expect(result).toEqual({ exitCode: 0, stdout: 'ran', stderr: '' });
    const details = await inspect('plain');
    expect(details.HostConfig).toMatchObject({ PidsLimit: null, Memory: 0, NanoCpus: 0, CgroupsMode: 'enabled' });
    expect(details.State).toMatchObject({ Status: 'exited', OOMKilled: false, Cgroup: null, ExitCode: 0 });
    await burrow(['rm', 'plain']);
  });
});

describe('--cgroups', () => {
  it('disabled runs the job without a cgroup, refuses limits with it, and inspect shows the mode', async () => {
    // Without the forced route too: disabled means no cgroup whatever the host gives.
    const result = await run(box, ['run', '--name', 'nocg', '--cgroups', 'disabled', busybox(), 'echo', 'ran']);
    expect(result).toEqual({ exitCode: 0, stdout: 'ran', stderr: '' });
    expect((await inspect('nocg')).HostConfig).toMatchObject({ CgroupsMode: 'disabled', PidsLimit: null });
    await burrow(['rm', 'nocg']);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--cgroups', 'disabled', '--memory', '64m', busybox(), 'true']))).toBe('burrow: --cgroups disabled runs the container without a cgroup, so it cannot have resource limits: drop one or the other');
    expect(expectOneLineError(await run(box, ['run', '--rm', '--cgroups', 'split', busybox(), 'true']))).toBe('burrow: invalid --cgroups "split": use enabled or disabled');
  });

  it('disabled: pause, unpause and update say why they cannot', async () => {
    const id = (await run(box, ['run', '-d', '--name', 'nocg-d', '--cgroups', 'disabled', busybox(), 'sleep', '600'])).stdout.trim();
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    expect(expectOneLineError(await run(box, ['pause', 'nocg-d']))).toBe('burrow: cannot pause nocg-d: it was created with --cgroups disabled, so it has no cgroup of its own; recreate it without that flag');
    expect(expectOneLineError(await run(box, ['unpause', 'nocg-d']))).toMatch(/^burrow: cannot unpause nocg-d: it was created with --cgroups disabled/);
    expect(expectOneLineError(await run(box, ['update', '--pids-limit', '10', 'nocg-d']))).toBe('burrow: cannot update nocg-d: it was created with --cgroups disabled, so it cannot have resource limits; recreate it without that flag');
    await run(box, ['rm', '-f', 'nocg-d']);
  });
});

describe('bad values', () => {
  it.each([
    [['-m', '5m'], 'burrow: invalid --memory "5m": Minimum memory limit allowed is 6MB: give 6m or more'],
    [['--memory', 'lots'], 'burrow: invalid --memory "lots": give a size such as 64m, 1g, 512k or a number of bytes'],
    [['--memory-swap', '128m'], 'burrow: You should always set the Memory limit when using Memoryswap limit: give --memory as well as --memory-swap'],
    [['--memory', '128m', '--memory-swap', '64m'], 'burrow: Minimum memoryswap limit should be larger than memory limit: give --memory-swap at least --memory (or -1 for unlimited swap)'],
    [['--cpus', '0'], /^burrow: invalid --cpus "0": Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available$/],
    [['--cpus', '100000'], /^burrow: invalid --cpus "100000": Range of CPUs is from 0\.01/],
    [['--cpuset-cpus', '0-100000'], /^burrow: invalid --cpuset-cpus "0-100000": give CPU numbers and ranges such as 0-1,3$/],
    [['--cpuset-cpus', '4000'], /^burrow: invalid --cpuset-cpus "4000": Requested CPUs are not available - requested 4000, available: 0(-\d+)?$/],
    [['--pids-limit', 'many'], 'burrow: invalid --pids-limit "many": give a whole number (give a number of processes, or -1 (or 0) for no limit)'],
    [['-c', '1'], 'burrow: invalid --cpu-shares "1": the range is 2 to 262144; 1024 is the default weight'],
    [['--blkio-weight', '5'], 'burrow: invalid --blkio-weight "5": Range of blkio weight is from 10 to 1000'],
  ])('%j is refused in one line, before a container exists', async (flags, message) => {
    const before = await containerCount();
    // On any host: a bad value is refused before the host is asked.
    const result = await run(box, ['run', '--rm', ...flags, busybox(), 'true']);
    const line = expectOneLineError(result);
    if (typeof message === 'string') expect(line).toBe(message);
    else expect(line).toMatch(message);
    expect(result.exitCode).toBe(125);
    expect(await containerCount()).toBe(before);
  });

  it('takes --memory-swap -1 (unlimited swap) as a value, not as a flag', async () => {
    const result = await burrow(['create', '--name', 'swap', '--ignore-missing-limits', '-m', '64m', '--memory-swap', '-1', busybox(), 'true']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await inspect('swap')).HostConfig).toMatchObject({ Memory: 64 * 1024 ** 2, MemorySwap: -1 });
    await burrow(['rm', 'swap']);
  });
});

describe('inspect', () => {
  it("shows the limits asked for in Docker's HostConfig fields, kept across starts", async () => {
    const created = await burrow(['create', '--name', 'limited', '--ignore-missing-limits',
      '--memory', '64m', '--memory-swap', '128m', '--memory-reservation', '32m', '--cpus', '0.5', '--cpu-shares', '512',
      '--cpuset-cpus', '0', '--pids-limit', '100', '--blkio-weight', '300', busybox(), 'true']);
    expect(created.exitCode, created.stderr).toBe(0);
    // create warns nothing: the warning comes with the start that runs without the limits.
    expect(created.stderr).toBe('');
    const expected = {
      Memory: 64 * 1024 ** 2, MemorySwap: 128 * 1024 ** 2, MemoryReservation: 32 * 1024 ** 2, NanoCpus: 500_000_000, CpuShares: 512,
      CpusetCpus: '0', BlkioWeight: 300, CgroupsMode: 'enabled',
    };
    // Not started yet: the pids limit it asks for.
    expect((await inspect('limited')).HostConfig).toMatchObject({ ...expected, PidsLimit: 100 });
    const started = await burrow(['start', '-a', 'limited']);
    expect(started.exitCode, started.stderr).toBe(0);
    expect(started.stderr).toMatch(/^warning: --memory, --memory-swap, --memory-reservation, --cpus, --cpu-shares, --cpuset-cpus, --pids-limit, --blkio-weight are not enforced on this host/);
    // Ran without a cgroup: no pids limit was in force.
    const after = await inspect('limited');
    expect(after.HostConfig).toMatchObject({ ...expected, PidsLimit: null });
    expect(after.State).toMatchObject({ Status: 'exited', OOMKilled: false, Cgroup: null });
    await burrow(['rm', 'limited']);
  });
});

describe('update, stats and pause of containers without a cgroup', () => {
  it('update of a running container is refused as run refuses; pause points to burrow doctor', async () => {
    const id = (await burrow(['run', '-d', '--name', 'idle', busybox(), 'sleep', '600'])).stdout.trim();
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    expect(expectOneLineError(await burrow(['update', '--memory', '64m', 'idle']))).toBe("burrow: --memory needs a delegated cgroup: run 'burrow doctor' (or --ignore-missing-limits to run without it)");
    expect(expectOneLineError(await burrow(['update', '--memory', '5m', 'idle']))).toBe('burrow: invalid --memory "5m": Minimum memory limit allowed is 6MB: give 6m or more');
    expect(expectOneLineError(await burrow(['update', 'idle']))).toBe('burrow: update needs at least one limit to change, such as --memory 64m or --pids-limit 100');
    expect(expectOneLineError(await burrow(['update', '--pids-limit', '10', 'no-such-container']))).toBe('burrow: no such container: no-such-container');
    expect((await inspect('idle')).HostConfig).toMatchObject({ Memory: 0 });
    expect(expectOneLineError(await burrow(['pause', 'idle']))).toBe("burrow: cannot pause idle: it has no cgroup of its own (BURROW_CGROUP_ROUTE=none); run 'burrow doctor' to see what would give one");
    await burrow(['rm', '-f', 'idle']);
  });

  it('update keeps new limits in the record of a container created with --ignore-missing-limits, running or stopped', async () => {
    await burrow(['run', '-d', '--name', 'lenient', '--ignore-missing-limits', '-m', '64m', busybox(), 'sleep', '600']);
    const running = await burrow(['update', '--memory', '96m', '--pids-limit', '50', 'lenient']);
    expect(running.exitCode, running.stderr).toBe(0);
    expect(running.stdout).toBe('lenient');
    // One warning, for what this update asked.
    expect(running.stderr).toBe("warning: --memory, --pids-limit are not enforced on this host (BURROW_CGROUP_ROUTE=none); run 'burrow doctor' for what would enforce them");
    expect((await inspect('lenient')).HostConfig).toMatchObject({ Memory: 96 * 1024 ** 2 });
    await burrow(['stop', '-t', '0', 'lenient']);
    const stopped = await burrow(['update', '--cpus', '0.5', 'lenient']);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect((await inspect('lenient')).HostConfig).toMatchObject({ Memory: 96 * 1024 ** 2, NanoCpus: 500_000_000 });
    expect(expectOneLineError(await burrow(['update', '--memory', '64m', '--memory-reservation', '96m', 'lenient']))).toMatch(/^burrow: Minimum memory limit can not be less than memory reservation limit/);
    await burrow(['rm', 'lenient']);
  });

  it("stats shows `--` for what it cannot measure rather than failing: Docker's columns and keys plus the peak", async () => {
    await burrow(['run', '-d', '--name', 'watched', busybox(), 'sleep', '600']);
    const table = await burrow(['stats', '--no-stream', 'watched']);
    expect(table.exitCode, table.stderr).toBe(0);
    const [header, row, ...rest] = table.stdout.split('\n');
    expect(header).toMatch(/^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+MEM PEAK\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    expect(row).toMatch(/^[a-f0-9]{12}\s+watched\s+--\s+-- \/ --\s+--\s+--\s+--\s+--\s+--$/);
    expect(rest).toEqual([]);

    const json = await burrow(['stats', '--no-stream', '--no-trunc', '--format', 'json', 'watched']);
    expect(json.exitCode, json.stderr).toBe(0);
    const lines = json.stdout.split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, string>;
    expect(Object.keys(entry).sort()).toEqual(['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPeak', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
    expect(entry).toMatchObject({ Name: 'watched', Container: 'watched', CPUPerc: '--', PIDs: '--', MemPeak: '--' });
    expect(entry.ID).toMatch(/^[a-f0-9]{64}$/);

    // Every running container by default; a stopped one only with -a.
    await burrow(['stop', '-t', '0', 'watched']);
    expect((await burrow(['stats', '--no-stream', '--format', 'json'])).stdout).toBe('');
    const all = await burrow(['stats', '--no-stream', '-a', '--format', 'json']);
    expect(all.stdout.split('\n').map((line) => (JSON.parse(line) as { Name: string }).Name)).toContain('watched');
    expect(expectOneLineError(await burrow(['stats', '--no-stream', 'no-such-container']))).toBe('burrow: no such container: no-such-container');
    expect((await burrow(['stats', '--no-stream', '-a', '--format', '{{.Name}} {{.PIDs}}', 'watched'])).stdout).toBe('watched --');
    expect((await burrow(['stats', '--no-stream', '-a', '--format', 'table {{.Name}}\\t{{.MemPeak}}', 'watched'])).stdout).toBe('NAME      MEM PEAK\nwatched   --');
    const wrong = await burrow(['stats', '--no-stream', '-a', '--format', '{{.Nope}}', 'watched']);
    expect(expectOneLineError(wrong)).toMatch(/^burrow: template: :1:2: executing "" at <\.Nope>: can't evaluate field Nope/);
    expect(wrong.exitCode).toBe(1);
    await burrow(['rm', 'watched']);
  });
});
