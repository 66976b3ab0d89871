import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatIdentity } from '../../src/util/process-identity.js';
import { busyboxLayerTar } from '../helpers/bed.js';
import { BPF, encodeBpf } from '../helpers/bpf.js';
import { BURROW_BIN, burrow, expectOneLineError, inTerminal, run, jsonLines } from '../helpers/cli.js';
import { busybox, suiteSandbox } from '../helpers/suite.js';
import { until } from '../helpers/poll.js';
import { recordedProcesses } from '../helpers/records.js';
import { buildSyscallProbe } from '../helpers/syscall-probe.js';
import { dockerArchive, tarArchive } from '../helpers/tar-writer.js';

/*
 * The container runtime against a hostile image or job, each attempt checked from
 * the host: image metadata that reaches for the caller's environment, keystrokes
 * pushed into the caller's terminal (TIOCSTI), descriptors and signal dispositions
 * leaking into jobs, an attach client that stalls the monitor, host programs run
 * with a container's environment, and a recorded pid that now names someone else.
 */

const cli = (args: string): string => `${process.execPath} ${BURROW_BIN} ${args}`;

// A process whose command line is what it reads on stdin (setproctitle's trick: it
// rewrites its own argument area, sized to fit by the padding argument).
const DECOY_C = String.raw`
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  static char want[1 << 20];
  ssize_t n = 0, got;
  while ((got = read(0, want + n, sizeof want - (size_t) n)) > 0) n += got;
  char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
  if (n <= 0 || n != end - start) { fprintf(stderr, "decoy: %zd bytes wanted, %zd there\n", n, end - start); return 2; }
  memcpy(start, want, (size_t) n);
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
`;

// Loaded by a host program that runs with the container's LD_PRELOAD: it leaves a mark.
const PRELOAD_C = String.raw`
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void loaded(void)
{
  int fd = open(MARKER, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) { if (write(fd, "loaded\n", 7) < 0) {} close(fd); }
}
`;

const box = suiteSandbox();
let tools: string;
let busyboxLayer: Buffer;

beforeAll(async () => {
  tools = join(box.dir, 'tools');
  mkdirSync(tools);
  // test/fixtures/syscall-probe.c, static: it runs in the busybox image, bound read-only at /probe.
  buildSyscallProbe(tools);
  writeFileSync(join(tools, 'decoy.c'), DECOY_C);
  await execa('gcc', ['-O2', '-o', join(tools, 'decoy'), join(tools, 'decoy.c')]);
  busyboxLayer = busyboxLayerTar();
});

/** `run -d`, checked. */
async function runDetached(args: string[]): Promise<string> {
  const result = await run(box, ['run', '-d', ...args]);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout.trim();
}

/** Loads a busybox image with this config (and these layers over busybox's) under `tag`. */
async function loadImage(tag: string, config: Record<string, unknown>, layers: Buffer[] = []): Promise<void> {
  const archive = join(box.dir, `${tag.replace(/[^a-z0-9]/g, '-')}.tar`);
  writeFileSync(archive, dockerArchive(tag, [busyboxLayer, ...layers], config));
  const loaded = await run(box, ['load', '-q', '-i', archive]);
  expect(loaded.exitCode, loaded.stderr).toBe(0);
}

/** Alive and not a zombie: a process nobody has signalled to death. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves once the child has printed `text`; fails (rather than waiting forever) if it ends first. */
function printed(child: ResultPromise, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let done = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (done) return;
      seen += chunk.toString();
      if (seen.includes(text)) { done = true; resolve(); }
    });
    void child.then((result) => reject(new Error(`ended (${result.exitCode}) before printing "${text}": ${String(result.stderr)}`)), reject);
  });
}

function childrenOf(parent: number): Array<{ pid: number; comm: string }> {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === parent ? [{ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) }] : [];
    } catch {
      return [];
    }
  });
}

