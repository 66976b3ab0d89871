import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { removeAllContainers, run, sandbox } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';
import { recordedProcesses } from '../helpers/records.js';
import { identify, parentOf, parseIdentity } from '../../src/util/process-identity.js';

/**
 * The crash loop's short version (issue 13; bench/crash-loop.mjs, whose long run's figures
 * are in BENCHMARKS.md): burrow SIGKILLed with its process group at moments a fixed seed
 * draws, over pull, load, run (unpacking, starting, the job, detached), rm, rmi and system
 * prune, as the test user. After each kill: system check passes, the next command of the
 * same kind succeeds, and once every container is removed no process, store mount or
 * cgroup of theirs is left (checked from the host). Not one kill may leave damage.
 */

const LOOP = fileURLToPath(new URL('../../bench/crash-loop.mjs', import.meta.url));
const KILLS = 27;
const SEED = 1313;

interface Report {
  kills: number;
  clean: number;
  corrupt: number;
  failures: Array<{ step: number; kind: string; delay: number; phase: string; why: string }>;
  byKind: Record<string, { kills: number }>;
}

describe('the crash loop, short', () => {
  it(`${KILLS} kills at random moments (seed ${SEED}): 0 corrupt`, async () => {
    const work = mkdtempSync(join(tmpdir(), 'burrow-crash-'));
    const json = join(work, 'report.json');
    const result = await execa(process.execPath, [LOOP, '--kills', String(KILLS), '--seed', String(SEED), '--registry', bed().registries.anon, '--archive', bed().archives['busybox-docker'], '--work', join(work, 'loop'), '--json', json], { reject: false, timeout: 1_500_000, all: true });
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    // The failures, each with its seed and step to replay it, are the message.
    expect(report.failures.map((failure) => `step ${failure.step} ${failure.kind} after ${failure.delay} ms (${failure.phase}): ${failure.why}`), String(result.all)).toEqual([]);
    expect(report.kills).toBe(KILLS);
    expect(report.clean).toBe(KILLS);
    expect(report.corrupt).toBe(0);
    // Every kind was killed at least once (the seed spreads them).
    expect(Object.keys(report.byKind).filter((kind) => report.byKind[kind]!.kills > 0).sort()).toEqual(['load', 'prune', 'pull', 'rm', 'rmi', 'run-detached', 'run-job', 'run-start', 'run-unpack']);
    expect(result.exitCode).toBe(0);
  }, 1_800_000);
});

describe('system check and the processes a killed burrow left', () => {
  it('a network helper whose agent was killed is listed as a leftover, and check --repair ends it', async () => {
    const box = sandbox();
    try {
      const started = await run(box, ['run', '-d', '--name', 'orphaned', `${bed().registries.anon}/busybox:latest`, 'sleep', '1000']);
      expect(started.exitCode, started.stderr).toBe(0);
      const dir = join(box.root, 'containers', started.stdout.trim());
      const helperFile = join(dir, 'network-helper');
      if (!existsSync(helperFile)) {
        console.log('this host gives no network helper (no pasta or slirp4netns): nothing to leave behind, the check is not exercised');
        return;
      }
      const helper = parseIdentity(readFileSync(helperFile, 'latin1').trim())!;
      // What a crash does: the agent (the helper's parent) dies first, then the container's own processes.
      const agent = parentOf(helper.pid)!;
      process.kill(agent, 'SIGKILL');
      const { monitor, sandbox: pid1 } = recordedProcesses(dir);
      process.kill(monitor.pid, 'SIGKILL');
      process.kill(pid1.pid, 'SIGKILL');
      await until(async () => (await run(box, ['ps', '-a', '--format', 'json'])).stdout.includes('"exited"'), 10_000, 'the container to read exited');
      expect(identify(helper.pid)?.startTime).toBe(helper.startTime);

      const check = await run(box, ['system', 'check']);
      expect(check.exitCode, check.stdout).toBe(0);
      expect(check.stdout).toMatch(new RegExp(`garbage leftover containers/orphaned: its network helper, pid ${helper.pid}, still runs`));
      const repair = await run(box, ['system', 'check', '--repair']);
      expect(repair.stdout).toMatch(new RegExp(`ended container orphaned: its network helper, pid ${helper.pid}`));
      await until(() => identify(helper.pid)?.startTime !== helper.startTime, 10_000, 'the helper to end');
      expect((await run(box, ['system', 'check'])).stdout).not.toMatch(/still runs/);
    } finally {
      await removeAllContainers(box);
    }
  });
});
