import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * burrow-init's descriptor options, run on the host (no container needed for
 * these: they are about what it reads, not where): -E, the job's whole
 * environment on a descriptor, and -S, a seccomp filter on a descriptor, at the
 * edges of their limits. Built by `npm run build` (native/burrow-init.c).
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

/** struct sock_filter[]: `count` loads of the syscall number, then "allow". */
function allowAll(count: number): Buffer {
  const program = Buffer.alloc(count * 8);
  for (let index = 0; index < count - 1; index++) {
    program.writeUInt16LE(0x20, index * 8); // BPF_LD | BPF_W | BPF_ABS, k = 0 (the syscall number)
  }
  program.writeUInt16LE(0x06, (count - 1) * 8); // BPF_RET | BPF_K
  program.writeUInt32LE(0x7fff0000, (count - 1) * 8 + 4); // SECCOMP_RET_ALLOW
  return program;
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
    const program = Buffer.alloc(6 * 8);
    const put = (index: number, code: number, jt: number, jf: number, k: number): void => {
      program.writeUInt16LE(code, index * 8);
      program.writeUInt8(jt, index * 8 + 2);
      program.writeUInt8(jf, index * 8 + 3);
      program.writeUInt32LE(k >>> 0, index * 8 + 4);
    };
    put(0, 0x20, 0, 0, 4); // ld arch
    put(1, 0x15, 0, 2, arch); // another architecture: allow
    put(2, 0x20, 0, 0, 0); // ld nr
    put(3, 0x15, 1, 0, uname);
    put(4, 0x06, 0, 0, 0x7fff0000);
    put(5, 0x06, 0, 0, 0x00050000 | 1); // SECCOMP_RET_ERRNO | EPERM
    const result = await runInit(['-n', '-S', '3', '--', '/bin/uname'], program);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Operation not permitted/);
  });
});