describe('image metadata is data', () => {
  it('an image that tries to import host environment variables through its config gets nothing', async () => {
    await loadImage('env-import:latest', { Env: ['PATH=/usr/bin:/bin', 'BURROW_TEST_SECRET', 'HOME', 'LD_PRELOAD', 'EXPANDED=$BURROW_TEST_SECRET'] });
    const caller = { BURROW_TEST_SECRET: 'hunter2-from-the-caller' };
    const plain = await run(box, ['run', '--rm', 'env-import:latest', 'env'], { env: caller });
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain('hunter2');
    expect(plain.stdout).not.toMatch(/^BURROW_TEST_SECRET=/m);
    // HOME is burrow's default for the image's user, never the caller's.
    expect(plain.stdout).toMatch(/^HOME=\/root$/m);
    expect(plain.stdout).not.toContain(box.home);
    // Values are data: never expanded against the host.
    expect(plain.stdout).toMatch(/^EXPANDED=\$BURROW_TEST_SECRET$/m);
    // The caller may hand a variable over: -e NAME and a bare NAME in --env-file, as Docker.
    expect((await run(box, ['run', '--rm', '-e', 'BURROW_TEST_SECRET', 'env-import:latest', 'env'], { env: caller })).stdout).toMatch(/^BURROW_TEST_SECRET=hunter2-from-the-caller$/m);
    const envFile = join(box.dir, 'pass.env');
    writeFileSync(envFile, 'BURROW_TEST_SECRET\n');
    expect((await run(box, ['run', '--rm', '--env-file', envFile, 'env-import:latest', 'env'], { env: caller })).stdout).toMatch(/^BURROW_TEST_SECRET=hunter2-from-the-caller$/m);
    // exec: the container's environment, plus what the caller of exec hands over.
    const id = await runDetached(['env-import:latest', 'sleep', '1000']);
    expect((await run(box, ['exec', id, 'env'], { env: caller })).stdout).not.toContain('hunter2');
    expect((await run(box, ['exec', '-e', 'BURROW_TEST_SECRET', id, 'env'], { env: caller })).stdout).toMatch(/^BURROW_TEST_SECRET=hunter2-from-the-caller$/m);
    await run(box, ['rm', '-f', id]);
  });

  it('refuses an image config with a malformed field in one line naming it, before the container exists', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ Env: ['A=1\u0000B=2'] }, 'Env\\[0\\] holds a NUL byte'],
      [{ Env: ['PATH=/bin', '=value'] }, 'Env\\[1\\] \\("=value"\\) has no variable name'],
      [{ Cmd: ['sh', '-c', 'tr\u0000ue'] }, 'Cmd\\[2\\] holds a NUL byte'],
      [{ Entrypoint: ['/bin/\u0000sh'] }, 'Entrypoint\\[0\\] holds a NUL byte'],
      [{ WorkingDir: 'relative/dir' }, 'WorkingDir \\("relative/dir"\\) is not an absolute path'],
      [{ User: 'app:app:extra' }, 'User \\("app:app:extra"\\) is not user\\[:group\\]'],
      [{ Volumes: { 'data': {} } }, 'Volumes names "data", not an absolute path'],
      [{ Labels: { team: 'ci\u0000' } }, 'Labels\\["team"\\] holds a NUL byte'],
      [{ StopSignal: 'SIGNOPE' }, 'StopSignal \\("SIGNOPE"\\) is not a signal'],
      [{ Healthcheck: { Test: ['RUN', 'true'] } }, 'Healthcheck.Test\\[0\\] is "RUN", not NONE, CMD or CMD-SHELL'],
      [{ Healthcheck: { Test: ['CMD', 'true'], Interval: -5 } }, 'Healthcheck.Interval is not a whole number'],
      [{ Healthcheck: { Test: ['CMD-SHELL'] } }, 'Healthcheck.Test holds CMD-SHELL without a command'],
    ];
    const before = (await run(box, ['ps', '-a', '-q', '--no-trunc'])).stdout;
    for (const [index, [config, message]] of cases.entries()) {
      const tag = `bad-config-${index}:latest`;
      await loadImage(tag, config);
      const result = await run(box, ['run', '--rm', tag, 'true']);
      expect(expectOneLineError(result)).toMatch(new RegExp(`^burrow: image \\S*bad-config-${index}:latest has an invalid config: ${message}`));
    }
    expect((await run(box, ['ps', '-a', '-q', '--no-trunc'])).stdout).toBe(before);
    // Real-time signals are signals too, and a good config runs.
    await loadImage('good-config:latest', { StopSignal: 'SIGRTMIN+3', WorkingDir: '/work', User: '65534:65534', Volumes: { '/data': {} } });
    const good = await run(box, ['run', '--rm', 'good-config:latest', 'sh', '-c', 'pwd; id -u']);
    expect(good.exitCode, good.stderr).toBe(0);
    expect(good.stdout).toBe('/work\n65534');
  });

  it('refuses an /etc/passwd or /etc/group too large to be one (zeros compress a thousandfold) in one line naming it, without reading it', async () => {
    const huge = Buffer.alloc(5 * 1024 * 1024);
    const before = (await run(box, ['ps', '-a', '-q', '--no-trunc'])).stdout;
    for (const file of ['passwd', 'group']) {
      await loadImage(`huge-${file}:latest`, {}, [tarArchive([{ name: 'etc/', type: 'dir' }, { name: `etc/${file}`, content: huge }])]);
      const result = await run(box, ['run', '--rm', '-u', '1000', `huge-${file}:latest`, 'true']);
      expect(expectOneLineError(result)).toBe(`burrow: the image's /etc/${file} is ${huge.length} bytes, more than the 4 MiB burrow reads of it: the image is damaged or hostile`);
    }
    expect((await run(box, ['ps', '-a', '-q', '--no-trunc'])).stdout).toBe(before);
  });
});

