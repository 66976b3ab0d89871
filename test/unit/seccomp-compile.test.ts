/**
 * The seccomp compiler on profiles of our own making: every comparison against
 * a reference in BigInt arithmetic, actions, rule selection, rule precedence,
 * and programs long enough to need jumps past 8 bits.
 */
import { describe, expect, it } from 'vitest';
import { isBurrowError } from '../../src/errors.js';
import { compileSeccomp, parseSeccompProfile, type SeccompOperator, type SeccompProfile, type SeccompSyscallRule } from '../../src/seccomp/index.js';
import { SYSCALLS_X86_64 } from '../../src/seccomp/syscall-tables.js';
import { AUDIT_ARCH, SeccompFilter, decodeProgram, type SeccompData } from '../helpers/bpf-interpreter.js';

const KERNEL = '6.18.0';
const READ = 0;
const WRITE = 1;
const EPERM = { action: 'ERRNO', errno: 1 };
const ALLOW = { action: 'ALLOW' };

function compile(profile: SeccompProfile, options: { arch?: 'x86_64' | 'aarch64'; capabilities?: string[]; kernelRelease?: string } = {}): SeccompFilter {
  return new SeccompFilter(compileSeccomp(profile, { arch: options.arch ?? 'x86_64', capabilities: options.capabilities ?? [], kernelRelease: options.kernelRelease ?? KERNEL }));
}

const onlyRead = (rule: Partial<SeccompSyscallRule>, defaults: Partial<SeccompProfile> = {}): SeccompProfile => ({
  defaultAction: 'SCMP_ACT_ERRNO',
  archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
  syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', ...rule }],
  ...defaults,
});

const x86_64 = (nr: number, ...args: Array<bigint | number>): SeccompData => ({ arch: AUDIT_ARCH.X86_64, nr, args });

/** Values on both sides of every 32-bit boundary of a 64-bit word. */
const VALUES = [
  0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x100000001n, 0x1fffffffen, 0x123456789abcdef0n,
  0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffff00000000n, 0xffffffff00000001n, 0xfffffffffffffffen, 0xffffffffffffffffn,
];

function reference(op: SeccompOperator, arg: bigint, value: bigint, valueTwo: bigint): boolean {
  switch (op) {
    case 'SCMP_CMP_EQ': return arg === value;
    case 'SCMP_CMP_NE': return arg !== value;
    case 'SCMP_CMP_LT': return arg < value;
    case 'SCMP_CMP_LE': return arg <= value;
    case 'SCMP_CMP_GT': return arg > value;
    case 'SCMP_CMP_GE': return arg >= value;
    case 'SCMP_CMP_MASKED_EQ': return (arg & value) === valueTwo;
  }
}

