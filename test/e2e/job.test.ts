import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { burrow, run, type CliResult, jsonLines } from '../helpers/cli.js';
import { busybox, suiteSandbox } from '../helpers/suite.js';
import { until } from '../helpers/poll.js';

/*
 * `burrow job run FILE` end to end, as the unprivileged test user: services on
 * the job's own network (replicas behind one name), the wait for their health,
 * steps exec'd one after another in one job container, and the teardown checked
 * from the host (no container, network, switch, agent or helper left) after
 * success, failure, a step's timeout and Ctrl-C.
 */
const debian = (): string => `${bed().registries.anon}/debian:latest`;
const box = suiteSandbox();
let files: string;

/** A replica's server: answers each connection to 8080 with its host name (its container name) once /tmp/ready exists. */
const SERVE = 'sleep 2; touch /tmp/ready; while true; do hostname | busybox nc -l -p 8080; done';

beforeAll(async () => {
  files = join(box.dir, 'jobs');
  mkdirSync(files);
});

function jobFile(name: string, text: string): string {
  const path = join(files, name);
  writeFileSync(path, text);
  return path;
}

function workspace(name: string): string {
  const dir = join(box.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const runJob = (file: string, dir: string, timeout = 180_000): Promise<CliResult> => run(box, ['job', 'run', file, '--workspace', dir], { timeout });

/** Everything of this test's store still there, seen from the host: containers, networks, processes naming the store. */
async function leftovers(): Promise<{ containers: string; networks: string; processes: string }> {
  const containers = (await run(box, ['ps', '-a', '-q'])).stdout.trim();
  const networks = (await run(box, ['network', 'ls', '-q'])).stdout.trim();
  const processes = (await execa('pgrep', ['-a', '-f', box.root], { reject: false })).stdout.trim();
  return { containers, networks, processes };
}

const NOTHING = { containers: '', networks: '', processes: '' };

describe('burrow job run', () => {
  it('starts two replicas of a service behind one name, waits until they are healthy, and runs the steps beside them', async () => {
    const file = jobFile('services.yml', `
name: svc
image: ${busybox()}
services:
  web:
    image: ${busybox()}
    replicas: 2
    command: [sh, -c, "${SERVE}"]
    healthcheck:
      test: test -f /tmp/ready
      interval: 500ms
      retries: 30
steps:
  - name: hosts
    run: grep -w web /etc/hosts
  - name: each replica
    run: |
      for address in $(grep -w web /etc/hosts | busybox cut -f1); do busybox nc -w 2 $address 8080; done
  - name: by name
    run: busybox nc -w 2 web 8080
`);
    const result = await runJob(file, workspace('services'));
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    // /etc/hosts lists every replica under the service's name, each with its own address.
    const hosts = lines.filter((line) => /\tsvc-[0-9a-f]{8}-web-\d web\b/.test(line));
    expect(hosts).toHaveLength(2);
    expect(new Set(hosts.map((line) => line.split('\t')[0])).size).toBe(2);
    // Both replicas answered at once (the wait for health is what lets the first step find them listening).
    const answers = lines.filter((line) => /^svc-[0-9a-f]{8}-web-\d$/.test(line));
    expect(answers).toHaveLength(3);
    expect(answers.slice(0, 2).map((answer) => answer.slice(-1)).sort()).toEqual(['1', '2']);
    expect(result.stderr).toMatch(/--- service web: ready/);
    expect(await leftovers()).toEqual(NOTHING);
  });

  it('resolves every replica of a service through getaddrinfo (getent ahosts in a Debian step)', async () => {
    const pulled = await run(box, ['pull', '-q', debian()], { timeout: 300_000 });
    expect(pulled.exitCode, `the Debian fixture (test/bed/debian-fixture.sh): ${pulled.stderr}`).toBe(0);
    const file = jobFile('getent.yml', `
image: ${debian()}
services:
  db:
    image: ${busybox()}
    replicas: 2
    command: [sleep, "300"]
steps:
  - run: getent ahosts db | awk '$2 == "STREAM" { print $1 }' | sort -u
  - run: grep -w db /etc/hosts | cut -f1 | sort -u
`);
    const result = await runJob(file, workspace('getent'));
    expect(result.exitCode, result.stderr).toBe(0);
    const addresses = result.stdout.trim().split('\n');
    // The same two addresses from the resolver and from the file.
    expect(addresses).toHaveLength(4);
    expect(addresses.slice(0, 2)).toEqual(addresses.slice(2));
    for (const address of addresses) expect(address).toMatch(/^10\.89\.\d+\.\d+$/);
    expect(await leftovers()).toEqual(NOTHING);
  });

  it('fails with the service\'s last log lines when a replica never gets healthy, and leaves nothing', async () => {
    const file = jobFile('unhealthy.yml', `
image: ${busybox()}
services:
  db:
    image: ${busybox()}
    command: [sh, -c, 'echo db-says-starting; printf "db-says-broken\\033]0;PWNED\\007\\n" >&2; sleep 300']
    healthcheck:
      test: [CMD, "false"]
      interval: 300ms
      retries: 2
steps:
  - run: echo must-not-run
`);
    const result = await runJob(file, workspace('unhealthy'));
    expect(result.exitCode).toBe(125);
    expect(result.stdout).not.toContain('must-not-run');
    const error = result.stderr.trim().split('\n').filter((line) => line.startsWith('burrow: '));
    expect(error).toHaveLength(1);
    expect(error[0]).toMatch(/service db did not become healthy: .*unhealthy.*db-says-starting.*db-says-broken/);
    // The service's escape sequence (a window title) reaches the terminal only as text.
    expect(result.stderr).not.toContain('\x1b');
    expect(error[0]).toContain('db-says-broken\\u001b]0;PWNED\\u0007');
    expect(await leftovers()).toEqual(NOTHING);
  });

  it('fails before any step, in one line with its exit status and last log lines, when a service without a health check has already exited', async () => {
    const file = jobFile('exits-at-once.yml', `
image: ${busybox()}
services:
  db:
    image: ${busybox()}
    command: [sh, -c, 'echo db-says-starting; echo db-says-no-config >&2; exit 3']
steps:
  - run: echo must-not-run
`);
    const result = await runJob(file, workspace('exits-at-once'));
    expect(result.exitCode).toBe(125);
    expect(result.stdout).not.toContain('must-not-run');
    const error = result.stderr.trim().split('\n').filter((line) => line.startsWith('burrow: '));
    expect(error).toHaveLength(1);
    expect(error[0]).toMatch(/^burrow: service db exited before the steps started \(container \S+-db-1, exit status 3\); its last log lines: .*db-says-starting.*db-says-no-config/);
    expect(await leftovers()).toEqual(NOTHING);
  });

  it('skips the remaining steps and fails the job when a service exits during the steps, naming it (exit status 125)', async () => {
    // The service ends when the test says so (a file in a directory it shares with the host); the step waits until the host has seen it exit.
    const signals = workspace('service-dies-signals');
    chmodSync(signals, 0o777);
    const file = jobFile('service-dies.yml', `
image: ${busybox()}
services:
  db:
    image: ${busybox()}
    volumes: ["${signals}:/signals"]
    command: [sh, -c, 'echo db-up; until [ -e /signals/stop ]; do sleep 0.1; done; echo db-going-down >&2; exit 4']
steps:
  - name: first
    run: touch first-ran; until [ -e go-on ]; do sleep 0.1; done
  - name: second
    run: echo must-not-run
`);
    const dir = workspace('service-dies');
    chmodSync(dir, 0o777);
    const child = burrow(box, ['job', 'run', file, '--workspace', dir], { timeout: 180_000 });
    await until(() => existsSync(join(dir, 'first-ran')), 120_000, 'the first step to run');
    writeFileSync(join(signals, 'stop'), '');
    await until(async () => (await run(box, ['ps', '-q', '--filter', 'status=exited', '--filter', 'label=burrow.job.service=db'])).stdout.trim() !== '', 60_000, 'the service to exit');
    writeFileSync(join(dir, 'go-on'), '');
    const result = await child;
    const stderr = String(result.stderr);
    expect(result.exitCode, stderr).toBe(125);
    expect(String(result.stdout)).not.toContain('must-not-run');
    expect(stderr).toMatch(/service db exited during the steps \(container \S+-db-1, exit status 4\); its last log lines: .*db-up.*db-going-down/);
    expect(stderr).toContain('--- skipped: second');
    expect(stderr).toMatch(/--- service db \(\S+-db-1\) exited during the steps, exit status 4/);
    expect(await leftovers()).toEqual(NOTHING);
  });

  it('gives each step its env and working directory, carries files between steps, honours continue-on-error and timeouts, and exits with the first failed step\'s status', async () => {
    const dir = workspace('steps');
    const file = jobFile('steps.yml', `
image: ${busybox()}
env:
  JOB_VAR: from-job
  OVERRIDDEN: by-job
steps:
  - name: env
    run: echo "env=$JOB_VAR/$OVERRIDDEN/$STEP_VAR"; pwd; echo kept > /carried
    env:
      OVERRIDDEN: by-step
      STEP_VAR: 42
  - name: workdir
    run: echo "cwd=$(pwd)"; cat /carried; echo "env2=$STEP_VAR."
    working-directory: /tmp
  - name: argv
    command: [sh, -c, 'echo "argv=$0"', one]
  - name: allowed to fail
    run: exit 3
    continue-on-error: true
  - name: slow but allowed
    run: echo slow-started; sleep 60; echo slow-finished
    timeout: 1s
    continue-on-error: true
  - name: fails
    run: echo failing; exit 7
  - name: after the failure
    run: echo must-not-run
`);
    const result = await runJob(file, dir);
    expect(result.exitCode, result.stderr).toBe(7);
    const out = result.stdout;
    expect(out).toContain('env=from-job/by-step/42\n');
    expect(out).toContain(`${dir}\n`);
    expect(out).toContain('cwd=/tmp\nkept\nenv2=.\n');
    expect(out).toContain('argv=one\n');
    expect(out).toContain('slow-started\n');
    expect(out).not.toContain('slow-finished');
    expect(out).toMatch(/^failing$/m);
    expect(out).not.toContain('must-not-run');
    expect(result.stderr).toMatch(/--- step 4\/7: continued \(exit status 3\)/);
    expect(result.stderr).toMatch(/--- step 5\/7: continued \(exit status 124\): timed out after 1 s/);
    expect(result.stderr).toMatch(/--- step 6\/7: failure \(exit status 7\)/);
    expect(result.stderr).toMatch(/--- skipped: after the failure/);
    expect(await leftovers()).toEqual(NOTHING);
  });

  it('ends a job whose step runs out of time with status 124, leaving nothing', async () => {
    const file = jobFile('timeout.yml', `
image: ${busybox()}
services:
  side:
    image: ${busybox()}
    command: [sleep, "300"]
steps:
  - run: trap "" TERM; echo waiting; sleep 60
    timeout: 2
`);
    const result = await runJob(file, workspace('timeout'));
    expect(result.exitCode, result.stderr).toBe(124);
    expect(result.stdout).toContain('waiting');
    expect(result.stderr).toMatch(/timed out after 2 s/);
    expect(await leftovers()).toEqual(NOTHING);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`tears everything down on ${signal === 'SIGINT' ? 'Ctrl-C (SIGINT' : 'SIGTERM'} to the CLI${signal === 'SIGINT' ? ')' : ''} in the middle of a step`, async () => {
      const file = jobFile(`interrupt-${signal}.yml`, `
image: ${busybox()}
services:
  side:
    image: ${busybox()}
    command: [sleep, "300"]
steps:
  - run: echo step-running; sleep 120
  - run: echo must-not-run
`);
      const child = burrow(box, ['job', 'run', file, '--workspace', workspace('interrupt')], { timeout: 120_000 });
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
      await until(() => stdout.includes('step-running'), 60_000, 'the step to start');
      // Mid-step, the job's containers, the network and its switch are there.
      const during = await leftovers();
      expect(during.containers.split('\n')).toHaveLength(2);
      expect(during.networks).not.toBe('');
      expect(during.processes).toMatch(/burrow-switch/);
      child.kill(signal);
      const result = await child;
      expect(result.exitCode).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(String(result.stdout)).not.toContain('must-not-run');
      expect(String(result.stderr)).toContain('job interrupted');
      expect(await leftovers()).toEqual(NOTHING);
    });
  }

  it('joins a network the file names, and leaves it', async () => {
    expect((await run(box, ['network', 'create', 'shared'])).exitCode).toBe(0);
    const file = jobFile('network.yml', `
image: ${busybox()}
network: shared
services:
  cache:
    image: ${busybox()}
    command: [sleep, "300"]
steps:
  - run: grep -w cache /etc/hosts | busybox cut -f1
`);
    const result = await runJob(file, workspace('network'));
    expect(result.exitCode, result.stderr).toBe(0);
    const subnet = JSON.parse((await run(box, ['network', 'inspect', 'shared'])).stdout)[0].IPAM.Config[0].Subnet as string;
    expect(result.stdout.trim()).toMatch(new RegExp(`^${subnet.split('.').slice(0, 3).join('\\.')}\\.\\d+$`));
    expect(jsonLines<{ Name: string }>((await run(box, ['network', 'ls', '--format', 'json'])).stdout).map((network) => network.Name)).toContain('shared');
    expect((await run(box, ['network', 'rm', 'shared'])).exitCode).toBe(0);
    // The job left the network as it found it: its switch ends on its own after its idle time, as for any network.
    await until(async () => (await leftovers()).processes === '', 20_000, "the shared network's switch to end");
    expect(await leftovers()).toEqual(NOTHING);
  });

  it('leaves the workspace removable by the runner after a step that ran as another user wrote to it', async () => {
    const dir = workspace('owned');
    // Writable for uid 1000 inside (a subordinate id on the host): what it makes there, the runner could not remove.
    chmodSync(dir, 0o777);
    const file = jobFile('owned.yml', `
image: ${busybox()}
user: "1000:1000"
steps:
  - run: mkdir locked && echo x > locked/file && busybox chmod 500 locked && mkdir closed && busybox chmod 000 closed && id -u
`);
    const result = await runJob(file, dir);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('1000');
    rmSync(dir, { recursive: true });
    expect(readdirSync(box.dir)).not.toContain('owned');
  });

  describe('refuses a bad job file with FILE:LINE and the field, creating nothing', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['unknown.yml', `image: busybox\nsteps:\n  - run: echo hi\n  - run: echo two\n    timout: 5\n`, /unknown\.yml:5: field "steps\[1\]\.timout" is not a job file field/],
      ['type.yml', `image: busybox\nservices:\n  db:\n    image: busybox\n    replicas: two\nsteps:\n  - run: echo hi\n`, /type\.yml:5: field "services\.db\.replicas" must be integer/],
      ['syntax.yml', `image: busybox\nsteps:\n  - run: echo hi\n   - run: [oops\n`, /syntax\.yml:4: not valid YAML/],
      ['both.json', `{\n  "image": "busybox",\n  "steps": [\n    { "run": "echo", "command": ["true"] }\n  ]\n}\n`, /both\.json:4: field "steps\[0\]" needs one of "run" .* or "command"/],
      ['duration.yml', `image: busybox\nsteps:\n  - run: echo\n    timeout: 5 minutes\n`, /duration\.yml:4: field "steps\[0\]\.timeout" is not a duration/],
    ];
    for (const [name, text, expected] of cases) {
      it(name, async () => {
        const result = await runJob(jobFile(name, text), workspace('bad'));
        expect(result.exitCode).toBe(125);
        const lines = result.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(expected);
        expect(await leftovers()).toEqual(NOTHING);
      });
    }
  });
});