describe('the terminal: a job cannot type into the caller\'s shell (TIOCSTI)', () => {
  it('with and without -t or -i, for run and exec: the text never reaches the shell that ran burrow', async () => {
    const probe = `-v ${tools}:/probe:ro ${busybox()} /probe/syscall-probe tiocsti-fd0 tiocsti-fd1 tiocsti-fd2 tiocsti-devtty`;
    const output = await inTerminal(box, [
      // What the shell would read next: everything queued on its terminal, non-canonical so that nothing waits for a newline.
      'check() { stty -icanon -echo min 0 time 10; printf "shell read %s: [%s]\\n" "$1" "$(dd bs=4096 count=1 2>/dev/null | tr -dc "A-Za-z0-9 -")"; stty sane; }',
      `${cli(`run --rm ${probe}`)}; check run`,
      `${cli(`run --rm -i ${probe}`)}; check run-i`,
      `${cli(`run --rm -t ${probe}`)}; check run-t`,
      `id=$(${cli(`run -d -v ${tools}:/probe:ro ${busybox()} sleep 1000`)})`,
      `${cli('exec $id /probe/syscall-probe tiocsti-fd0 tiocsti-fd1 tiocsti-fd2 tiocsti-devtty')}; check exec`,
      `${cli('exec -t $id /probe/syscall-probe tiocsti-fd0 tiocsti-fd1 tiocsti-fd2 tiocsti-devtty')}; check exec-t`,
      `${cli('rm -f $id')} >/dev/null`,
    ], []);
    for (const label of ['run', 'run-i', 'run-t', 'exec', 'exec-t']) expect(output).toContain(`shell read ${label}: []`);
    // Without -t the kernel refuses: the caller's terminal is not the job's controlling terminal.
    expect(output.match(/^tiocsti-fd1=EPERM$/gm)).toHaveLength(3);
    expect(output.match(/^tiocsti-fd2=EPERM$/gm)).toHaveLength(3);
    expect(output.match(/^tiocsti-devtty=ENXIO$/gm)).toHaveLength(3);
    // With -t the job types into its own pseudo-terminal, which is allowed and goes nowhere.
    expect(output.match(/^tiocsti-fd1=ok$/gm)).toHaveLength(2);
  });
});

