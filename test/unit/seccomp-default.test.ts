/**
 * burrow's default seccomp profile, compiled and run in a cBPF interpreter that
 * checks the program as the kernel does at load time. Syscall numbers are
 * written out here (from the kernel's tables) rather than taken from the
 * generated tables, so a wrong table fails too.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from '../../src/sandbox/capabilities.js';
import { compileSeccomp, DEFAULT_SECCOMP_PROFILE, syscallNumber, type CompileSeccompOptions } from '../../src/seccomp/index.js';
import { SYSCALLS_X86_64 } from '../../src/seccomp/syscall-tables.js';
import { AUDIT_ARCH, SeccompFilter, type SeccompData } from '../helpers/bpf-interpreter.js';

const KERNEL = '6.18.0-test';
const EPERM = { action: 'ERRNO', errno: 1 };
const ENOSYS = { action: 'ERRNO', errno: 38 };
const ALLOW = { action: 'ALLOW' };
const KILL_PROCESS = { action: 'KILL_PROCESS' };

function filterFor(options: Partial<CompileSeccompOptions> = {}): SeccompFilter {
  return new SeccompFilter(compileSeccomp(DEFAULT_SECCOMP_PROFILE, { arch: 'x86_64', capabilities: DEFAULT_CAPABILITIES, kernelRelease: KERNEL, ...options }));
}

const x86_64 = (nr: number, ...args: Array<bigint | number>): SeccompData => ({ arch: AUDIT_ARCH.X86_64, nr, args });
const i386 = (nr: number, ...args: Array<bigint | number>): SeccompData => ({ arch: AUDIT_ARCH.I386, nr, args });
const aarch64 = (nr: number, ...args: Array<bigint | number>): SeccompData => ({ arch: AUDIT_ARCH.AARCH64, nr, args });

/** x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
const NR = {
  read: 0, write: 1, socket: 41, clone: 56, fork: 57, personality: 135, mount: 165, umount2: 166, reboot: 169,
  init_module: 175, add_key: 248, request_key: 249, keyctl: 250, unshare: 272, perf_event_open: 298, open_by_handle_at: 304,
  setns: 308, kcmp: 312, bpf: 321, userfaultfd: 323, io_uring_setup: 425, clone3: 435, ptrace: 101, clock_settime: 227, getpid: 39,
};

const CLONE = {
  NEWNS: 0x00020000, NEWCGROUP: 0x02000000, NEWUTS: 0x04000000, NEWIPC: 0x08000000, NEWUSER: 0x10000000, NEWPID: 0x20000000, NEWNET: 0x40000000,
  /** What glibc's pthread_create passes to clone. */
  THREAD: 0x003d0f00,
  /** What glibc's fork passes: CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD. */
  FORK: 0x01200011,
};
const AF = { UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, ALG: 38, NFC: 39, VSOCK: 40 };

