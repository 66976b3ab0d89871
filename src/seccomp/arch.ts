/** The architectures burrow's filters cover, and what the kernel calls them. */
import type { SeccompHostArch } from './host.js';
import { SYSCALLS_AARCH64, SYSCALLS_I386, SYSCALLS_X86_64, type SyscallTable } from './syscall-tables.js';
import type { SeccompArchName } from './types.js';

export { hostSeccompArch, parseKernelVersion, type SeccompHostArch } from './host.js';
/** An ABI a filter can meet: a host's own, or i386 binaries (and `int 0x80`) on x86_64. */
export type SeccompFilterArch = 'x86_64' | 'i386' | 'aarch64';

export interface FilterArchInfo {
  name: SeccompFilterArch;
  /** seccomp_data.arch (AUDIT_ARCH_* of linux/audit.h). */
  auditArch: number;
  table: SyscallTable;
  /** The highest number in the table; numbers above it are newer than the headers burrow was built from. */
  highestNumber: number;
  /** 32-bit ABI: the kernel reads every argument as 32 bits (the upper half of seccomp_data.args is never set). */
  is32Bit: boolean;
  /** libseccomp's name for it in a profile's architectures and archMap. */
  scmpName: SeccompArchName;
}

function info(name: SeccompFilterArch, auditArch: number, table: SyscallTable, is32Bit: boolean, scmpName: SeccompArchName): FilterArchInfo {
  return { name, auditArch, table, highestNumber: Math.max(...(Object.values(table) as number[])), is32Bit, scmpName };
}

export const FILTER_ARCHES: Readonly<Record<SeccompFilterArch, FilterArchInfo>> = {
  x86_64: info('x86_64', 0xc000003e, SYSCALLS_X86_64, false, 'SCMP_ARCH_X86_64'),
  i386: info('i386', 0x40000003, SYSCALLS_I386, true, 'SCMP_ARCH_X86'),
  aarch64: info('aarch64', 0xc00000b7, SYSCALLS_AARCH64, false, 'SCMP_ARCH_AARCH64'),
};

/** The ABIs a filter for this host can allow, the host's own first. */
export const HOST_FILTER_ARCHES: Readonly<Record<SeccompHostArch, readonly SeccompFilterArch[]>> = {
  x86_64: ['x86_64', 'i386'],
  aarch64: ['aarch64'],
};

/** The host architecture as Go names it (runtime.GOARCH): what Docker matches `includes.arches` against. */
export const GO_ARCH_NAME: Readonly<Record<SeccompHostArch, string>> = { x86_64: 'amd64', aarch64: 'arm64' };

/**
 * x32 syscalls are x86_64 syscalls with this bit set in their number: a second
 * syscall table under the same AUDIT_ARCH_X86_64, which a filter that only
 * knows x86_64 numbers would let through.
 */
export const X32_SYSCALL_BIT = 0x40000000;

/** The number of a syscall on one ABI, or undefined where that ABI has no such syscall. */
export function syscallNumber(arch: SeccompFilterArch, name: string): number | undefined {
  return FILTER_ARCHES[arch].table[name];
}