describe('descriptors and signal dispositions', () => {
  it('a job holds descriptors 0, 1 and 2 only, detached, in the foreground and under exec, whatever the caller had open', async () => {
    // The caller of burrow holds descriptors 12 and 251 open without close-on-exec (as a CI runner's shell may).
    const leaky = (args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> =>
      execa('bash', ['-c', 'exec 12</dev/null 251<>/dev/null; exec "$@"', 'bash', process.execPath, BURROW_BIN, ...args], { env: { ...process.env, ...box.env }, reject: false, stdin: 'ignore' })
        .then((result) => ({ exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) }));
    const mount = ['-v', `${tools}:/probe:ro`];
    // The probe's own line, then its answer.
    const FDS = 'fds: 0 1 2\nfds=ok';
    for (const flags of [[], ['--init'], ['-t'], ['-t', '--init'], ['-i']]) {
      const result = await leaky(['run', '--rm', ...flags, ...mount, busybox(), '/probe/syscall-probe', 'fds']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout.replaceAll('\r', ''), `run ${flags.join(' ')}`).toBe(FDS);
    }
    const detached = await leaky(['run', '-d', ...mount, busybox(), '/probe/syscall-probe', 'fds']);
    expect(detached.exitCode, detached.stderr).toBe(0);
    const id = detached.stdout.trim();
    expect((await run(box, ['wait', id])).stdout).toBe('0');
    expect((await run(box, ['logs', id])).stdout).toBe(FDS);
    const service = await runDetached([...mount, busybox(), 'sleep', '1000']);
    for (const flags of [[], ['-t'], ['-i']]) {
      const exec = await leaky(['exec', ...flags, service, '/probe/syscall-probe', 'fds']);
      expect(exec.exitCode, exec.stderr).toBe(0);
      expect(exec.stdout.replaceAll('\r', ''), `exec ${flags.join(' ')}`).toBe(FDS);
    }
    await run(box, ['rm', '-f', id, service]);
  });

  it('a job starts with default signal dispositions and nothing blocked (the monitor ignores SIGPIPE and SIGHUP; its job does not)', async () => {
    const status = ['grep', '-E', '^Sig(Ign|Blk)', '/proc/self/status'];
    const clean = 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000';
    for (const flags of [[], ['--init']]) {
      const id = await runDetached([...flags, busybox(), ...status]);
      expect((await run(box, ['wait', id])).stdout).toBe('0');
      expect((await run(box, ['logs', id])).stdout, `run -d ${flags.join(' ')}`).toBe(clean);
      expect((await run(box, ['run', '--rm', ...flags, busybox(), ...status])).stdout).toBe(clean);
      await run(box, ['rm', id]);
    }
    const service = await runDetached([busybox(), 'sleep', '1000']);
    expect((await run(box, ['exec', service, ...status])).stdout).toBe(clean);
    await run(box, ['rm', '-f', service]);
  });
});

describe('run -t, with and without --init', () => {
  it('runs attached and detached (then attach and logs); with --init the job owns the terminal: it reads it and takes Ctrl-C', async () => {
    const output = await inTerminal(box, [
      `${cli(`run --rm -t --init ${busybox()} sh -c 'test -t 0 && echo init-has-tty; exit 3'`)}; echo "first=$?"`,
      `${cli(`run --rm -t ${busybox()} sh -c 'test -t 0 && echo plain-has-tty; exit 4'`)}; echo "second=$?"`,
      `${cli(`run --rm -it --init ${busybox()} sh -c 'echo ready-to-read; read line; echo "got:$line"'`)}; echo "third=$?"`,
      `${cli(`run --rm -it --init ${busybox()} sh -c 'echo ready-to-interrupt; exec sleep 60'`)}; echo "fourth=$?"`,
      `id=$(${cli(`run -d -t --init ${busybox()} sh -c 'sleep 1; echo detached-init-tty; exit 5'`)})`,
      `${cli('attach $id')}; echo "attach=$?"`,
      `${cli('logs $id')} | sed 's/^/log: /'`,
      `id2=$(${cli(`run -d -t ${busybox()} sh -c 'echo detached-tty; exit 6'`)})`,
      `${cli('wait $id2')} | sed 's/^/waited: /'`,
      `${cli('logs $id2')} | sed 's/^/log2: /'`,
      `${cli('rm $id $id2')} >/dev/null`,
    ], [
      { afterOutput: 'ready-to-read', text: 'typed-line\n' },
      { afterOutput: 'ready-to-interrupt', text: '\u0003' },
    ]);
    expect(output).toContain('init-has-tty');
    expect(output).toContain('first=3');
    expect(output).toContain('plain-has-tty');
    expect(output).toContain('second=4');
    expect(output).toContain('got:typed-line');
    expect(output).toContain('third=0');
    // Ctrl-C went through the container's terminal to the job, which --init made its foreground group.
    expect(output).toContain('fourth=130');
    expect(output).toContain('detached-init-tty');
    expect(output).toContain('attach=5');
    expect(output).toContain('log: detached-init-tty');
    expect(output).toContain('waited: 6');
    expect(output).toContain('log2: detached-tty');
  }, 90_000);
});

