import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { identify } from '../../src/util/process-identity.js';
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/poll.js';
import { BPF, encodeBpf, SECCOMP_DATA, SECCOMP_RET, type BpfInstruction } from '../helpers/bpf.js';

/*
 * burrow-init's options, run on the host (no container needed for these: they
 * are about what it reads, not where): -E, the job's whole environment on a
 * descriptor, and -S, a seccomp filter on a descriptor, at the edges of their
 * limits; -J's checks of the process it is asked to join. Built by
 * `npm run build` (native/burrow-init.c).
 */
const INIT = fileURLToPath(new URL('../../build/native/burrow-init', import.meta.url));

function runInit(args: string[], descriptor: Buffer, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(INIT, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const input = child.stdio[3] as NodeJS.WritableStream;
    (input as unknown as { on(event: 'error', listener: () => void): void }).on('error', () => {});
    input.end(descriptor);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `count` instructions: loads of the syscall number, then "allow". */
function allowAll(count: number): Buffer {
  const loads = Array.from({ length: count - 1 }, (): BpfInstruction => [BPF.LD_W_ABS, 0, 0, SECCOMP_DATA.NR]);
  return encodeBpf([...loads, [BPF.RET_K, 0, 0, SECCOMP_RET.ALLOW]]);
}

describe.skipIf(!existsSync(INIT))('burrow-init', () => {
  it('-E: the block on the descriptor is the whole environment of the job', async () => {
    const result = await runInit(['-E', '3', '--', '/usr/bin/env'], Buffer.from('A=1\0B=two words\0EMPTY=\0'), { LD_PRELOAD: '/from/the/launcher.so', PATH: '/usr/bin:/bin' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(['A=1', 'B=two words', 'EMPTY=']);
  });

  it('-E: refuses an entry that is not NAME=VALUE', async () => {
    const result = await runInit(['-E', '3', '--', '/usr/bin/env'], Buffer.from('A=1\0JUST_A_NAME\0'));
    expect(result.code).toBe(125);
    expect(result.stderr).toBe('burrow: invalid environment entry "JUST_A_NAME" (NAME=VALUE expected)\n');
  });

  it('-S: takes a filter of BPF_MAXINSNS (4096) instructions and refuses a longer one', async () => {
    const longest = await runInit(['-n', '-S', '3', '--', '/bin/true'], allowAll(4096));
    expect(longest.code, longest.stderr).toBe(0);
    const longer = await runInit(['-n', '-S', '3', '--', '/bin/true'], allowAll(4097));
    expect(longer.code).toBe(125);
    expect(longer.stderr).toBe('burrow: the seccomp filter is too large\n');
  });

  it('-S: the filter holds for the job (an errno answer for one syscall)', async () => {
    // uname(2) answers EPERM; everything else is allowed.
    const [arch, uname] = process.arch === 'arm64' ? [0xc00000b7, 160] : [0xc000003e, 63];
    const program = encodeBpf([
      [BPF.LD_W_ABS, 0, 0, SECCOMP_DATA.ARCH],
      [BPF.JMP_JEQ_K, 0, 2, arch], // another architecture: allow
      [BPF.LD_W_ABS, 0, 0, SECCOMP_DATA.NR],
      [BPF.JMP_JEQ_K, 1, 0, uname],
      [BPF.RET_K, 0, 0, SECCOMP_RET.ALLOW],
      [BPF.RET_K, 0, 0, SECCOMP_RET.ERRNO | 1], // EPERM
    ]);
    const result = await runInit(['-n', '-S', '3', '--', '/bin/uname'], program);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Operation not permitted/);
  });

  it('-J: joins only a container\'s PID 1, named by pid and start time: never a process of burrow\'s own user namespace, nor a later process with its pid', async () => {
    const self = identify(process.pid)!;
    const own = await runInit(['-J', `${process.pid}:${self.startTime}`, '--', '/bin/true'], Buffer.alloc(0));
    // An exec that cannot start exits 126, as Docker's (125 is run's, for a container's own start).
    expect(own.code).toBe(126);
    expect(own.stderr).toBe(`burrow: process ${process.pid} is not in a container (it shares burrow's user namespace)\n`);
    const reused = await runInit(['-J', `${process.pid}:${Number(self.startTime) + 1}`, '--', '/bin/true'], Buffer.alloc(0));
    // Ended meanwhile: a refusal, 1 as Docker's exec of a container that is not running.
    expect(reused.code).toBe(1);
    expect(reused.stderr).toBe(`burrow: the container's process ${process.pid} is gone: the container is not running\n`);
    for (const spec of ['12', '12:', ':5', '12:0', 'x:1']) {
      const bad = await runInit(['-J', spec, '--', '/bin/true'], Buffer.alloc(0));
      expect(bad.stderr, spec).toBe(`burrow: invalid -J "${spec}" (PID:STARTTIME expected)\n`);
    }
  });

  it('-N: the job runs only once `go` is on the descriptor (a private network\'s answer), and the descriptor does not reach it', async () => {
    const child = spawn(INIT, ['-N', '3', '--', '/bin/sh', '-c', 'echo ran; ls /proc/$$/fd'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin' } });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Asleep (waiting on fd 3) and still burrow-init, not the job it execs in place: it has
    // not run the job. (Not /proc/PID/syscall: burrow-init is not dumpable, so only root reads that.)
    const state = (): string => readFileSync(`/proc/${child.pid}/stat`, 'latin1').replace(/^.*\) /s, '').charAt(0);
    await until(() => state() === 'S', 10_000, 'burrow-init waiting on fd 3');
    expect(readFileSync(`/proc/${child.pid}/cmdline`, 'latin1')).toContain('burrow-init');
    expect(stdout).toBe('');
    (child.stdio[3] as NodeJS.WritableStream).end('go\n');
    expect(await closed).toBe(0);
    expect(stdout.split('\n').filter(Boolean)).toEqual(['ran', '0', '1', '2']);
  });

  it('-N: `fail WHY` ends it with 125 without a word (the agent has told burrow why), the end of the descriptor with one; the job never runs', async () => {
    const failed = await runInit(['-N', '3', '--', '/bin/echo', 'ran'], Buffer.from('fail pasta failed: no tun\n'));
    expect(failed).toEqual({ code: 125, stdout: '', stderr: '' });
    const ended = await runInit(['-N', '3', '--', '/bin/echo', 'ran'], Buffer.alloc(0));
    expect(ended).toEqual({ code: 125, stdout: '', stderr: 'burrow: the network agent ended before the container\'s network was ready\n' });
    const garbled = await runInit(['-N', '3', '--', '/bin/echo', 'ran'], Buffer.from('gone\n'));
    expect(garbled.code).toBe(125);
    expect(garbled.stdout).toBe('');
  });

  it('has no hold mode (-P) any more: it kept every capability and nothing calls it', async () => {
    const result = await runInit(['-P'], Buffer.alloc(0));
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/^burrow: usage: burrow-init /m);
  });
});