describe('argument comparisons', () => {
  const ORDERED: SeccompOperator[] = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE'];

  it('agrees with unsigned 64-bit arithmetic for every operator, on both 32-bit halves', () => {
    for (const op of ORDERED) {
      for (const value of VALUES) {
        const filter = compile(onlyRead({ args: [{ index: 3, value, op }] }));
        for (const arg of VALUES) {
          const expected = reference(op, arg, value, 0n) ? ALLOW : EPERM;
          expect(filter.run(x86_64(READ, 0, 0, 0, arg)), `${op} arg=${arg.toString(16)} value=${value.toString(16)}`).toEqual(expected);
        }
      }
    }
  });

  it('agrees for SCMP_CMP_MASKED_EQ, (arg & value) == valueTwo', () => {
    const masks = [0n, 0xffn, 0xffffffffn, 0xffffffff00000000n, 0x7e020000n, 0x8000000000000001n, 0xffffffffffffffffn];
    for (const mask of masks) {
      for (const wanted of [0n, 1n, 0x20000n, 0x8000000000000000n, 0x8000000000000001n, 0xffffffffn, 0x100000000n]) {
        const filter = compile(onlyRead({ args: [{ index: 5, value: mask, valueTwo: wanted, op: 'SCMP_CMP_MASKED_EQ' }] }));
        for (const arg of VALUES) {
          const expected = reference('SCMP_CMP_MASKED_EQ', arg, mask, wanted) ? ALLOW : EPERM;
          expect(filter.run(x86_64(READ, 0, 0, 0, 0, 0, arg)), `mask=${mask.toString(16)} wanted=${wanted.toString(16)} arg=${arg.toString(16)}`).toEqual(expected);
        }
      }
    }
  });

  it('compares 32-bit values on the i386 ABI, whatever the upper half holds', () => {
    for (const op of [...ORDERED, 'SCMP_CMP_MASKED_EQ' as const]) {
      for (const value of VALUES) {
        const filter = compile(onlyRead({ args: [{ index: 0, value, valueTwo: value & 0xf0f0f0f0n, op }] }));
        for (const arg of VALUES) {
          // The kernel reads 32 bits on a 32-bit ABI.
          const low = arg & 0xffffffffn;
          const expected = reference(op, low, value, value & 0xf0f0f0f0n) ? ALLOW : EPERM;
          expect(filter.run({ arch: AUDIT_ARCH.I386, nr: 3 /* i386 read */, args: [arg] }), `${op} arg=${arg.toString(16)} value=${value.toString(16)}`).toEqual(expected);
        }
      }
    }
  });

  it('ANDs the comparisons of one rule and ORs the rules of one action', () => {
    const profile = onlyRead({}, {
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 3, op: 'SCMP_CMP_EQ' }, { index: 2, value: 100, op: 'SCMP_CMP_LE' }] },
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 7, op: 'SCMP_CMP_EQ' }] },
      ],
    });
    const filter = compile(profile);
    expect(filter.run(x86_64(READ, 3, 0, 100))).toEqual(ALLOW);
    expect(filter.run(x86_64(READ, 3, 0, 101))).toEqual(EPERM);
    expect(filter.run(x86_64(READ, 7, 0, 1 << 30))).toEqual(ALLOW);
    expect(filter.run(x86_64(READ, 4, 0, 1))).toEqual(EPERM);
  });
});

describe('actions', () => {
  it('returns each action Docker knows, with its errno or trace data', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      defaultErrnoRet: 5,
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_KILL' },
        { names: ['write'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['open'], action: 'SCMP_ACT_KILL_THREAD' },
        { names: ['close'], action: 'SCMP_ACT_TRAP' },
        { names: ['stat'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
        { names: ['fstat'], action: 'SCMP_ACT_LOG' },
        { name: 'lstat', action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        // Without errnoRet a rule's errno is EPERM (runc): defaultErrnoRet is the default action's.
        { names: ['poll'], action: 'SCMP_ACT_ERRNO' },
      ],
    };
    const filter = compile(profile);
    const nr = (name: string) => SYSCALLS_X86_64[name]!;
    expect(filter.run(x86_64(nr('read')))).toEqual({ action: 'KILL_THREAD' });
    expect(filter.run(x86_64(nr('write')))).toEqual({ action: 'KILL_PROCESS' });
    expect(filter.run(x86_64(nr('open')))).toEqual({ action: 'KILL_THREAD' });
    expect(filter.run(x86_64(nr('close')))).toEqual({ action: 'TRAP', data: 0 });
    expect(filter.run(x86_64(nr('stat')))).toEqual({ action: 'TRACE', data: 7 });
    expect(filter.run(x86_64(nr('fstat')))).toEqual({ action: 'LOG' });
    expect(filter.run(x86_64(nr('lstat')))).toEqual({ action: 'ERRNO', errno: 13 });
    expect(filter.run(x86_64(nr('poll')))).toEqual(EPERM);
    expect(filter.run(x86_64(nr('getpid')))).toEqual(ALLOW);
    // A default that allows lets syscalls newer than the tables through too.
    expect(filter.run(x86_64(460))).toEqual(ALLOW);
  });

  it('uses defaultErrnoRet for the default action, EPERM without it', () => {
    expect(compile({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 13 }).run(x86_64(READ))).toEqual({ action: 'ERRNO', errno: 13 });
    expect(compile({ defaultAction: 'SCMP_ACT_ERRNO' }).run(x86_64(READ))).toEqual(EPERM);
    expect(compile({ defaultAction: 'SCMP_ACT_KILL_PROCESS' }).run(x86_64(READ))).toEqual({ action: 'KILL_PROCESS' });
    // Numbers above the tables are ENOSYS unless the default allows.
    expect(compile({ defaultAction: 'SCMP_ACT_KILL_PROCESS' }).run(x86_64(460))).toEqual({ action: 'ERRNO', errno: 38 });
  });

  it('lets the most restrictive matching action win, whatever the order of the rules', () => {
    const allowWrite: SeccompSyscallRule = { names: ['write'], action: 'SCMP_ACT_ALLOW' };
    const refuseStderr: SeccompSyscallRule = { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] };
    const killSeven: SeccompSyscallRule = { names: ['write'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index: 0, value: 7, op: 'SCMP_CMP_EQ' }] };
    for (const syscalls of [[allowWrite, refuseStderr, killSeven], [killSeven, refuseStderr, allowWrite], [refuseStderr, allowWrite, killSeven]]) {
      const filter = compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls });
      expect(filter.run(x86_64(WRITE, 1))).toEqual(ALLOW);
      expect(filter.run(x86_64(WRITE, 2))).toEqual({ action: 'ERRNO', errno: 13 });
      expect(filter.run(x86_64(WRITE, 7))).toEqual({ action: 'KILL_PROCESS' });
    }
  });
});