describe('signals still reach the job', () => {
  it('Ctrl-C stops a foreground run and reaches an exec\'d job; SIGTERM to burrow exec reaches its job', async () => {
    const id = await runDetached([busybox(), 'sleep', '1000']);
    const output = await inTerminal(box, [
      'set -m',
      `${cli(`run --rm ${busybox()} sh -c 'echo run-ready; exec sleep 60'`)}; echo "run=$?"`,
      `${cli(`exec ${id} sh -c 'trap "echo exec-got-int; exit 8" INT; echo exec-ready; while true; do sleep 0.1; done'`)}; echo "exec=$?"`,
    ], [
      { afterOutput: 'run-ready', text: '\u0003' },
      { afterOutput: 'exec-ready', text: '\u0003' },
    ]);
    expect(output).toContain('run=130');
    expect(output).toContain('exec-got-int');
    expect(output).toContain('exec=8');
    const child = burrow(box, ['exec', id, 'sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready; while true; do sleep 0.1; done']);
    await printed(child, 'ready');
    child.kill('SIGTERM');
    const result = await child;
    expect(String(result.stdout)).toContain('got-term');
    expect(result.exitCode).toBe(7);
    await run(box, ['rm', '-f', id]);
  }, 90_000);
});

describe('the monitor and its attach clients', () => {
  it('a suspended attach client, and one that stops halfway through a frame, never stall the job or its log', async () => {
    const sync = mkdtempSync(join(tmpdir(), 'burrow-sync-'));
    const lines = 100_000;
    const id = await runDetached(['-i', '-v', `${sync}:/sync`, busybox(), 'sh', '-c',
      `while [ ! -e /sync/go ]; do echo tick; sleep 0.1; done; i=0; while [ $i -lt ${lines} ]; do echo "line-$i-................................................"; i=$((i+1)); done; echo done`]);
    // A real `burrow attach`, suspended (Ctrl-Z) once it receives output.
    const attach = burrow(box, ['attach', id], { timeout: 120_000 });
    await printed(attach, 'tick');
    attach.kill('SIGSTOP');
    // A client that sends the first byte of an input frame and nothing more, and reads nothing.
    const half: ResultPromise = execa('python3', ['-c', [
      'import os, socket, time',
      // By a relative name, as burrow does: the absolute path is longer than sun_path allows.
      `os.chdir(${JSON.stringify(join(box.root, 'containers', id))})`,
      's = socket.socket(socket.AF_UNIX)',
      "s.connect('attach.sock')",
      "s.send(b'd')",
      "print('connected', flush=True)",
      'time.sleep(600)',
    ].join('\n')], { reject: false });
    await printed(half, 'connected');
    writeFileSync(join(sync, 'go'), '');
    // Megabytes of output pass both: the job ends and its log is whole.
    const waited = await run(box, ['wait', id], { timeout: 100_000 });
    expect(waited.stdout).toBe('0');
    const logs = (await run(box, ['logs', '--tail', '2', id])).stdout.split('\n');
    expect(logs).toEqual([`line-${lines - 1}-................................................`, 'done']);
    // The suspended client was dropped: resumed, it finds the stream closed and returns the exit status.
    attach.kill('SIGCONT');
    const attached = await attach;
    expect(attached.exitCode).toBe(0);
    half.kill('SIGKILL');
    await half;
    await run(box, ['rm', id]);
  }, 120_000);
});

