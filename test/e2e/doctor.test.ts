import { describe, expect, it } from 'vitest';
import { bedSubtree, V1_HOST } from '../helpers/cgroup.js';
import { expectOneLineError, run, sandbox } from '../helpers/cli.js';

/**
 * `burrow doctor` as the unprivileged test user on this machine: with the bed's
 * delegated cgroup v1 subtree (test/bed/cgroup-v1.sh) it finds route
 * delegated-v1 and the limits it gives; with BURROW_CGROUP_ROUTE=none it says
 * nothing is delegated and names the one command that gives more.
 */
const box = sandbox();
const delegated = V1_HOST && bedSubtree('pids') !== undefined;

interface Report {
  ok: boolean;
  checks: Array<{ name: string; status: string; detail: string; fix?: string }>;
  cgroup: { version: string; route: string; controllers: string[]; enforced: string[]; refused: string[]; more?: string };
}

describe('burrow doctor', () => {
  it('a status line per check, and exit 0 when everything run needs is there', async () => {
    const result = await run(box, ['doctor']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const names = result.stdout.split('\n').filter((line) => /^(ok|warn|fail) /.test(line)).map((line) => line.slice(6).trim().split(/\s{2,}/)[0]);
    expect(names).toEqual(['kernel', 'user namespaces', 'id mapping', 'programs', 'pasta', 'slirp4netns', 'tun', 'cgroup', 'limits']);
    // The test bed makes /dev/net/tun 0666 and has both helpers.
    expect(result.stdout).toMatch(/^ok {4}tun +\/dev\/net\/tun can be opened/m);
    expect(result.stdout).toMatch(/^ok {4}pasta +found/m);
    expect(result.stdout).toMatch(/^ok {4}kernel +Linux \d+\.\d+/m);
    expect(result.stdout).toMatch(/^ok {4}user namespaces /m);
  });

  it.skipIf(!delegated)('with the delegated v1 subtree: route delegated-v1, its controllers, and the flags they enforce (--format json)', async () => {
    const result = await run(box, ['doctor', '--format', 'json']);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.cgroup).toMatchObject({ version: 'hybrid', route: 'delegated-v1' });
    expect(report.cgroup.controllers).toEqual(expect.arrayContaining(['memory', 'pids', 'cpu', 'freezer']));
    expect(report.cgroup.enforced).toEqual(expect.arrayContaining(['--memory', '--cpus', '--pids-limit', 'pause']));
    expect(report.checks.find((check) => check.name === 'cgroup')).toMatchObject({ status: 'ok' });
    const table = await run(box, ['doctor']);
    expect(table.stdout).toMatch(/^ok {4}cgroup +cgroup v1 \(hybrid.*route delegated-v1/m);
  });

  it('names the fix when neither network helper is there (simulated: a PATH without /usr/bin)', async () => {
    const table = await run(box, ['doctor'], { env: { PATH: '/usr/sbin:/sbin' } });
    expect(table.stdout).toMatch(/^warn {2}pasta +pasta is not installed or not on PATH .*containers run without a network/m);
    expect(table.stdout).toMatch(/fix: apt-get install passt \(as root\)/);
    expect(table.stdout).toMatch(/fix: apt-get install slirp4netns \(as root\)/);
  });

  it('with BURROW_CGROUP_ROUTE=none: nothing delegated, limits refused, and the one command that gives more', async () => {
    const env = { BURROW_CGROUP_ROUTE: 'none' };
    const table = await run(box, ['doctor'], { env });
    // Limits are not needed for run: a warning, not a failure.
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/^warn {2}cgroup +.*nothing is delegated to you/m);
    expect(table.stdout).toMatch(/^warn {2}limits +none enforced: --memory .*--pids-limit/m);
    const report = JSON.parse((await run(box, ['doctor', '--format', 'json'], { env })).stdout) as Report;
    expect(report.cgroup).toMatchObject({ route: 'none', controllers: [], enforced: [] });
    if (V1_HOST) {
      expect(report.cgroup.more).toMatch(/sudo burrow setup/);
      expect(table.stdout).toMatch(/sudo burrow setup/);
    }
  });

  it('a bad --format is one line', async () => {
    expect(expectOneLineError(await run(box, ['doctor', '--format', 'yaml']))).toBe('burrow: unknown --format "yaml": use table or json');
  });
});
