import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, fixture } from '../helpers/bed.js';
import { removeAllContainers, run, sandbox, type Sandbox } from '../helpers/cli.js';
import { actionCheckout, postEnv, readCommandFile, runStep, stepEnv, stepFiles, type StepFiles } from '../helpers/action.js';
import { until } from '../helpers/poll.js';

/**
 * The GitHub Action as a runner runs it: `node dist/main.js`, then `node
 * dist/post.js`, from the committed bundle copied into a directory of its own, with
 * the inputs as INPUT_* variables, the GITHUB_OUTPUT/GITHUB_STATE/GITHUB_STEP_SUMMARY
 * files, and post given main's state as STATE_* variables; as the unprivileged test
 * user, against the local registry.
 */
const busybox = (): string => `${bed().registries.anon}/busybox:latest`;

let action: string;
let box: Sandbox;

beforeAll(() => {
  action = actionCheckout();
  box = sandbox();
});

afterAll(async () => {
  await removeAllContainers(box);
  rmSync(action, { recursive: true, force: true });
});

async function mainThenPost(files: StepFiles, inputs: Record<string, string>) {
  const env = stepEnv(box, files, inputs);
  const main = await runStep(action, 'main', env, files.workspace);
  const post = await runStep(action, 'post', postEnv(env, files), files.workspace);
  return { main, post, outputs: readCommandFile(files.output), summary: readFileSync(files.summary, 'utf8') };
}

/** A process that runs (not gone, not a zombie). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Every path under `dir`, with its owner. */
function owners(dir: string): Array<{ path: string; uid: number }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((path) => ({ path, uid: lstatSync(join(dir, path)).uid }));
}