describe('exec and the host', () => {
  it('host programs never run with the container\'s environment: its LD_PRELOAD and PATH reach the job only', async () => {
    const hostDir = mkdtempSync(join(tmpdir(), 'burrow-preload-'));
    const marker = join(hostDir, 'marker');
    writeFileSync(join(hostDir, 'preload.c'), PRELOAD_C);
    await execa('gcc', ['-shared', '-fPIC', `-DMARKER="${marker}"`, '-o', join(hostDir, 'evil.so'), join(hostDir, 'preload.c')]);
    // A PATH entry that exists on the host, holding programs that would mark their use.
    const fakeBin = join(hostDir, 'bin');
    mkdirSync(fakeBin);
    for (const program of ['burrow-init', 'nsenter', 'sh', 'unshare', 'bwrap']) writeFileSync(join(fakeBin, program), `#!/bin/sh\necho ${program} >> ${marker}\nexit 99\n`, { mode: 0o755 });
    const env = ['-e', `LD_PRELOAD=${join(hostDir, 'evil.so')}`, '-e', `PATH=${fakeBin}:/usr/bin:/bin`];
    const id = await runDetached([...env, busybox(), 'sleep', '1000']);
    const exec = await run(box, ['exec', id, 'sh', '-c', 'echo "$LD_PRELOAD"; echo "$PATH"']);
    expect(exec.exitCode, exec.stderr).toBe(0);
    // The job has the container's environment, as in Docker…
    expect(exec.stdout).toBe(`${join(hostDir, 'evil.so')}\n${fakeBin}:/usr/bin:/bin`);
    expect((await run(box, ['exec', '-e', `LD_PRELOAD=${join(hostDir, 'evil.so')}`, id, 'true'])).exitCode).toBe(0);
    const foreground = await run(box, ['run', '--rm', ...env, busybox(), 'true']);
    expect(foreground.exitCode, foreground.stderr).toBe(0);
    // …and no host program loaded the library or was looked up on that PATH.
    expect(existsSync(marker) ? readFileSync(marker, 'utf8') : '').toBe('');
    // What exec runs on the host is burrow's own burrow-init (no nsenter), and not even its owner can
    // read its memory or environment while it holds the container's capabilities: it is not dumpable.
    const execution = burrow(box, ['exec', id, 'sleep', '5']);
    let joiner: number | undefined;
    await until(() => (joiner = childrenOf(execution.pid!).find((child) => child.comm === 'burrow-init')?.pid) !== undefined, 15_000, 'burrow-init under burrow exec');
    expect(childrenOf(execution.pid!).map((child) => child.comm)).toEqual(['burrow-init']);
    expect(() => readFileSync(`/proc/${joiner}/environ`)).toThrow(/EACCES/);
    expect((await execution).exitCode).toBe(0);
    await run(box, ['rm', '-f', id]);
  });

  it('a custom seccomp profile holds for the job and for exec; a damaged filter stops exec with one line, never runs it unfiltered', async () => {
    // Docker's profile format: mkdir and mkdirat answer EOPNOTSUPP (95); everything else is allowed.
    const profile = join(box.dir, 'no-mkdir.json');
    writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 95 }] }));
    const job = await run(box, ['run', '--rm', '--security-opt', `seccomp=${profile}`, busybox(), 'mkdir', '/tmp/filtered']);
    expect(job.exitCode).toBe(1);
    expect(job.stderr).toMatch(/not supported/i);
    const id = await runDetached(['--security-opt', `seccomp=${profile}`, busybox(), 'sleep', '1000']);
    const filtered = await run(box, ['exec', id, 'mkdir', '/tmp/filtered']);
    expect(filtered.exitCode).toBe(1);
    expect(filtered.stderr).toMatch(/not supported/i);
    expect((await run(box, ['exec', id, 'echo', 'other syscalls pass'])).stdout).toBe('other syscalls pass');
    // burrow-init's checks, on a filter file damaged behind burrow's back.
    const filterPath = join(box.root, 'containers', id, 'seccomp.bpf');
    const replace = (content: Buffer | string): void => {
      rmSync(filterPath, { force: true });
      writeFileSync(filterPath, content);
    };
    replace(Buffer.alloc(7));
    const torn = await run(box, ['exec', id, 'true']);
    // An exec that cannot start exits 126, as dockerd's (125 is run's, for a container's own start).
    expect(torn.exitCode).toBe(126);
    expect(expectOneLineError(torn)).toBe('burrow: the seccomp filter is not a whole number of BPF instructions');
    // No return instruction at the end: the kernel refuses it.
    replace(encodeBpf([[BPF.LD_W_ABS, 0, 0, 0]]));
    const refused = await run(box, ['exec', id, 'true']);
    expect(refused.exitCode).toBe(126);
    expect(expectOneLineError(refused)).toBe('burrow: the kernel refused the seccomp filter: Invalid argument');
    replace('');
    expect(expectOneLineError(await run(box, ['exec', id, 'true']))).toBe('burrow: the seccomp filter is not a whole number of BPF instructions');
    // Gone: exec refuses rather than running the process without the filter.
    rmSync(filterPath);
    const missing = await run(box, ['exec', id, 'mkdir', '/tmp/unfiltered']);
    expect(expectOneLineError(missing)).toMatch(/cannot read the seccomp filter of container .*recreate the container/);
    expect(existsSync(join(box.root, 'containers', id, 'upper', 'tmp', 'unfiltered'))).toBe(false);
    await run(box, ['rm', '-f', id]);
  });
});