describe('default seccomp profile on x86_64', () => {
  const filter = filterFor();

  it('compiles to a program the kernel would load, short enough to cost little per syscall', () => {
    expect(filter.program.length).toBeGreaterThan(50);
    expect(filter.program.length).toBeLessThan(600);
    // A binary search: an ordinary syscall runs a handful of instructions, never a chain of hundreds.
    expect(filter.steps(x86_64(NR.read))).toBeLessThanOrEqual(14);
    const worst = Math.max(...(Object.values(SYSCALLS_X86_64) as number[]).map((nr) => filter.steps(x86_64(nr, 0xffffffff00000028n, 1))));
    expect(worst).toBeLessThanOrEqual(40);
  });

  it('allows the ordinary syscalls', () => {
    for (const nr of [NR.read, NR.write, NR.getpid, NR.fork]) expect(filter.run(x86_64(nr))).toEqual(ALLOW);
  });

  it('refuses keyctl, add_key, request_key, bpf, perf_event_open, userfaultfd, open_by_handle_at and io_uring with EPERM', () => {
    for (const nr of [NR.keyctl, NR.add_key, NR.request_key, NR.bpf, NR.perf_event_open, NR.userfaultfd, NR.open_by_handle_at, NR.io_uring_setup]) {
      expect(filter.run(x86_64(nr)), `syscall ${nr}`).toEqual(EPERM);
    }
  });

  it('refuses mount, unshare, setns, reboot, init_module, clock_settime and kcmp without their capabilities', () => {
    for (const nr of [NR.mount, NR.umount2, NR.unshare, NR.setns, NR.reboot, NR.init_module, NR.clock_settime, NR.kcmp]) {
      expect(filter.run(x86_64(nr, 0)), `syscall ${nr}`).toEqual(EPERM);
    }
    expect(filter.run(x86_64(NR.unshare, CLONE.NEWUSER))).toEqual(EPERM);
  });

  it('allows clone for forks and threads, refuses it with any namespace flag', () => {
    expect(filter.run(x86_64(NR.clone, CLONE.THREAD))).toEqual(ALLOW);
    expect(filter.run(x86_64(NR.clone, CLONE.FORK))).toEqual(ALLOW);
    for (const [flag, value] of Object.entries(CLONE).filter(([name]) => name.startsWith('NEW'))) {
      expect(filter.run(x86_64(NR.clone, CLONE.FORK | value)), `CLONE_${flag}`).toEqual(EPERM);
    }
    // The kernel reads the low 32 bits of clone's flags: bits above them are not a namespace.
    expect(filter.run(x86_64(NR.clone, 0xffffffff00000000n | BigInt(CLONE.FORK)))).toEqual(ALLOW);
  });

  it('answers clone3 with ENOSYS so libc falls back to clone', () => {
    expect(filter.run(x86_64(NR.clone3))).toEqual(ENOSYS);
  });

  it('allows personality(0) and Docker\'s other values, refuses the rest', () => {
    for (const persona of [0, 8, 0x20000, 0x20008, 0xffffffff]) expect(filter.run(x86_64(NR.personality, persona)), `persona ${persona}`).toEqual(ALLOW);
    for (const persona of [0x0040000 /* ADDR_NO_RANDOMIZE */, 0x0400000 /* READ_IMPLIES_EXEC */, 1, 0xfffffffe]) {
      expect(filter.run(x86_64(NR.personality, persona)), `persona ${persona}`).toEqual(EPERM);
    }
    // personality takes an unsigned int: -1 passed as a long is the query 0xffffffff.
    expect(filter.run(x86_64(NR.personality, 0xffffffffffffffffn))).toEqual(ALLOW);
  });

  it('allows sockets of ordinary families, refuses AF_VSOCK and AF_ALG, also with garbage in the upper 32 bits', () => {
    for (const family of [AF.UNIX, AF.INET, AF.INET6, AF.NETLINK, AF.NFC, 41, 45]) expect(filter.run(x86_64(NR.socket, family, 1)), `family ${family}`).toEqual(ALLOW);
    expect(filter.run(x86_64(NR.socket, AF.VSOCK, 1))).toEqual(EPERM);
    expect(filter.run(x86_64(NR.socket, AF.ALG, 5))).toEqual(EPERM);
    // The kernel reads an int: 0xffffffff00000028 is AF_VSOCK to it (Docker's 64-bit comparison lets this through).
    expect(filter.run(x86_64(NR.socket, 0xffffffff00000028n, 1))).toEqual(EPERM);
    expect(filter.run(x86_64(NR.socket, 0x100000026n, 5))).toEqual(EPERM);
  });

  it('allows ptrace on kernels from 4.8, where seccomp is checked again after a tracer changes a syscall', () => {
    expect(filter.run(x86_64(NR.ptrace))).toEqual(ALLOW);
    expect(filterFor({ kernelRelease: '4.4.0-210-generic' }).run(x86_64(NR.ptrace))).toEqual(EPERM);
  });

  it('kills x32 syscalls (bit 30 set) and any foreign architecture', () => {
    expect(filter.run(x86_64(0x40000000 | NR.read))).toEqual(KILL_PROCESS);
    expect(filter.run(x86_64(0x40000000 | 512 /* x32 rt_sigaction */))).toEqual(KILL_PROCESS);
    expect(filter.run(x86_64(0x7fffffff))).toEqual(KILL_PROCESS);
    // -1 is not x32: the kernel answers it ENOSYS.
    expect(filter.run(x86_64(0xffffffff))).toEqual(ENOSYS);
    for (const arch of [AUDIT_ARCH.AARCH64, AUDIT_ARCH.ARM, AUDIT_ARCH.RISCV64, 0]) expect(filter.run({ arch, nr: NR.read }), `arch ${arch}`).toEqual(KILL_PROCESS);
  });

  it('answers ENOSYS above the syscall tables, so libc falls back from syscalls newer than them, and EPERM in their gaps', () => {
    expect(filter.run(x86_64(451 /* cachestat */))).toEqual(ENOSYS);
    expect(filter.run(x86_64(452 /* fchmodat2 */))).toEqual(ENOSYS);
    expect(filter.run(x86_64(100_000))).toEqual(ENOSYS);
    expect(filter.run(x86_64(400 /* unassigned */))).toEqual(EPERM);
  });

  it('covers the i386 ABI of x86_64 hosts (int 0x80, 32-bit binaries) with its own numbers', () => {
    expect(filter.run(i386(3 /* read */))).toEqual(ALLOW);
    expect(filter.run(i386(20 /* getpid */))).toEqual(ALLOW);
    expect(filter.run(i386(288 /* keyctl */))).toEqual(EPERM);
    expect(filter.run(i386(357 /* bpf */))).toEqual(EPERM);
    expect(filter.run(i386(120 /* clone */, CLONE.NEWUSER))).toEqual(EPERM);
    expect(filter.run(i386(120 /* clone */, CLONE.THREAD))).toEqual(ALLOW);
    expect(filter.run(i386(435 /* clone3 */))).toEqual(ENOSYS);
    expect(filter.run(i386(359 /* socket */, AF.VSOCK))).toEqual(EPERM);
    expect(filter.run(i386(359 /* socket */, AF.INET))).toEqual(ALLOW);
    expect(filter.run(i386(136 /* personality */, 0))).toEqual(ALLOW);
    // A 32-bit ABI has no upper half: whatever is there, the low 32 bits decide.
    expect(filter.run(i386(136 /* personality */, 0xdead00000000n))).toEqual(ALLOW);
    // arch_prctl is an x86_64 rule in Docker's profile (includes.arches amd64): on i386 it is 384.
    expect(filter.run(i386(384))).toEqual(ALLOW);
    expect(filter.run(i386(0x40000000))).toEqual(ENOSYS);
  });

  it('with CAP_SYS_ADMIN allows mount, unshare, setns and namespaced clone, and clone3', () => {
    const admin = filterFor({ capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'] });
    for (const nr of [NR.mount, NR.umount2, NR.unshare, NR.setns, NR.clone3, NR.perf_event_open, NR.bpf]) expect(admin.run(x86_64(nr, CLONE.NEWUSER)), `syscall ${nr}`).toEqual(ALLOW);
    expect(admin.run(x86_64(NR.clone, CLONE.NEWUSER | CLONE.NEWNS))).toEqual(ALLOW);
    // Not part of CAP_SYS_ADMIN's group: still refused.
    for (const nr of [NR.keyctl, NR.userfaultfd, NR.reboot, NR.init_module]) expect(admin.run(x86_64(nr)), `syscall ${nr}`).toEqual(EPERM);
  });

  it('unlocks each capability\'s group and nothing more', () => {
    const cases: Array<[string, number]> = [
      ['CAP_SYS_BOOT', NR.reboot], ['CAP_SYS_MODULE', NR.init_module], ['CAP_SYS_TIME', NR.clock_settime], ['CAP_SYS_PTRACE', NR.kcmp],
      ['CAP_BPF', NR.bpf], ['CAP_PERFMON', NR.perf_event_open], ['CAP_DAC_READ_SEARCH', NR.open_by_handle_at],
    ];
    for (const [cap, nr] of cases) {
      const withCap = filterFor({ capabilities: [...DEFAULT_CAPABILITIES, cap] });
      expect(withCap.run(x86_64(nr)), `${cap} unlocks ${nr}`).toEqual(ALLOW);
      expect(withCap.run(x86_64(NR.mount)), `${cap} does not unlock mount`).toEqual(EPERM);
      expect(filter.run(x86_64(nr)), `${nr} without ${cap}`).toEqual(EPERM);
    }
    // Docker's short names are accepted too.
    expect(filterFor({ capabilities: ['sys_boot'] }).run(x86_64(NR.reboot))).toEqual(ALLOW);
  });
});

describe('default seccomp profile on aarch64 (simulated: this host is x86_64, the interpreter runs the aarch64 program)', () => {
  const filter = filterFor({ arch: 'aarch64' });
  /** arm64 numbers (include/uapi/asm-generic/unistd.h). */
  const A = { read: 63, keyctl: 219, clone: 220, clone3: 435, mount: 40, unshare: 97, personality: 92, socket: 198 };

  it('allows read, refuses keyctl, namespaced clone, mount and unshare, answers clone3 with ENOSYS', () => {
    expect(filter.run(aarch64(A.read))).toEqual(ALLOW);
    expect(filter.run(aarch64(A.keyctl))).toEqual(EPERM);
    expect(filter.run(aarch64(A.clone, CLONE.NEWUSER))).toEqual(EPERM);
    expect(filter.run(aarch64(A.clone, CLONE.THREAD))).toEqual(ALLOW);
    expect(filter.run(aarch64(A.clone3))).toEqual(ENOSYS);
    expect(filter.run(aarch64(A.mount))).toEqual(EPERM);
    expect(filter.run(aarch64(A.unshare))).toEqual(EPERM);
    expect(filter.run(aarch64(A.personality, 0))).toEqual(ALLOW);
    expect(filter.run(aarch64(A.socket, AF.VSOCK))).toEqual(EPERM);
  });

  it('kills x86 and 32-bit arm syscalls, has no x32 guard, and answers numbers above its table with ENOSYS', () => {
    for (const arch of [AUDIT_ARCH.X86_64, AUDIT_ARCH.I386, AUDIT_ARCH.ARM]) expect(filter.run({ arch, nr: 0 })).toEqual(KILL_PROCESS);
    expect(filter.run(aarch64(0x40000000))).toEqual(ENOSYS);
    expect(syscallNumber('aarch64', 'arch_prctl')).toBeUndefined();
  });
});