// Generous: the first main compiles burrow's helpers, and the machine may be busy.
describe('the Action: main and post as the runner runs them', { timeout: 300_000 }, () => {
  it('runs the script in the container, with the outputs, log groups and summary, and leaves the workspace the runner\'s', async () => {
    const files = stepFiles();
    writeFileSync(join(files.workspace, 'input.txt'), 'from the checkout\n');
    // The job runs as uid 1000 of the image: what it writes belongs, on the host, to a
    // subordinate id; the runner user must still be able to remove all of it afterwards.
    const script = [
      'set -e',
      'echo "greeting=$GREETING"',
      'echo "cwd=$(pwd)"',
      'echo "read=$(cat input.txt)"',
      'cd shared && mkdir -p out/deep && echo built > out/deep/artifact && chmod 0500 out/deep',
      // A host shell would run this on the runner: here it is the container's.
      `touch /tmp/action-marker-${process.pid}`,
      'echo "id=$(id -u)"',
    ].join('\n');
    // The workspace's own directory lets uid 1000 write (as a checkout made for such a job would).
    mkdirSync(join(files.workspace, 'shared'));
    chmodSync(join(files.workspace, 'shared'), 0o777);
    const { main, post, outputs, summary } = await mainThenPost(files, {
      image: busybox(),
      run: script,
      workspace: files.workspace,
      env: 'GREETING=hello world\nOTHER=2',
      options: '-u 1000 --label "purpose=action test"',
    });
    const log = String(main.stdout);
    expect(main.exitCode, `${log}\n${String(main.stderr)}`).toBe(0);
    expect(log).toContain('greeting=hello world');
    expect(log).toContain(`cwd=${files.workspace}`);
    expect(log).toContain('read=from the checkout');
    expect(log).toContain('id=1000');
    expect(existsSync(`/tmp/action-marker-${process.pid}`)).toBe(false);
    // A log group per phase.
    expect(log).toMatch(/^::group::pull /m);
    expect(log).toMatch(/^::group::run: set -e$/m);
    expect(log).toMatch(/^::endgroup::$/m);
    expect(outputs['exit-code']).toBe('0');
    expect(Number(outputs.duration)).toBeGreaterThan(0);
    expect(outputs['image-digest']).toBe(fixture('busybox:latest').digest);
    expect(summary).toContain(busybox());
    expect(summary).toContain(fixture('busybox:latest').digest);
    expect(summary).toMatch(/<td>set -e<\/td><td>✅ success<\/td><td>0<\/td>/);
    // Everything the job left in the workspace is the runner user's again, and removable.
    expect(owners(files.workspace).filter((entry) => entry.uid !== process.getuid!())).toEqual([]);
    rmSync(files.workspace, { recursive: true });
    expect(existsSync(files.workspace)).toBe(false);
    // The container went with main (--rm); post finds nothing of it.
    expect(post.exitCode, String(post.stderr)).toBe(0);
    expect((await run(box, ['ps', '-a', '-q'])).stdout).toBe('');
  });

  it('passes a failing script\'s exit code on, with an error annotation and the failure in the summary', async () => {
    const files = stepFiles();
    const { main, outputs, summary } = await mainThenPost(files, { image: busybox(), run: 'echo about to fail\nexit 3\n' });
    expect(main.exitCode).toBe(1);
    expect(outputs['exit-code']).toBe('3');
    expect(String(main.stdout)).toMatch(/^::error title=Step failed::echo about to fail: exit code 3$/m);
    expect(summary).toContain('failed (exit code 3)');
    expect(summary).toContain('❌ failure');
  });

  it('refuses options it does not take, and bad inputs, in one annotation before pulling anything', async () => {
    const files = stepFiles();
    const { main, outputs } = await mainThenPost(files, { image: busybox(), run: 'true', options: '--detach' });
    expect(main.exitCode).toBe(1);
    expect(outputs['exit-code']).toBe('125');
    expect(String(main.stdout)).toContain('::error title=burrow::options: --detach is not taken (a step waits for its container)');
    const unquoted = await mainThenPost(stepFiles(), { image: busybox(), run: 'true', options: "-e 'A=1" });
    expect(String(unquoted.main.stdout)).toContain('options: a single quote is not closed');
    const both = await mainThenPost(stepFiles(), { image: busybox(), 'job-file': 'job.yml' });
    expect(String(both.main.stdout)).toContain('job-file names its own image and steps');
  });

  it('says so and goes on without a cache service when cache is asked for (no runner here offers one)', async () => {
    const files = stepFiles();
    const { main, outputs } = await mainThenPost(files, { image: busybox(), run: 'true', cache: 'true' });
    expect(main.exitCode, String(main.stdout)).toBe(0);
    expect(outputs['exit-code']).toBe('0');
    expect(String(main.stdout)).toContain('cache: the runner offers no cache service here');
  });

  it('runs a job file\'s steps in groups, the first failure\'s exit code its own', async () => {
    const files = stepFiles();
    writeFileSync(join(files.workspace, 'job.yml'), [
      `image: ${busybox()}`,
      'env:',
      '  STAGE: test',
      'steps:',
      '  - name: first',
      '    run: echo "first in $STAGE"',
      '  - name: allowed to fail',
      '    run: exit 4',
      '    continue-on-error: true',
      '  - name: failing',
      '    run: exit 5',
      '  - name: never',
      '    run: echo never',
    ].join('\n'));
    const { main, post, outputs, summary } = await mainThenPost(files, { 'job-file': 'job.yml' });
    const log = String(main.stdout);
    expect(outputs['exit-code'], log).toBe('5');
    expect(log).toMatch(/^::group::step: first$/m);
    expect(log).toContain('first in test');
    expect(log).toMatch(/^::warning title=Step failed \(continue-on-error\)::allowed to fail: exit code 4/m);
    expect(log).toMatch(/^::error title=Step failed::failing: exit code 5$/m);
    expect(summary).toMatch(/<td>never<\/td><td>⏭️ skipped<\/td>/);
    expect(post.exitCode).toBe(0);
    expect((await run(box, ['ps', '-a', '-q'])).stdout).toBe('');
  });

  it('logs in with the registry inputs, masks the password, and post logs out again', async () => {
    const files = stepFiles();
    const password = bed().users.alice;
    const { main, post } = await mainThenPost(files, { image: `${bed().registries.basic}/private/busybox:latest`, run: 'echo pulled-with-credentials', 'registry-username': 'alice', 'registry-password': password });
    const log = String(main.stdout);
    expect(main.exitCode, log).toBe(0);
    // The runner's masking command comes before anything else the step prints.
    expect(log.split('\n')[0]).toBe(`::add-mask::${password}`);
    expect(log.split('\n').slice(1).join('\n')).not.toContain(password);
    expect(log).toContain('pulled-with-credentials');
    expect(String(post.stdout)).toContain(`logged out of ${bed().registries.basic}`);
    const config = JSON.parse(readFileSync(join(box.home, '.docker', 'config.json'), 'utf8')) as { auths?: Record<string, unknown> };
    expect(config.auths?.[bed().registries.basic]).toBeUndefined();
  });

  it('stops the script on a cancelled job\'s SIGINT, still with its outputs and summary; post then finds nothing left', async () => {
    const files = stepFiles();
    const env = stepEnv(box, files, { image: busybox(), run: 'trap "echo got-SIGINT; exit 7" INT\necho started\nwhile true; do sleep 0.1; done' });
    const main = runStep(action, 'main', env, files.workspace);
    let log = '';
    main.stdout?.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    await until(() => log.includes('started'), 60_000, 'the job to start');
    main.kill('SIGINT');
    const ended = await main;
    expect(ended.exitCode, log).toBe(1);
    // The script's own trap ran (SIGINT reached it through the container's init).
    expect(log).toContain('got-SIGINT');
    expect(readCommandFile(files.output)['exit-code']).toBe('7');
    expect(readFileSync(files.summary, 'utf8')).toContain('failed (exit code 7)');
    const post = await runStep(action, 'post', postEnv(env, files), files.workspace);
    expect(post.exitCode, String(post.stderr)).toBe(0);
    expect((await run(box, ['ps', '-a', '-q'])).stdout).toBe('');
  });

  it('post removes the container and every process of a main that was killed mid-job (a cancelled run)', async () => {
    const files = stepFiles();
    mkdirSync(join(files.workspace, 'shared'));
    chmodSync(join(files.workspace, 'shared'), 0o777);
    // As uid 1000: what it wrote before main was killed is post's to give back.
    const env = stepEnv(box, files, { image: busybox(), options: '-u 1000', run: 'mkdir -p shared/left/d && touch shared/left/d/f && chmod 0500 shared/left/d\necho started\nsleep 600' });
    const main = runStep(action, 'main', env, files.workspace);
    let log = '';
    main.stdout?.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    await until(() => log.includes('started'), 60_000, 'the job to start');
    const running = (await run(box, ['ps', '-q', '--no-trunc'])).stdout.trim();
    expect(running).toMatch(/^[0-9a-f]{64}$/);
    // The state names the container before it started.
    expect(readCommandFile(files.state).burrow).toContain(running);
    const sandboxPid = Number(JSON.parse((await run(box, ['inspect', running])).stdout)[0].State.Pid);
    expect(sandboxPid).toBeGreaterThan(0);
    // The runner's last resort: the step's process killed outright, nothing to clean up after itself.
    const exited = new Promise((resolve) => main.once('exit', resolve));
    main.kill('SIGKILL');
    // Its exit, not its pipes: the runner does not wait for what the step's processes left holding them.
    await exited;
    const post = await runStep(action, 'post', postEnv(env, files), files.workspace);
    expect(post.exitCode, String(post.stderr)).toBe(0);
    expect(String(post.stdout)).toMatch(/removed 1 container\(s\)/);
    expect((await run(box, ['ps', '-a', '-q'])).stdout).toBe('');
    // Gone, or a zombie: this machine's PID 1 does not reap the orphans a killed main leaves.
    // (As uid 1000 the container's init has changed its user, which clears its parent-death
    // signal: it outlives main, and only post's kill ends it.)
    await until(() => !alive(sandboxPid), 10_000, 'the sandbox to be gone');
    expect(existsSync(join(box.root, 'containers', running))).toBe(false);
    expect(owners(files.workspace).filter((entry) => entry.uid !== process.getuid!())).toEqual([]);
    rmSync(files.workspace, { recursive: true });
    main.stdout?.destroy();
    main.stderr?.destroy();
  });
});