describe('which process is ours', () => {
  it('a recorded pid that now belongs to another process of the user, with the same command line, is never signalled', async () => {
    const id = await runDetached([busybox(), 'sh', '-c', 'while true; do sleep 0.1; done']);
    const dir = join(box.root, 'containers', id);
    const { monitorFile, monitor, sandbox } = recordedProcesses(dir);
    expect(Number(sandbox.startTime)).toBeGreaterThan(0);
    expect(sandbox.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    const monitorCommand = readFileSync(`/proc/${monitor.pid}/cmdline`);
    const sandboxCommand = readFileSync(`/proc/${sandbox.pid}/cmdline`);
    // The monitor dies (and the sandbox with it) without a word, as in a crash.
    process.kill(monitor.pid, 'SIGKILL');
    await until(() => !running(monitor.pid) && !running(sandbox.pid), 15_000, 'the monitor and the sandbox to die');
    // Their pids go to other processes of the same user, with the very same command lines.
    // Wrapped: an execa child is a thenable, which an async function would wait for.
    const decoy = async (command: Buffer): Promise<{ child: ResultPromise }> => {
      const program = join(tools, 'decoy');
      const padding = 'x'.repeat(command.length - (program.length + 1) - 1);
      const child = execa(program, [padding], { input: command, reject: false });
      await printed(child, 'ready');
      expect(readFileSync(`/proc/${child.pid}/cmdline`)).toEqual(command);
      return { child };
    };
    const { child: fakeMonitor } = await decoy(monitorCommand);
    const { child: fakeSandbox } = await decoy(sandboxCommand);
    // The records now name them by pid (a pid reuse, made on purpose).
    writeFileSync(join(dir, 'monitor'), JSON.stringify({ ...monitorFile, monitor: formatIdentity({ ...monitor, pid: fakeMonitor.pid! }) }));
    writeFileSync(join(dir, 'pid'), `${formatIdentity({ ...sandbox, pid: fakeSandbox.pid! })}\n`);
    const listed = jsonLines<{ ID: string; State: string }>((await run(box, ['ps', '-a', '--no-trunc', '--format', 'json'])).stdout);
    expect(listed.find((container) => container.ID === id)?.State).toBe('exited');
    const state = (JSON.parse((await run(box, ['inspect', id])).stdout) as Array<{ State: { ExitCode: number; Error: string } }>)[0]!.State;
    expect(state.ExitCode).toBe(-1);
    expect(state.Error).toMatch(/monitor of this container died/);
    expect((await run(box, ['stop', '-t', '1', id])).exitCode).toBe(0);
    expect(expectOneLineError(await run(box, ['kill', id]))).toMatch(/is not running/);
    expect(expectOneLineError(await run(box, ['exec', id, 'true']))).toMatch(/is not running/);
    expect((await run(box, ['rm', '-f', id])).exitCode).toBe(0);
    expect(existsSync(dir)).toBe(false);
    expect(running(fakeMonitor.pid!)).toBe(true);
    expect(running(fakeSandbox.pid!)).toBe(true);
    fakeMonitor.kill('SIGKILL');
    fakeSandbox.kill('SIGKILL');
    await Promise.all([fakeMonitor, fakeSandbox]);
  });

  it('after a reboot (simulated: the records carry another boot id) the container is exited and nothing is signalled', async () => {
    const id = await runDetached([busybox(), 'sh', '-c', 'while true; do sleep 0.1; done']);
    const dir = join(box.root, 'containers', id);
    const { monitorFile, monitor, sandbox } = recordedProcesses(dir);
    // Same pids, same start times: only the boot differs, as after a reboot that reused both.
    const otherBoot = '00000000-0000-4000-8000-000000000000';
    writeFileSync(join(dir, 'monitor'), JSON.stringify({ ...monitorFile, monitor: formatIdentity({ ...monitor, bootId: otherBoot }) }));
    writeFileSync(join(dir, 'pid'), `${formatIdentity({ ...sandbox, bootId: otherBoot })}\n`);
    const listed = jsonLines<{ ID: string; State: string }>((await run(box, ['ps', '-a', '--no-trunc', '--format', 'json'])).stdout);
    expect(listed.find((container) => container.ID === id)?.State).toBe('exited');
    expect(expectOneLineError(await run(box, ['kill', id]))).toMatch(/is not running/);
    expect((await run(box, ['stop', '-t', '1', id])).exitCode).toBe(0);
    expect((await run(box, ['rm', '-f', id])).exitCode).toBe(0);
    // The processes those records named were left alone: they belong to this boot.
    expect(running(monitor.pid)).toBe(true);
    expect(running(sandbox.pid)).toBe(true);
    process.kill(monitor.pid, 'SIGKILL');
    await until(() => !running(sandbox.pid), 15_000, 'the sandbox to die with its monitor');
  });
});