describe('rule selection', () => {
  const rule = (extra: Partial<SeccompSyscallRule>): SeccompProfile => onlyRead(extra);

  it('follows includes and excludes: capabilities, host architecture, kernel version', () => {
    expect(compile(rule({ includes: { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] } }), { capabilities: ['CAP_SYS_ADMIN'] }).run(x86_64(READ))).toEqual(EPERM);
    expect(compile(rule({ includes: { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] } }), { capabilities: ['CAP_SYS_ADMIN', 'NET_ADMIN'] }).run(x86_64(READ))).toEqual(ALLOW);
    expect(compile(rule({ excludes: { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] } }), { capabilities: ['CAP_NET_ADMIN'] }).run(x86_64(READ))).toEqual(EPERM);
    expect(compile(rule({ includes: { arches: ['arm64'] } })).run(x86_64(READ))).toEqual(EPERM);
    expect(compile(rule({ includes: { arches: ['amd64'] } })).run(x86_64(READ))).toEqual(ALLOW);
    expect(compile(rule({ excludes: { arches: ['amd64'] } })).run(x86_64(READ))).toEqual(EPERM);
    expect(compile(rule({ includes: { minKernel: '6.19' } }), { kernelRelease: '6.18.44-fc' }).run(x86_64(READ))).toEqual(EPERM);
    expect(compile(rule({ includes: { minKernel: '6.18' } }), { kernelRelease: '6.18.44-fc' }).run(x86_64(READ))).toEqual(ALLOW);
    expect(compile(rule({ includes: { minKernel: '5.10' } }), { kernelRelease: '10.0.0' }).run(x86_64(READ))).toEqual(ALLOW);
    expect(compile(rule({ excludes: { minKernel: '5.10' } }), { kernelRelease: '6.1.0' }).run(x86_64(READ))).toEqual(EPERM);
  });

  it('skips names an architecture does not have, and names no table knows', () => {
    const profile = onlyRead({ names: ['read', 'arm_fadvise64_64', 'no_such_syscall', 'socketcall', 'constructor', '__proto__', 'toString'] });
    const filter = compile(profile);
    expect(filter.run(x86_64(READ))).toEqual(ALLOW);
    expect(filter.run({ arch: AUDIT_ARCH.I386, nr: 102 /* socketcall */ })).toEqual(ALLOW);
    expect(compile(profile, { arch: 'aarch64' }).run({ arch: AUDIT_ARCH.AARCH64, nr: 63 /* read */ })).toEqual(ALLOW);
  });

  it('covers the ABIs the profile lists: the host\'s always, i386 only when asked for', () => {
    const i386Read = { arch: AUDIT_ARCH.I386, nr: 3 };
    expect(compile({ defaultAction: 'SCMP_ACT_ALLOW' }).run(i386Read)).toEqual({ action: 'KILL_PROCESS' });
    expect(compile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }).run(i386Read)).toEqual(ALLOW);
    expect(compile({ defaultAction: 'SCMP_ACT_ALLOW', archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }] }).run(i386Read)).toEqual(ALLOW);
    // An archMap entry of another host does not apply here.
    expect(compile({ defaultAction: 'SCMP_ACT_ALLOW', archMap: [{ architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_X86'] }] }).run(i386Read)).toEqual({ action: 'KILL_PROCESS' });
    // Even an allow-all profile keeps the x32 guard.
    expect(compile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X32'] }).run(x86_64(0x40000000))).toEqual({ action: 'KILL_PROCESS' });
  });
});

describe('long programs', () => {
  it('keeps every jump valid when a program is far longer than 8-bit jumps reach', () => {
    // An argument rule on every x86_64 syscall: each leaf of the search holds a check, and the tree spans ~2000 instructions.
    const syscalls: SeccompSyscallRule[] = (Object.entries(SYSCALLS_X86_64) as Array<[string, number]>).map(([name, nr]) => ({
      names: [name],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 1, value: BigInt(nr + 1) * 0x100000001n, op: 'SCMP_CMP_EQ' }],
    }));
    const bytes = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }, { arch: 'x86_64', capabilities: [], kernelRelease: KERNEL });
    const filter = new SeccompFilter(bytes);
    expect(filter.program.length).toBeGreaterThan(1000);
    expect(decodeProgram(bytes).some((instruction) => instruction.code === 0x05), 'long jumps (JA) were needed').toBe(true);
    for (const nr of Object.values(SYSCALLS_X86_64) as number[]) {
      expect(filter.run(x86_64(nr, 0, BigInt(nr + 1) * 0x100000001n)), `syscall ${nr}`).toEqual(ALLOW);
      expect(filter.run(x86_64(nr, 0, BigInt(nr + 1))), `syscall ${nr}`).toEqual(EPERM);
    }
  });

  it('keeps jumps valid inside one syscall with hundreds of rules', () => {
    const syscalls: SeccompSyscallRule[] = Array.from({ length: 400 }, (_, value) => ({ names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] }));
    syscalls.push({ names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 9, args: [{ index: 2, value: 0, op: 'SCMP_CMP_EQ' }] });
    const filter = compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls });
    for (const fd of [0, 1, 255, 256, 399]) {
      expect(filter.run(x86_64(WRITE, fd, 0, 1)), `fd ${fd}`).toEqual(ALLOW);
      expect(filter.run(x86_64(WRITE, fd, 0, 0)), `fd ${fd}, count 0`).toEqual({ action: 'ERRNO', errno: 9 });
    }
    expect(filter.run(x86_64(WRITE, 400, 0, 1))).toEqual(EPERM);
    expect(filter.run(x86_64(READ))).toEqual(EPERM);
  });

  it('refuses a profile that compiles past the kernel\'s 4096 instructions', () => {
    const syscalls: SeccompSyscallRule[] = Array.from({ length: 1500 }, (_, value) => ({ names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] }));
    let error: unknown;
    try {
      compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }, { arch: 'x86_64', capabilities: [] });
    } catch (caught) {
      error = caught;
    }
    expect(isBurrowError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toMatch(/compiles to \d+ BPF instructions, more than the kernel's 4096/);
  });
});

describe('profiles from JSON', () => {
  it('compiles 64-bit argument values written as JSON numbers exactly', () => {
    const text = `{
      "defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [
        { "names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{ "index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ" }] },
        { "names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{ "index": 0, "value": 9007199254740993, "op": "SCMP_CMP_GE" }] },
        { "names": ["close"], "action": "SCMP_ACT_ALLOW", "args": [{ "index": 1, "value": 18446744069414584320, "valueTwo": 9223372036854775808, "op": "SCMP_CMP_MASKED_EQ" }] }
      ]
    }`;
    const filter = compile(parseSeccompProfile(text, 'big.json'));
    expect(filter.run(x86_64(READ, 0xffffffffffffffffn))).toEqual(ALLOW);
    expect(filter.run(x86_64(READ, 0xfffffffffffff800n))).toEqual(EPERM);
    expect(filter.run(x86_64(WRITE, 9007199254740993n))).toEqual(ALLOW);
    expect(filter.run(x86_64(WRITE, 9007199254740992n))).toEqual(EPERM);
    expect(filter.run(x86_64(3, 0, 0x80000000ffffffffn))).toEqual(ALLOW);
    expect(filter.run(x86_64(3, 0, 0xc0000000ffffffffn))).toEqual(EPERM);
  });
});
